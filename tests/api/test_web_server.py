"""The web server on the web port, over real HTTP: the app's files and headers, the
same-origin passage to the API and the file server, the origin (CSRF) check, the session
cookie, web sign-in passwords, and ``stationmaster web`` alone in front of a server."""

from __future__ import annotations

import base64
import gzip
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from support.client import ApiClient
from support.server import ServerProcess
from support.services import free_port

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


@dataclass
class Web:
    url: str
    api: ApiClient
    key: str
    secret: str
    proc: ServerProcess

    def basic(self, user: str | None = None, secret: str | None = None) -> str:
        pair = f"{user or self.key}:{secret or self.secret}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def signed_in(self) -> requests.Session:
        """A browser-like session holding the cookie auth.login sets through /api/."""
        session = requests.Session()
        reply = session.post(
            f"{self.url}/api/auth.login", json={}, headers={"Authorization": self.basic(), "Origin": self.url}
        )
        assert reply.status_code == 200, reply.text
        return session


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    data = tmp_path_factory.mktemp("web") / "data"
    with ServerProcess(data, files_port=free_port(), web_port=free_port()) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login()
        yield Web(proc.web_url, api, key, secret, proc)


# --- the app's own files ----------------------------------------------------------------


def test_index_is_served_for_app_paths_with_a_strict_policy(web: Web) -> None:
    for path in ("/", "/projects", "/projects/abc/experiments/def/output/log", "/login"):
        reply = requests.get(web.url + path, timeout=10)
        assert reply.status_code == 200, path
        assert reply.headers["Content-Type"].startswith("text/html")
        csp = reply.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert '<div id="app">' in reply.text


def test_no_inline_script_or_handler_in_the_app_files() -> None:
    """The policy forbids inline script; the app must not need any."""
    index = (STATIC / "index.html").read_text()
    for tag in re.findall(r"<script\b[^>]*>", index):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", index)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/js/([^"]+)">', index))
    assert preloaded == {p.name for p in (STATIC / "js").glob("*.js")} - {"main.js"}  # no import waterfall
    for path in (STATIC / "js").glob("*.js"):
        text = path.read_text()
        assert "innerHTML" not in text and "dangerouslySetInnerHTML" not in text, path
        assert "eval(" not in text and "new Function" not in text, path


