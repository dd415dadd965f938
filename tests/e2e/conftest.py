"""End-to-end fixtures: one server for the session with the real clients pointed at it.

Every test here is marked ``e2e``. The client environments come from
``tests/e2e/prepare_clients.sh``; when they are missing the tests skip locally and fail
in CI (``STATIONMASTER_CI=1``). Each failed client call seen by the recording relay is
attached to the failing test's report; with ``STATIONMASTER_E2E_FAILURES=<file>`` the
session also writes all of them, per test, to that Markdown file.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_harness import E2E, ScaledE2E
from e2e_recorder import Exchange, expected_error

_outcomes: dict[str, tuple[str, str, list[Exchange], list[Exchange]]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def root() -> Iterator[Path]:
    """A folder of the test's own for servers it starts itself, outside any checkout."""
    path = Path(tempfile.mkdtemp(prefix="sm-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def e2e() -> Iterator[E2E]:
    yield from _harness(None)


@pytest.fixture(scope="session")
def e2e_team(team_stores: Any) -> Iterator[E2E]:
    """The same harness on the team configuration (FerretDB, Elasticsearch, Redis)."""
    yield from _harness(team_stores)


@pytest.fixture(scope="session")
def e2e_scaled(team_stores: Any) -> Iterator[E2E]:
    """Three API processes and a file server on the team configuration, behind the relay
    as a round-robin balancer (``ScaledE2E``)."""
    yield from _harness(team_stores, scaled=True)


def _harness(team_stores: Any, scaled: bool = False) -> Iterator[E2E]:
    # a directory outside any git checkout: the agents re-run the scripts from there
    root = Path(tempfile.mkdtemp(prefix="sm-e2e-"))
    if scaled:
        harness: E2E = ScaledE2E(root, team_stores.config_dir(root / "config", "scaled", redis_db=4))
    else:
        config_dir = team_stores.config_dir(root / "config", "e2e", redis_db=2) if team_stores else None
        harness = E2E(root, config_dir)
    try:
        harness.start()
        yield harness
    finally:
        harness.stop()
        if os.environ.get("STATIONMASTER_E2E_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _label_calls(request: pytest.FixtureRequest) -> Iterator[None]:
    name = next((n for n in ("e2e", "e2e_team", "e2e_scaled") if n in request.fixturenames), None)
    if name is None:
        yield
        return
    harness: E2E = request.getfixturevalue(name)
    assert harness.recorder
    harness.recorder.label = request.node.name
    mark = harness.recorder.mark()
    request.node._e2e_mark = mark  # read by the report hook
    request.node._e2e_recorder = harness.recorder
    yield
    harness.recorder.label = "session"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    recorder = getattr(item, "_e2e_recorder", None)
    if recorder is None or report.when != "call":
        return
    errors = recorder.failures_since(item._e2e_mark)  # type: ignore[attr-defined]
    failed_calls = [e for e in errors if not expected_error(e)]
    tolerated = [e for e in errors if expected_error(e)]
    if failed_calls:
        report.sections.append(("failed client calls", "\n\n".join(e.describe() for e in failed_calls)))
    _outcomes[item.nodeid] = (report.outcome, str(report.longrepr or "")[-8000:], failed_calls, tolerated)


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("STATIONMASTER_E2E_FAILURES")
    if not target or not _outcomes:
        return
    lines = [f"# e2e flows against the current server ({time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC)", ""]
    for nodeid, (outcome, _, calls, tolerated) in _outcomes.items():
        lines.append(f"- {outcome.upper()}: `{nodeid}` ({len(calls)} failed calls, {len(tolerated)} expected errors)")
    for nodeid, (outcome, longrepr, calls, tolerated) in _outcomes.items():
        if outcome == "passed" and not calls and not tolerated:
            continue
        lines += ["", f"## {nodeid}: {outcome}", ""]
        if calls:
            lines += ["### failed calls (exact request and response)", "", "```"]
            lines += [c.describe()[:6000] for c in calls]
            lines += ["```", ""]
        if tolerated:
            lines += ["### expected errors (v0.16.1 answers them too; the clients tolerate them)", ""]
            lines += [f"- {c.method} {c.path} -> {c.status}: {expected_error(c)}" for c in tolerated]
            lines += [""]
        if outcome != "passed":
            lines += ["### test failure (client output / traceback)", "", "```", longrepr, "```"]
    Path(target).write_text("\n".join(lines) + "\n")
