"""Browser-test fixtures: one ``stationmaster serve`` with its web port, data made through
the API as the SDK makes it (``web_site.seed``), and Debian's headless Chromium
(``support.browser``).

Every test here is marked ``browser``. The real-SDK browser flows (experiments the clearml
SDK recorded, a clone the agent runs) are in ``tests/e2e/test_web.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.browser import PageLog, chromium
from support.client import ApiClient
from support.server import ServerProcess, write_config
from support.services import free_port
from web_site import FIXED_USER, Site, Tab, seed, sign_in


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("web-site")
    user, password = FIXED_USER
    config = write_config(
        base / "config",
        {
            "apiserver.conf": "auth.fixed_users { enabled: true, users: ["
            f'{{username: "{user}", password: "{password}", name: "Ada Lovelace", role: "admin"}}] }}\n'
        },
    )
    with ServerProcess(base / "data", config_dir=config, files_port=free_port(), web_port=free_port()) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login()
        yield Site(proc.web_url, proc, api, key, secret, seed(api, proc.files_url))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def tab(browser: Any, site: Site) -> Iterator[Tab]:
    """A fresh browser context signed in with the admin's access key."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    log = PageLog(page)
    sign_in(page, site.url, site.key, site.secret, keys=True)
    page.wait_for_selector("[data-testid=projects]")
    try:
        yield Tab(page, log, site)
    finally:
        context.close()


@pytest.fixture
def blank(browser: Any, site: Site) -> Iterator[Tab]:
    """A fresh browser context, signed out."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield Tab(page, PageLog(page), site)
    finally:
        context.close()
