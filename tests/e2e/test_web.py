"""Flow 5: the web app (Debian's headless Chromium) on what the real clearml SDK recorded
and on work the real clearml-agent runs: the scalars chart with every reported point,
console lines and a debug image that loads; a clone made, edited and enqueued from the
UI, run by the agent, then aborted from the UI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_flows import TERMINAL, agent_env, make_template, new_queue
from e2e_harness import E2E
from support.browser import PageLog, chromium, screenshot, wait_until
from test_tracking import ITERATIONS, SERIES, make_spec


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, e2e: E2E) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(e2e.web_url + "/")
    page.click("[data-testid=mode-keys]")
    page.fill("input[name=user]", e2e.key)
    page.fill("input[name=secret]", e2e.secret)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=projects]")
    try:
        yield page
    finally:
        context.close()


def test_sdk_recorded_experiment_shows_scalars_console_and_debug_image(e2e: E2E, page: Any) -> None:
    spec = make_spec(e2e, "clearml", e2e.workdir("inputs-web"))
    spec["project"] = f"e2e web {e2e.run_id}"
    task_id = e2e.run("clearml", "track.py", spec, timeout=240).result["task_id"]
    log = PageLog(page)
    base = f"{e2e.web_url}/projects/*/experiments/{task_id}"

    page.goto(base + "/output/metrics/scalar")
    page.wait_for_selector(".chart[data-metric=loss] canvas")
    for metric, variants in SERIES.items():
        chart = f".chart[data-metric={metric}]"
        assert int(page.get_attribute(chart, "data-points")) == ITERATIONS * len(variants), metric
        assert int(page.get_attribute(chart, "data-series")) == len(variants), metric
    screenshot(page, "sdk-scalars")

    page.goto(base + "/output/log")
    page.wait_for_selector(".console .line")
    console = page.inner_text("[data-testid=console]")
    assert spec["console"] in console and spec["text"] in console

    page.goto(base + "/output/debugImages")
    image = page.wait_for_selector(".thumb img")
    wait_until(page, "(img) => img.complete && img.naturalWidth === 6", arg=image)
    assert image.get_attribute("src").startswith("/files/")  # the SDK's files URL, loaded on this origin

    page.goto(base + "/artifacts")
    page.wait_for_selector("[data-testid=artifacts] td:text('dict')")
    assert [e for e in log.errors if "status of 401" not in e] == [] and log.failed == []


def test_clone_enqueue_from_the_ui_then_abort_while_the_agent_runs_it(e2e: E2E, page: Any) -> None:
    template = make_template(e2e)
    queue = new_queue(e2e, "web")
    page.goto(f"{e2e.web_url}/projects/*/experiments/{template}")
    page.click("[data-action=clone]")
    page.fill(".dialog input[name=name]", f"web clone {e2e.run_id}")
    page.click(".dialog button.primary")
    wait_until(page, f"document.querySelector('[data-testid=task-name]')?.textContent === 'web clone {e2e.run_id}'")
    clone = page.get_attribute(".experiment", "data-task")
    assert clone != template

    page.click("[data-tab=params]")
    page.click("[data-testid=edit-General]")
    page.fill("[data-section=General] input[name=steps]", "600")
    page.fill("[data-section=General] input[name=sleep]", "0.2")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-section=General] td:text('600')")

    page.click("[data-action=enqueue]")
    page.select_option(".dialog select[name=queue]", label=queue)
    page.click(".dialog button.primary")
    page.wait_for_selector(".page-head .status[data-status=queued]")

    worker = f"e2e-{e2e.run_id}:web"
    agent = e2e.start_agent(
        "clearml-agent", ["daemon", "--queue", queue, "--foreground"], env=agent_env(e2e, "clearml-agent", worker)
    )
    try:
        e2e.wait_status(clone, {"in_progress"} | TERMINAL, 240, agent)
        e2e.wait_for(
            "the clone to report 5 iterations",
            lambda: (e2e.task(clone, "last_iteration").get("last_iteration") or 0) >= 5,
            120,
        )
        page.wait_for_selector(".page-head .status[data-status=in_progress]", timeout=30_000)  # the page refreshes
        page.click("[data-tab=console]")
        page.wait_for_selector(".console .line:has-text('step 4')", timeout=30_000)  # live tail
        screenshot(page, "sdk-running-console")
        page.goto(f"{e2e.web_url}/workers")
        page.wait_for_selector(f"tr[data-worker='{worker}'] a[href$='{clone}']")
        screenshot(page, "sdk-workers")

        page.goto(f"{e2e.web_url}/projects/*/experiments/{clone}")
        page.click("[data-action=abort]")
        page.click(".dialog button.primary")
        assert e2e.wait_status(clone, TERMINAL, 90, agent) == "stopped"
        page.wait_for_selector(".page-head .status[data-status=stopped]", timeout=30_000)
        assert agent.running(), "the daemon must survive the aborted task"
    finally:
        agent.stop()
    doc = e2e.task(clone, "hyperparams")
    assert doc["hyperparams"]["General"]["steps"]["value"] == "600"
