"""Configuration precedence, provenance of errors, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.server import write_config

from stationmaster.config import ConfigError, load_config


def test_defaults_are_keyed_by_file_path() -> None:
    config = load_config(env={})
    assert config.get("apiserver.listen.port") == 8008
    assert config.get("services.tasks.non_responsive_tasks_watchdog.threshold_sec") == 7200
    assert config.get("hosts.mongo.backend.host") is None


def test_precedence_defaults_then_env_dirs_then_cli_dirs_then_env_vars(tmp_path: Path) -> None:
    trains = write_config(tmp_path / "trains", {"apiserver.conf": "threads: 2\nlisten.port: 1\n"})
    clearml = write_config(tmp_path / "clearml", {"apiserver.conf": "threads: 3\n"})
    cli = write_config(tmp_path / "cli", {"apiserver.conf": "threads: 4\ndefault_company_name: cli\n"})
    env = {"TRAINS_CONFIG_DIR": str(trains), "CLEARML_CONFIG_DIR": str(clearml)}
    config = load_config([cli], env=env)
    assert config.get("apiserver.threads") == 4
    assert config.get("apiserver.listen.port") == 1
    assert config.get("apiserver.listen.ip") == "127.0.0.1"  # merged, not replaced
    env["TRAINS__apiserver__threads"] = "5"
    assert load_config([cli], env=env).get("apiserver.threads") == 5
    env["CLEARML__APISERVER__THREADS"] = "6"  # CLEARML beats TRAINS; key path lower-cased
    assert load_config([cli], env=env).get("apiserver.threads") == 6
    env["STATIONMASTER__apiserver__threads"] = "7"
    assert load_config([cli], env=env).get("apiserver.threads") == 7


def test_env_values_are_hocon(tmp_path: Path) -> None:
    env = {
        "STATIONMASTER__apiserver__auth__legacy_default_credentials": "true",
        "STATIONMASTER__apiserver__return_stack_on_code": "[[500, 0], [500, 1]]",
        "STATIONMASTER__apiserver__default_company_name": "acme corp",
    }
    config = load_config(env=env)
    assert config.get("apiserver.auth.legacy_default_credentials") is True
    assert config.get("apiserver.return_stack_on_code") == ((500, 0), (500, 1))
    assert config.get("apiserver.default_company_name") == "acme corp"


def test_dash_prefix_replaces_a_section() -> None:
    env = {"STATIONMASTER__apiserver__-listen": "{ port: 9000 }"}
    config = load_config(env=env)
    assert config.get("apiserver.listen").to_dict() == {"port": 9000}


def test_bad_value_names_key_and_file(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "c", {"apiserver.conf": "threads: lots\n"})
    with pytest.raises(ConfigError) as info:
        load_config([conf], env={})
    assert "apiserver.threads" in str(info.value) and str(conf / "apiserver.conf") in str(info.value)


def test_bad_value_from_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env={"CLEARML__apiserver__listen__port": "99999"})
    assert "apiserver.listen.port" in str(info.value) and "$CLEARML__apiserver__listen__port" in str(info.value)


def test_unparsable_file_is_named(tmp_path: Path) -> None:
    conf = write_config(tmp_path / "c", {"services/events.conf": "a { b: \n"})
    with pytest.raises(ConfigError) as info:
        load_config([conf], env={})
    assert "events.conf" in str(info.value)


def test_missing_cli_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config([tmp_path / "nope"], env={})


def test_service_host_variables() -> None:
    env = {
        "CLEARML_MONGODB_SERVICE_HOST": "mongo",
        "CLEARML_MONGODB_SERVICE_PORT": "27018",
        "TRAINS_ELASTIC_SERVICE_HOST": "es",
        "CLEARML_REDIS_SERVICE_HOST": "redis",
        "CLEARML_REDIS_SERVICE_PORT": "6380",
    }
    config = load_config(env=env)
    assert config.get("hosts.mongo.backend.host") == "mongodb://mongo:27018/backend"
    assert config.get("hosts.mongo.auth.host") == "mongodb://mongo:27018/auth"
    assert config.get("hosts.elastic.events.hosts")[0]["host"] == "es"
    assert config.get("hosts.elastic.events.hosts")[0]["port"] == 9200
    assert config.get("hosts.redis.apiserver.host") == "redis"
    assert config.get("hosts.redis.workers.port") == 6380
    assert config.get("hosts.redis.workers.db") == 4


def test_service_host_replaces_host_in_configured_uri(tmp_path: Path) -> None:
    conf = write_config(
        tmp_path / "c",
        {
            "hosts.conf": 'mongo.backend.host: "mongodb://u:p@old:1/backend?x=1"\n'
            'mongo.auth.host: "mongodb://old/auth"\n'
        },
    )
    config = load_config([conf], env={"MONGODB_SERVICE_HOST": "new"})
    assert config.get("hosts.mongo.backend.host") == "mongodb://u:p@new:1/backend?x=1"
    assert config.get("hosts.mongo.auth.host") == "mongodb://new/auth"


def test_config_is_immutable() -> None:
    config = load_config(env={})
    section = config.get("apiserver.listen")
    with pytest.raises(TypeError):
        section._values["port"] = 1  # type: ignore[index]
    users = config.get("apiserver.auth.fixed_users.users")
    assert isinstance(users, tuple)


def test_parsed_defaults_are_cached_and_a_hit_parses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stationmaster.config import loader

    cache = tmp_path / "cache"
    first = load_config((), env={}, include_env_dirs=False, cache_dirs=[cache])
    assert [p.name.startswith("config-") for p in cache.iterdir()] == [True]

    def no_parse(*_: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(loader, "_parse", no_parse)
    again = load_config((), env={"STATIONMASTER__apiserver__listen__port": "9000"}, cache_dirs=[cache])
    assert again.get("apiserver.listen.port") == 9000
    assert again.get("services.tasks") == first.get("services.tasks")
    # the merged configuration is still checked on a hit
    with pytest.raises(ConfigError, match="apiserver.listen.port"):
        load_config((), env={"STATIONMASTER__apiserver__listen__port": "'x'"}, cache_dirs=[cache])


def test_loading_twice_does_not_change_the_parsed_defaults(tmp_path: Path) -> None:
    config_dir = write_config(tmp_path / "conf", {"apiserver.conf": "listen { port: 9100 }"})
    assert load_config([config_dir], env={}).get("apiserver.listen.port") == 9100
    assert load_config((), env={}).get("apiserver.listen.port") == 8008