def test_static_files_are_compressed_and_validated(web: Web) -> None:
    plain = requests.get(f"{web.url}/static/js/main.js", headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "Content-Encoding" not in plain.headers
    assert plain.content == (STATIC / "js" / "main.js").read_bytes()
    raw = requests.get(f"{web.url}/static/js/main.js", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.raw.read()) == plain.content
    again = requests.get(f"{web.url}/static/js/main.js", headers={"If-None-Match": plain.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and not again.content
    assert requests.get(f"{web.url}/static/nope.js", timeout=10).status_code == 404
    assert requests.get(f"{web.url}/static/../../setup.cfg", timeout=10).status_code in (200, 404)
    escaped = requests.get(f"{web.url}/static/%2e%2e/%2e%2e/app.py", timeout=10)
    assert escaped.status_code == 404 or '<div id="app">' in escaped.text
    assert requests.post(f"{web.url}/projects", timeout=10).status_code == 405


def test_configuration_json_names_this_origin(web: Web) -> None:
    document = requests.get(f"{web.url}/configuration.json", timeout=10).json()
    assert document["apiBaseUrl"] == f"{web.url}/api"
    assert document["fileBaseUrl"] == f"{web.url}/files"
    files_port = web.proc.files_url.rsplit(":", 1)[1]
    assert f"http://localhost:{files_port}" in document["filesHosts"]
    assert f"http://127.0.0.1:{files_port}" in document["filesHosts"]
    assert document["apiPort"] == web.proc.port


# --- /api/ and the origin check -----------------------------------------------------------


def test_sign_in_through_api_sets_an_httponly_strict_cookie(web: Web) -> None:
    reply = requests.post(
        f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(), "Origin": web.url}, timeout=10
    )
    assert reply.status_code == 200
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("sm_web_token=")  # the web app's own name, see below
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Access-Control-Allow-Origin" not in reply.headers  # one origin: no CORS on the web port
    direct = requests.post(f"{web.proc.url}/auth.login", json={}, headers={"Authorization": web.basic()}, timeout=10)
    assert "SameSite=Strict" in direct.headers["Set-Cookie"]  # the API's cookie (apiserver.auth.cookies)


def test_the_web_cookie_is_worthless_on_the_api_and_file_ports(web: Web) -> None:
    """Another port of the same host is same-site: SameSite would let its pages send the
    cookie to :8008 (whose CORS answers any origin). The web app's cookie is accepted only
    by the web server, which passes its token on after the origin check."""
    session = web.signed_in()
    token = session.cookies["sm_web_token"]
    assert (
        session.post(f"{web.url}/api/users.get_current_user", json={}, headers={"Origin": web.url}).status_code == 200
    )
    cookie = {"Cookie": f"sm_web_token={token}"}
    assert (
        requests.post(f"{web.proc.url}/users.get_current_user", json={}, headers=cookie, timeout=10).status_code == 401
    )
    assert requests.get(f"{web.proc.files_url}/anything", headers=cookie, timeout=10).status_code == 401
    # the API's own cookie names mean nothing on the web port
    stray = requests.post(
        f"{web.url}/api/users.get_current_user",
        json={},
        headers={"Origin": web.url, "Cookie": f"clearml_token_basic={token}"},
        timeout=10,
    )
    assert stray.status_code == 401


def test_cookie_calls_need_post_and_this_origin(web: Web) -> None:
    session = web.signed_in()
    ok = session.post(f"{web.url}/api/users.get_current_user", json={}, headers={"Origin": web.url})
    assert ok.status_code == 200 and ok.json()["data"]["user"]["id"] == "__admin__"

    for headers, method in (({}, "POST"), ({"Origin": "http://127.0.0.1:1"}, "POST"), ({"Origin": web.url}, "GET")):
        refused = session.request(method, f"{web.url}/api/tasks.get_all", json={}, headers=headers)
        assert refused.status_code == 403, (headers, method)
        meta = refused.json()["meta"]
        assert meta["result_code"] == 403 and meta["endpoint"]["name"] == "tasks.get_all"
        assert "Origin" in meta["result_msg"] or "POST" in meta["result_msg"] or "cross-origin" in meta["result_msg"]
    # a GET with a query string (an <img src> of another site on this host) changes nothing
    project = f"web csrf {uuid.uuid4().hex[:6]}"
    refused = session.get(f"{web.url}/api/projects.create", params={"name": project, "description": "x"})
    assert refused.status_code == 403
    assert not web.api.projects.get_all(name=f"^{project}$")["projects"]


def test_calls_with_their_own_credentials_pass_like_the_sdk(web: Web) -> None:
    """An Authorization header is not sent by another site's page: no origin needed."""
    reply = requests.get(
        f"{web.url}/api/v2.9/users.get_current_user", headers={"Authorization": web.basic()}, timeout=10
    )
    assert reply.status_code == 200
    assert reply.json()["meta"]["endpoint"]["requested_version"] == "2.9"
    ping = requests.get(f"{web.url}/api/debug.ping", timeout=10)
    assert ping.status_code == 200 and ping.json()["meta"]["result_code"] == 200
    foreign = requests.post(
        f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(), "Origin": "http://evil.test"}
    )
    assert foreign.status_code == 403


def test_sign_out_clears_the_cookie(web: Web) -> None:
    session = web.signed_in()
    out = session.post(f"{web.url}/api/auth.logout", json={}, headers={"Origin": web.url})
    assert out.status_code == 200
    assert out.headers["Set-Cookie"].startswith('sm_web_token="";')
    assert not session.cookies.get("sm_web_token")
    after = session.post(f"{web.url}/api/users.get_current_user", json={}, headers={"Origin": web.url})
    assert after.status_code == 401


# --- /files/ ----------------------------------------------------------------------------


def test_files_pass_through_sandboxed(web: Web) -> None:
    assert web.api.token
    name = f"web/{uuid.uuid4().hex}/page.html"
    files = web.proc.files_url
    body = b"<script>alert(document.cookie)</script>"
    up = requests.post(
        f"{files}/", files={name: ("page.html", body)}, headers={"Authorization": f"Bearer {web.api.token}"}
    )
    assert up.status_code == 200, up.text
    session = web.signed_in()
    got = session.get(f"{web.url}/files/{name}")
    assert got.status_code == 200 and got.content == body
    assert got.headers["Content-Security-Policy"].startswith("sandbox;")
    assert "script-src" not in got.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in got.headers
    assert requests.get(f"{web.url}/files/{name}", timeout=10).status_code == 401  # no token, no file
    deleted = session.delete(f"{web.url}/files/{name}")  # a cookie DELETE without Origin is refused
    assert deleted.status_code == 403
    assert session.delete(f"{web.url}/files/{name}", headers={"Origin": web.url}).status_code == 200


# --- web sign-in passwords (auth.create_user / auth.edit_user) ----------------------------


def test_users_an_admin_created_sign_in_with_name_and_password(web: Web) -> None:
    name = f"ada {uuid.uuid4().hex[:6]}"
    company = "d1bd92a3b039400cbafc60a7a5b1e52b"
    user = web.api.auth.create_user(name=name, company=company, password="correct horse")["id"]
    login = requests.post(
        f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(name, "correct horse")}
    )
    assert login.status_code == 200, login.text
    me = ApiClient(web.proc.url, token=login.json()["data"]["token"]).users.get_current_user()["user"]
    assert me["id"] == user and me["role"] == "user"

    bad = requests.post(f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(name, "wrong one!")})
    assert (bad.status_code, bad.json()["meta"]["result_subcode"]) == (401, 22)

    web.api.auth.edit_user(user=user, password="battery staple")
    old = requests.post(
        f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(name, "correct horse")}
    )
    assert old.status_code == 401
    new = requests.post(
        f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(name, "battery staple")}
    )
    assert new.status_code == 200

    clash = web.api.call("auth.create_user", {"name": name, "company": company, "password": "another one"})
    assert clash.code == (400, 300) and "name" in clash.meta["result_msg"]
    short = web.api.call("auth.edit_user", {"user": user, "password": "short"})
    assert short.code[0] == 400 and "password" in short.meta["result_msg"]
    stored = web.api.call("users.get_by_id", {"user": user}).data["user"]
    assert "password" not in stored


