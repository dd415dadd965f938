"""The web app in Debian's headless Chromium: sign-in, every screen with the data the
SDK would have recorded (made through the API), the actions, and escaping. Each screen
is saved as a screenshot (``support.browser.screenshot``; docs/web/ keeps a set)."""

from __future__ import annotations

from typing import Any

from support.browser import PageLog, screenshot, wait_until
from web_site import FIXED_USER, ITERATIONS, SERIES, XSS_NAME, Site, Tab, sign_in


def experiment(site: Site, task: str, tab: str = "") -> str:
    return f"/projects/{site.ids['project']}/experiments/{task}/{tab}"


def test_sign_in_with_a_fixed_users_name_and_password_then_sign_out(blank: Tab) -> None:
    page, site = blank.page, blank.site
    page.goto(site.url + "/projects")
    page.wait_for_selector("[data-testid=login-form]")
    screenshot(page, "login")
    sign_in(page, site.url, *FIXED_USER)
    page.wait_for_selector("[data-testid=projects]")
    assert page.inner_text("[data-testid=profile-link]") == "Ada Lovelace"
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["sm_web_token"]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the token is out of the page's reach
    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=login-form]")
    assert "sm_web_token" not in {c["name"] for c in page.context.cookies()}
    page.goto(site.url + "/projects")
    page.wait_for_selector("[data-testid=login-form]")
    assert blank.problems() == []


def test_a_bad_password_shows_the_servers_error(blank: Tab) -> None:
    page, site = blank.page, blank.site
    sign_in(page, site.url, FIXED_USER[0], "not the password")
    error = page.wait_for_selector("[data-testid=login-error]")
    assert "Sign-in failed" in error.inner_text() and "password" in error.inner_text()
    screenshot(page, "login-error")
    sign_in(page, site.url, site.key, "wrong secret", keys=True)
    page.wait_for_selector("[data-testid=login-error]")
    assert page.query_selector("[data-testid=projects]") is None


def test_users_an_admin_created_sign_in_with_the_password_set_on_the_profile_page(tab: Tab, browser: Any) -> None:
    page, site = tab.page, tab.site
    tab.go("/profile", "[data-testid=create-user]")
    page.click("[data-testid=create-user]")
    page.fill(".dialog input[name=name]", "grace hopper")
    page.fill(".dialog input[name=password]", "cobol-1959!")
    page.click(".dialog button.primary")
    page.wait_for_selector("[data-testid=users] td:text('grace hopper')")
    other = browser.new_context()
    try:
        p2 = other.new_page()
        sign_in(p2, site.url, "grace hopper", "cobol-1959!")
        p2.wait_for_selector("[data-testid=projects]")
        assert p2.inner_text("[data-testid=profile-link]") == "grace hopper"
    finally:
        other.close()


def test_projects_show_counts_and_search(tab: Tab) -> None:
    page, site = tab.page, tab.site
    row = page.wait_for_selector(
        f"[data-testid=projects] tr:has(a[href='/projects/{site.ids['project']}/experiments'])"
    )
    assert row.query_selector("[data-testid=task-count]").inner_text() == "6"
    screenshot(page, "projects")
    page.fill("input[aria-label='Search projects']", "no such project here")
    page.press("input[aria-label='Search projects']", "Enter")
    page.wait_for_selector("[data-testid=projects] td:text('No projects match.')")
    assert tab.problems() == []


def test_a_hostile_name_shows_as_text_everywhere(tab: Tab) -> None:
    page, site = tab.page, tab.site
    tab.go(f"/projects/{site.ids['project']}/experiments", f"tr[data-id='{site.ids['xss']}']")
    assert page.inner_text(f"tr[data-id='{site.ids['xss']}'] td.name a") == XSS_NAME
    tab.go(experiment(site, site.ids["xss"]), "[data-testid=task-name]")
    assert page.inner_text("[data-testid=task-name]") == XSS_NAME
    assert XSS_NAME in page.inner_text(".tab-body")  # the comment and the tag
    tab.go(experiment(site, site.ids["main"], "output/log"), ".console .line")
    assert f"console says {XSS_NAME}" in page.inner_text("[data-testid=console]")
    assert page.query_selector("img[src='x']") is None
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert tab.log.dialogs == []
    assert tab.problems() == []


