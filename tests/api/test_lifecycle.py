"""Servers started with their own data directory or configuration: first start,
restart, locking, configuration errors and configuration-dependent behaviour."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import requests
from support.client import ApiClient, basic
from support.server import ServerProcess, write_config

from stationmaster.bll.auth.hashing import hash_password

LEGACY_KEY = "EGRTCO8JMSIGI6S39GTP43NFWXDQOW"
LEGACY_SECRET = "x!XTov_G-#vspE*Y(h$Anm&DIc5Ou-F)jsl$PdOyj5wG1&E!Z8"


def test_first_start_then_restart_keeps_data_and_credentials(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ServerProcess(data).start()
    try:
        key, secret = first.admin_credentials()
        assert f"access key: {key}" in first.log() and secret in first.log()
        conf = data / "clearml.conf"
        assert stat.S_IMODE(conf.stat().st_mode) == 0o600
        text = conf.read_text()
        assert (
            f'api_server: "http://localhost:{first.port}"' in text and "files_server" in text and "web_server" in text
        )
        api = ApiClient(first.url, key=key, secret=secret).login()
        api.users.set_preferences(preferences={"kept": True})
        default_queue_count = len(api.server.get_stats()["companies"])
    finally:
        assert first.stop() == 0
    second = ServerProcess(data).start()
    try:
        assert "access key" not in second.log()
        assert second.admin_credentials() == (key, secret)
        api = ApiClient(second.url, key=key, secret=secret).login()
        assert api.users.get_preferences()["preferences"] == {"kept": True}
        assert len(api.server.get_stats()["companies"]) == default_queue_count
    finally:
        second.stop()


def test_second_server_on_same_data_dir_is_refused(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data"):
        result = subprocess.run(ServerProcess(tmp_path / "data").command(), capture_output=True, text=True, timeout=30)
        assert result.returncode == 1
        assert "in use" in result.stderr and "--data-dir" in result.stderr


def test_sigterm_stops_promptly_with_exit_code_0(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data").start()
    # an idle keep-alive connection must not hold the shutdown
    session = requests.Session()
    session.get(f"{proc.url}/debug.ping", timeout=5)
    started = time.monotonic()
    assert proc.stop() == 0
    assert time.monotonic() - started < 5


def test_bad_config_value_names_key_and_file(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "conf", {"apiserver.conf": "listen { port: not-a-number }\n"})
    result = subprocess.run(
        ServerProcess(tmp_path / "data", conf).command(), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "apiserver.listen.port" in result.stderr and str(conf / "apiserver.conf") in result.stderr


def test_unparsable_config_file_is_named(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "conf", {"services/tasks.conf": "non_responsive_tasks_watchdog { enabled: \n"})
    result = subprocess.run(
        ServerProcess(tmp_path / "data", conf).command(), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1 and "tasks.conf" in result.stderr


def test_config_dir_env_and_overrides(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "conf", {"apiserver.conf": "auth.default_expiration_sec: 1000\n"})
    env = {"CLEARML_CONFIG_DIR": str(conf), "STATIONMASTER__apiserver__auth__max_expiration_sec": "5000"}
    with ServerProcess(tmp_path / "data", env=env) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login()
        claims = jwt.decode(api.token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 1000
        claims = jwt.decode(api.auth.login(expiration_sec=10**6)["token"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 5000


def test_body_limit_is_413(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "conf", {"apiserver.conf": "request.max_body_mb: 0.01\n"})
    with ServerProcess(tmp_path / "data", conf) as proc:
        big = b'{"pad": "' + b"x" * 20000 + b'"}'
        resp = requests.post(f"{proc.url}/debug.ping", data=big, timeout=10)
        assert resp.status_code == 413 and resp.json()["meta"]["result_code"] == 413

        def chunks():  # no Content-Length: the limit still applies while reading
            for _ in range(20):
                yield b"x" * 1000

        resp = requests.post(f"{proc.url}/debug.ping", data=chunks(), timeout=10)
        assert resp.status_code == 413
        assert requests.post(f"{proc.url}/debug.ping", data=b"{}", timeout=10).status_code == 200


def test_check_max_version_refuses_higher_versions(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "conf", {"apiserver.conf": "version.check_max_version: true\n"})
    with ServerProcess(tmp_path / "data", conf) as proc:
        resp = requests.get(f"{proc.url}/v999.0/debug.ping", timeout=10)
        assert resp.status_code == 400 and resp.json()["meta"]["result_subcode"] == 2
        assert requests.get(f"{proc.url}/v2.9/debug.ping", timeout=10).status_code == 200


def test_fixed_users_mode(tmp_path: Path) -> None:
    hashed = hash_password("s3cret-hashed")
    conf = write_config(
        tmp_path / "conf",
        {
            "apiserver.conf": f"""
        auth.fixed_users {{
            enabled: true
            pass_hashed: true
            users: [
                {{ username: "alice", password: "{hashed}", name: "Alice A" }}
            ]
        }}
    """
        },
    )
    with ServerProcess(tmp_path / "data", conf) as proc:
        api = ApiClient(proc.url, key="alice", secret="s3cret-hashed").login()
        me = api.users.get_current_user()["user"]
        assert me["name"] == "Alice A" and me["role"] == "user"
        bad = ApiClient(proc.url).call("auth.login", headers={"Authorization": basic("alice", "wrong")})
        assert bad.code == (401, 22)
        assert ApiClient(proc.url).auth.fixed_users_mode()["enabled"] is True
        assert ApiClient(proc.url).call("login.supported_modes").data["basic"]["enabled"] is True
        # the admin's key still works next to the fixed users
        key, secret = proc.admin_credentials()
        assert ApiClient(proc.url, key=key, secret=secret).login().token


def test_legacy_default_credentials_when_enabled(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "conf", {"apiserver.conf": "auth.legacy_default_credentials: true\n"})
    with ServerProcess(tmp_path / "data", conf) as proc:
        api = ApiClient(proc.url, key=LEGACY_KEY, secret=LEGACY_SECRET).login()
        me = api.users.get_current_user()["user"]
        assert me["id"] == "__tests__" and me["role"] == "user"
        assert me["company"]["id"] == "d1bd92a3b039400cbafc60a7a5b1e52b"


def test_configured_credentials_are_created(tmp_path: Path) -> None:
    conf = write_config(
        tmp_path / "conf",
        {
            "secure.conf": """
        credentials.agent {
            role: "user", display_name: "GPU agent", user_key: "AGENTKEY123", user_secret: "agent-secret-value"
        }
    """
        },
    )
    with ServerProcess(tmp_path / "data", conf) as proc:
        api = ApiClient(proc.url, key="AGENTKEY123", secret="agent-secret-value").login()
        assert api.users.get_current_user()["user"]["name"] == "GPU agent"


def test_openapi_command_prints_the_document(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    result = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "openapi", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    import json

    doc = json.loads(out.read_text())
    assert "/tasks.get_all" in doc["paths"] or "/auth.login" in doc["paths"]


def test_version_and_help(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and "API 2.31" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "--help"], capture_output=True, text=True, timeout=30
    )
    assert "serve" in result.stdout and "openapi" in result.stdout and "hash-password" in result.stdout