def test_a_user_without_a_password_cannot_sign_in_by_name(web: Web) -> None:
    name = f"nopw {uuid.uuid4().hex[:6]}"
    web.api.auth.create_user(name=name, company="d1bd92a3b039400cbafc60a7a5b1e52b")
    reply = requests.post(
        f"{web.url}/api/auth.login", json={}, headers={"Authorization": web.basic(name, "anything at all")}
    )
    assert (reply.status_code, reply.json()["meta"]["result_subcode"]) == (401, 22)


# --- stationmaster web: the app alone, streaming to a server ----------------------------


def test_stationmaster_web_alone_proxies_api_and_files(web: Web, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLEARML", "TRAINS", "STATIONMASTER"))}
    argv = [sys.executable, "-m", "stationmaster.server.cli", "web", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--api-url", web.proc.url, "--files-url", web.proc.files_url]
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while "web on http://" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert requests.get(base + "/", timeout=10).status_code == 200
        config = requests.get(base + "/configuration.json", timeout=10).json()
        assert config["apiServer"] == web.proc.url and web.proc.files_url in config["filesHosts"]
        session = requests.Session()
        login = session.post(f"{base}/api/auth.login", json={}, headers={"Authorization": web.basic(), "Origin": base})
        assert login.status_code == 200 and "SameSite=Strict" in login.headers["Set-Cookie"]
        big = session.post(
            f"{base}/api/tasks.get_all",
            # a 300 KB id filter (a name that long is over apiserver.limits.name since issue 13)
            json={"id": ["x" * 300_000], "only_fields": ["id"]},
            headers={"Origin": base},
        )
        assert big.status_code == 200 and big.json()["data"]["tasks"] == []  # a large body streamed through
        for _ in range(3):  # kept-alive upstream connections are reused
            me = session.post(f"{base}/api/users.get_current_user", json={}, headers={"Origin": base})
            assert me.status_code == 200
        assert session.post(f"{base}/api/users.get_current_user", json={}).status_code == 403
        name = f"web/{uuid.uuid4().hex}/a.txt"
        requests.post(
            f"{web.proc.files_url}/",
            files={name: ("a.txt", b"hello")},
            headers={"Authorization": f"Bearer {web.api.token}"},
        )
        got = session.get(f"{base}/files/{name}")
        assert got.status_code == 200 and got.content == b"hello"
        assert got.headers["Content-Security-Policy"].startswith("sandbox;")
    finally:
        proc.terminate()
        proc.wait(15)
    assert proc.returncode == 0, log.read_text()