def test_experiments_table_sorts_filters_searches_and_picks_columns(tab: Tab) -> None:
    page, site = tab.page, tab.site
    tab.go(f"/projects/{site.ids['project']}/experiments", "table.experiments tbody tr[data-id]")
    assert len(page.query_selector_all("table.experiments tbody tr[data-id]")) == 6
    page.click("th[data-col=name]")
    wait_until(page, "location.search.includes('sort=name')")
    first = "document.querySelector('table.experiments tbody tr[data-id] td.name a').textContent"
    wait_until(page, f"{first} === {XSS_NAME!r}")
    page.click("details[data-filter=status] summary")
    page.check("details[data-filter=status] input[value=completed]")
    wait_until(page, "document.querySelectorAll('table.experiments tbody tr[data-id]').length === 2")
    statuses = page.eval_on_selector_all(
        "table.experiments tbody tr[data-id] .status", "els => els.map(e => e.dataset.status)"
    )
    assert statuses == ["completed", "completed"]
    page.click("details[data-filter=status] summary")
    page.click("[data-testid=columns]")
    page.check("[data-testid=column-chooser] label:has-text('General/lr') input")
    page.check("[data-testid=column-chooser] label:has-text('loss / train') input")
    page.wait_for_selector(f"tr[data-id='{site.ids['other']}'] td:text('0.5')")
    screenshot(page, "experiments")
    page.fill("[data-testid=search]", "lr=0.5")
    page.press("[data-testid=search]", "Enter")
    wait_until(page, "document.querySelectorAll('table.experiments tbody tr[data-id]').length === 1")
    assert page.inner_text("table.experiments tbody tr[data-id] td.name") == "resnet lr=0.5"
    assert tab.problems() == []


def test_experiment_tabs(tab: Tab) -> None:
    page, site = tab.page, tab.site
    main = site.ids["main"]
    tab.go(experiment(site, main), ".experiment [data-testid=task-name]")
    assert "completed" in page.inner_text(".page-head .status")
    screenshot(page, "experiment-overview")
    page.click("[data-tab=execution]")
    assert "+lr = 0.125" in page.inner_text("[data-testid=diff]")
    assert "torch==2.3.0" in page.inner_text("[data-testid=requirements]")
    screenshot(page, "experiment-execution")
    page.click("[data-tab=params]")
    page.wait_for_selector("[data-section=General] td:text('0.125')")
    assert '"layers"' in page.inner_text("[data-config='model config']")
    page.click("[data-tab=artifacts]")
    page.wait_for_selector("[data-testid=artifacts] td:text('summary')")
    page.wait_for_selector("a[href='/models/" + site.ids["model"] + "']")
    screenshot(page, "experiment-artifacts")

    page.click("[data-tab=scalars]")
    page.wait_for_selector(".chart[data-metric=loss] canvas")
    loss = page.get_attribute(".chart[data-metric=loss]", "data-points")
    accuracy = page.get_attribute(".chart[data-metric=accuracy]", "data-points")
    assert (int(loss), int(accuracy)) == (ITERATIONS * len(SERIES["loss"]), ITERATIONS)
    assert page.get_attribute(".chart[data-metric=loss]", "data-series") == "2"
    page.check("[data-testid=log-scale]")
    page.select_option("[data-testid=x-axis]", "relative")
    page.wait_for_selector(".chart[data-metric=loss] canvas")
    page.fill("[data-testid=smoothing]", "0.6")
    page.wait_for_selector(".chart[data-metric=loss] canvas")
    screenshot(page, "experiment-scalars")

    page.click("[data-tab=console]")
    page.wait_for_selector(".console .line")
    assert "epoch 299 loss" in page.inner_text("[data-testid=console]")
    page.fill("[data-testid=console-search]", "epoch 12 ")
    wait_until(page, "document.querySelectorAll('.console .line').length === 1")
    page.fill("[data-testid=console-search]", "")
    with page.expect_download() as got:
        page.click("[data-testid=download-log]")
    assert "epoch 0 loss" in got.value.path().read_text()
    screenshot(page, "experiment-console")

    page.click("[data-tab=plots]")
    page.wait_for_selector("[data-plot='histogram/counts'] .plotly svg.main-svg", timeout=30_000)
    assert page.inner_text("[data-plot='summary/table'] table").startswith("k")
    screenshot(page, "experiment-plots", full_page=True)

    page.click("[data-tab=debug]")
    image = page.wait_for_selector("[data-metric=debug] .thumb img")
    wait_until(page, "(img) => img.complete && img.naturalWidth === 24", arg=image)
    assert image.get_attribute("src").startswith("/files/")
    image.click()
    page.wait_for_selector("[data-testid=viewer] img")
    screenshot(page, "experiment-debug-images")
    assert tab.problems() == []


