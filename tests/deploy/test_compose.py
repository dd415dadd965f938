"""deploy/Dockerfile and deploy/docker-compose.yml: valid, and naming what the server reads.

No image is pulled or built: the compose file is read by docker-compose's own ``config``
(the schema check and variable substitution) and the environment it gives the API is
loaded with the server's configuration loader.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from stationmaster.config import load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"


def example_env() -> dict[str, str]:
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def named_volumes(service: dict[str, Any]) -> set[tuple[str, str]]:
    """(volume, target) of the named volumes of a service, from either syntax
    (docker-compose 1.x prints ``name:/target:rw``, the plug-in mappings)."""
    found = set()
    for v in service.get("volumes", ()):
        if isinstance(v, str):
            source, target = v.split(":")[:2]
            if not source.startswith(("/", ".")):
                found.add((source, target))
        elif v.get("type") == "volume":
            found.add((v["source"], v["target"]))
    return found


def compose_config(
    compose_cmd: list[str], profile: str, tmp_path: Path, env_file: Path = ENV_EXAMPLE
) -> dict[str, Any]:
    res = subprocess.run(
        [*compose_cmd, "--env-file", str(env_file), "-f", str(DEPLOY / "docker-compose.yml"), "--profile", profile]
        + ["config"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    return dict(yaml.safe_load(res.stdout))


def test_the_example_env_holds_no_real_secret() -> None:
    env = example_env()
    for key in ("STATIONMASTER_TOKEN_SECRET", "STATIONMASTER_ADMIN_KEY", "STATIONMASTER_ADMIN_SECRET"):
        assert env[key].startswith("change-me"), key


def test_team_profile_is_valid_and_complete(compose_cmd: list[str], tmp_path: Path) -> None:
    services = compose_config(compose_cmd, "team", tmp_path)["services"]
    assert re.fullmatch(r"mongo:7(\.\d+)*", services["mongo"]["image"])
    assert re.fullmatch(r".*elasticsearch:7\.17\.\d+", services["elasticsearch"]["image"])
    assert re.fullmatch(r"redis:7(\.\d+)*", services["redis"]["image"])
    es_env = services["elasticsearch"]["environment"]
    assert es_env["discovery.type"] == "single-node" and es_env["xpack.security.enabled"] == "false"
    assert services["api"]["deploy"]["replicas"] == 2
    for name in ("api", "api-proxy", "fileserver", "web", "mongo", "elasticsearch", "redis"):
        assert services[name]["restart"] == "unless-stopped", name
    for name, target in (("mongo", "/data/db"), ("redis", "/data"), ("fileserver", "/data"), ("elasticsearch", "")):
        assert any(t.startswith(target) for _, t in named_volumes(services[name])), name
    published = {
        (name, int(p["published"]), int(p["target"])) for name, s in services.items() for p in s.get("ports", ())
    }
    assert {("api-proxy", 8008, 8008), ("web", 8080, 8080), ("fileserver", 8081, 8081)} <= published
    assert services["api"]["command"][:3] == ["serve", "--host", "0.0.0.0"]
    assert services["fileserver"]["command"][0] == "fileserver"
    web = services["web"]["command"]
    assert web[0] == "web" and web[web.index("--api-url") + 1] == "http://api-proxy:8008"


def test_the_api_environment_is_what_the_server_reads(compose_cmd: list[str], tmp_path: Path) -> None:
    services = compose_config(compose_cmd, "team", tmp_path)["services"]
    env = {k: str(v) for k, v in services["api"]["environment"].items()}
    config = load_config(env=env, include_env_dirs=False)
    assert config.get("hosts.mongo.backend.host") == "mongodb://mongo:27017/backend"
    assert config.get("hosts.mongo.auth.host") == "mongodb://mongo:27017/auth"
    assert config.get("hosts.redis.apiserver.host") == "redis"
    assert [dict(h) for h in config.get("hosts.elastic.events.hosts")] == [{"host": "elasticsearch", "port": 9200}]
    secrets = example_env()
    assert config.get("secure.auth.token_secret") == secrets["STATIONMASTER_TOKEN_SECRET"]
    admin = config.get("secure.credentials.admin")
    assert (admin["user_key"], admin["user_secret"], admin["role"]) == (
        secrets["STATIONMASTER_ADMIN_KEY"],
        secrets["STATIONMASTER_ADMIN_SECRET"],
        "admin",
    )
    # the file server signs nothing but checks the same tokens
    files_env = {k: str(v) for k, v in services["fileserver"]["environment"].items()}
    assert (
        load_config(env=files_env, include_env_dirs=False).get("secure.auth.token_secret")
        == secrets["STATIONMASTER_TOKEN_SECRET"]
    )


def test_team_profile_refuses_to_start_without_the_secrets(compose_cmd: list[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    res = subprocess.run(
        [*compose_cmd, "--env-file", str(empty), "-f", str(DEPLOY / "docker-compose.yml"), "--profile", "team"]
        + ["config"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert res.returncode != 0 and "STATIONMASTER_TOKEN_SECRET" in res.stderr + res.stdout


def test_single_profile_keeps_the_data_in_a_volume(compose_cmd: list[str], tmp_path: Path) -> None:
    single = compose_config(compose_cmd, "single", tmp_path)["services"]["single"]
    assert named_volumes(single) == {("single-data", "/data")}
    assert {int(p["target"]) for p in single["ports"]} == {8008, 8080, 8081}
    assert "command" not in single  # the image's CMD: serve --host 0.0.0.0 --data-dir /data


def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def instruction(name: str) -> list[str]:
    return [line[len(name) :].strip() for line in dockerfile() if line.split()[0] == name]


def test_dockerfile_runs_serve_as_a_non_root_user_with_a_health_check() -> None:
    config = load_config(env={}, include_env_dirs=False)
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", instruction("FROM")[0])
    assert instruction("USER") == ["stationmaster"]
    assert "useradd --system --uid 10001" in " ".join(instruction("RUN"))
    assert instruction("VOLUME") == ["/data"]
    ports = {int(p) for p in instruction("EXPOSE")[0].split()}
    assert ports == {
        int(config.get("apiserver.listen.port")),
        int(config.get("web.listen.port")),
        int(config.get("fileserver.listen.port")),
    }
    assert instruction("ENTRYPOINT") == ['["stationmaster"]']
    assert instruction("CMD") == ['["serve", "--host", "0.0.0.0", "--data-dir", "/data"]']
    health = instruction("HEALTHCHECK")[0]
    assert f"http://127.0.0.1:{config.get('apiserver.listen.port')}/debug.ping" in health


def test_every_stationmaster_command_parses(compose_cmd: list[str], tmp_path: Path) -> None:
    from stationmaster.server.cli import _parser

    services = compose_config(compose_cmd, "team", tmp_path)["services"]
    for name in ("api", "fileserver", "web"):
        args = _parser().parse_args(services[name]["command"])  # exits (SystemExit) on a bad option
        assert args.command == services[name]["command"][0]
        assert args.host == "0.0.0.0", name