def test_edit_a_drafts_parameters_and_clone_from_the_page(tab: Tab) -> None:
    page, site = tab.page, tab.site
    tab.go(experiment(site, site.ids["draft"], "params"), "[data-testid=edit-General]")
    page.click("[data-testid=edit-General]")
    page.fill("[data-section=General] input[name=epochs]", "7")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-section=General] td:text('7')")
    params = site.api.tasks.get_by_id(task=site.ids["draft"])["task"]["hyperparams"]["General"]
    assert params["epochs"]["value"] == "7"

    tab.go(experiment(site, site.ids["main"]), "[data-action=clone]")
    page.click("[data-action=clone]")
    page.fill(".dialog input[name=name]", "clone from the page")
    page.click(".dialog button.primary")
    wait_until(page, "document.querySelector('[data-testid=task-name]')?.textContent === 'clone from the page'")
    clone = page.get_attribute(".experiment", "data-task")
    doc = site.api.tasks.get_by_id(task=clone)["task"]
    assert doc["status"] == "created" and doc["name"] == "clone from the page"
    page.click("[data-action=delete]")
    page.click(".dialog button.primary")
    page.wait_for_selector("table.experiments")
    assert not site.api.tasks.get_all(id=[clone])["tasks"]
    assert tab.problems() == []


def test_an_action_the_server_refuses_shows_its_message(tab: Tab) -> None:
    page, site = tab.page, tab.site
    tab.go(experiment(site, site.ids["other"]), "[data-action=reset]")
    site.api.tasks.publish(task=site.ids["other"])  # changes under the page's feet
    page.click("[data-action=reset]")
    page.click(".dialog button.primary")
    notice = page.wait_for_selector(".notice-error")
    assert "Reset failed" in notice.inner_text() and "publish" in notice.inner_text().lower()


def test_bulk_tags_archive_and_restore(tab: Tab) -> None:
    page, site = tab.page, tab.site
    queued = site.ids["queued"]
    tab.go(f"/projects/{site.ids['project']}/experiments", f"tr[data-id='{queued[0]}']")
    for task in queued:
        page.check(f"tr[data-id='{task}'] td.sel input")
    assert "2 selected" in page.inner_text("[data-testid=selection]")
    page.click("[data-testid=selection] [data-action=addTag]")
    page.fill(".dialog input[name=tag]", "bulk")
    page.click(".dialog button.primary")
    page.wait_for_selector(f"tr[data-id='{queued[1]}'] .tag:text('bulk')")
    assert all("bulk" in t["tags"] for t in site.api.tasks.get_all(id=queued, only_fields=["tags"])["tasks"])
    screenshot(page, "experiments-bulk")
    page.check(f"tr[data-id='{site.ids['draft']}'] td.sel input")
    page.click("[data-testid=selection] [data-action=archive]")
    wait_until(page, f"!document.querySelector(\"tr[data-id='{site.ids['draft']}']\")")
    assert "archived" in site.api.tasks.get_by_id(task=site.ids["draft"])["task"]["system_tags"]
    page.check("label:has-text('Archived') input")
    page.check(f"tr[data-id='{site.ids['draft']}'] td.sel input")
    page.click("[data-testid=selection] [data-action=restore]")
    wait_until(page, f"!document.querySelector(\"tr[data-id='{site.ids['draft']}']\")")
    assert "archived" not in site.api.tasks.get_by_id(task=site.ids["draft"])["task"]["system_tags"]
    assert tab.problems() == []


def test_compare_two_experiments(tab: Tab) -> None:
    page, site = tab.page, tab.site
    main, other = site.ids["main"], site.ids["other"]
    tab.go(f"/projects/{site.ids['project']}/experiments", f"tr[data-id='{main}']")
    page.check(f"tr[data-id='{main}'] td.sel input")
    page.check(f"tr[data-id='{other}'] td.sel input")
    page.click("[data-testid=compare]")
    page.wait_for_selector(".chart[data-metric=loss] canvas")
    # loss: main has train + validation, the clone train only
    assert page.get_attribute(".chart[data-metric=loss]", "data-series") == "3"
    assert int(page.get_attribute(".chart[data-metric=loss]", "data-points")) == 3 * ITERATIONS
    screenshot(page, "compare-scalars")
    page.click("[data-tab=params]")
    row = page.wait_for_selector("[data-testid=param-diff] tr[data-param='General/lr']")
    assert "differs" in row.get_attribute("class") and sorted(row.inner_text().split("\t")[1:]) == ["0.125", "0.5"]
    screenshot(page, "compare-params")
    page.click("[data-tab=metrics]")
    page.wait_for_selector("[data-testid=metric-table] th:text('loss / train')")
    assert tab.problems() == []


def test_models_table_and_page(tab: Tab) -> None:
    page, site = tab.page, tab.site
    tab.go("/models", f"[data-testid=models] a[href='/models/{site.ids['model']}']")
    screenshot(page, "models")
    page.click(f"a[href='/models/{site.ids['model']}']")
    page.wait_for_selector("[data-testid=model-download]")
    body = page.inner_text("main")
    assert "PyTorch" in body and "resnet baseline" in body and "layers: 64, 32" in body and "dog" in body
    assert page.get_attribute("[data-testid=model-download]", "href").startswith("/files/")
    screenshot(page, "model")
    assert tab.problems() == []


def test_queues_move_and_remove(tab: Tab) -> None:
    page, site = tab.page, tab.site
    first, second = site.ids["queued"]
    queue = site.api.queues.get_by_id(queue=site.ids["queue"])["queue"]
    card = f"[data-queue='{queue['name']}']"
    tab.go("/queues", f"{card} tr[data-task='{second}']")
    screenshot(page, "queues")
    page.click(f"{card} tr[data-task='{second}'] [data-testid=up]")
    wait_until(page, f"document.querySelector(\"{card} tbody tr\").dataset.task === '{second}'")
    entries = site.api.queues.get_by_id(queue=site.ids["queue"])["queue"]["entries"]
    assert [e["task"] for e in entries] == [second, first]
    page.click(f"{card} tr[data-task='{first}'] [data-testid=dequeue]")
    wait_until(page, f"!document.querySelector(\"{card} tr[data-task='{first}']\")")
    assert site.api.tasks.get_by_id(task=first)["task"]["status"] == "created"
    assert tab.problems() == []


def test_workers_with_their_statistics(tab: Tab) -> None:
    page, site = tab.page, tab.site
    worker = site.ids["worker"]
    tab.go("/workers", f"tr[data-worker='{worker}']")
    page.click(f"tr[data-worker='{worker}'] button")
    page.wait_for_selector("[data-testid=worker-charts] .chart[data-metric=cpu_usage] canvas")
    screenshot(page, "workers")
    assert tab.problems() == []


def test_profile_creates_credentials_shown_once_with_a_clearml_conf(tab: Tab) -> None:
    page, site = tab.page, tab.site
    tab.go("/profile", "[data-testid=create-credentials]")
    page.click("[data-testid=create-credentials]")
    page.fill(".dialog input[name=label]", "laptop")
    page.click(".dialog button.primary")
    key = page.wait_for_selector("[data-testid=access-key]").inner_text()
    secret = page.inner_text("[data-testid=secret-key]")
    snippet = page.inner_text("[data-testid=conf-snippet]")
    assert f'"access_key" = "{key}"' in snippet and f'"secret_key" = "{secret}"' in snippet
    assert f"api_server: http://127.0.0.1:{site.proc.port}" in snippet
    screenshot(page, "profile")
    from support.client import ApiClient

    assert (
        ApiClient(site.proc.url, key=key, secret=secret).login().users.get_current_user()["user"]["id"] == "__admin__"
    )
    page.reload()
    page.wait_for_selector(f"[data-testid=credentials] code:text('{key}')")
    assert page.query_selector("[data-testid=secret-key]") is None  # shown once
    assert tab.problems() == []


def test_sdk_links_open_the_right_tab(tab: Tab) -> None:
    """The SDK prints <web>/projects/<p>/experiments/<t>/output/log (…/tasks/… from API 2.31);
    it opens the console."""
    page, site = tab.page, tab.site
    tab.go(experiment(site, site.ids["main"], "output/log"), ".console .line")
    assert page.get_attribute("[data-tab=console]", "aria-selected") == "true"
    log = PageLog(page)
    tab.go(f"/projects/*/experiments/{site.ids['main']}/output/metrics/scalar", ".chart canvas")
    assert log.errors == []
    # clearml 2.1 prints /projects/<p>/tasks/<t>/output/log to a server announcing API 2.31
    tab.go(f"/projects/{site.ids['project']}/tasks/{site.ids['main']}/output/log", ".console .line")
    assert page.get_attribute("[data-tab=console]", "aria-selected") == "true"
    assert log.errors == []
