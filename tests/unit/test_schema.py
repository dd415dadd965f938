"""Schema loading: the real files, the meta-schema, inheritance, request shaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from stationmaster.config.parsed import user_cache_dirs
from stationmaster.protocol.versions import Version
from stationmaster.schema import SchemaError, load_schemas, loader


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return directory


def test_real_schemas_load_and_compile() -> None:
    repo = load_schemas(cache_dirs=user_cache_dirs())
    login = repo.action("auth.login")
    assert login is not None and login.authorize and login.allow_roles == ("*",)
    assert repo.action("debug.ping").authorize is False  # type: ignore[union-attr]
    assert repo.action("server.config").allow_roles == ("root", "system")  # type: ignore[union-attr]
    assert all(block.validator is not None for action in repo.actions() for block in action.versions)


def test_later_version_builds_on_earlier() -> None:
    info = load_schemas(cache_dirs=user_cache_dirs()).action("server.info")
    assert info is not None
    old, new = info.versions
    assert "uid" not in old.response["properties"] and "uid" in new.response["properties"]
    assert set(old.response["properties"]) < set(new.response["properties"])


#: later blocks that take a request of another shape, as the reference's (not a loss)
_RESHAPED = {("events.debug_images", "2.7"), ("events.get_task_log", "2.9")}


def _request_fields(schema: dict, definitions: dict) -> set[str]:
    while "$ref" in schema:
        schema = definitions[schema["$ref"].rpartition("/")[2]]
    fields = set(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        fields |= _request_fields(part, definitions)
    return fields


def test_a_later_request_keeps_the_earlier_fields() -> None:
    """A block that extends an earlier request (HOCON substitutions and merges) keeps
    every field of it: pyhocon once dropped the fields of a twice-extended definition
    (tasks.get_all_ex 2.27 had lost scroll_id, search_hidden and include_subprojects)."""
    repo = load_schemas(cache_dirs=user_cache_dirs())
    lost = []
    for action in repo.actions():
        definitions = repo.services[action.service].definitions
        earlier: set[str] | None = None
        for block in action.versions:
            fields = _request_fields(block.request or {}, definitions)
            if earlier is not None and not earlier <= fields and (action.name, str(block.version)) not in _RESHAPED:
                lost.append(f"{action.name} {block.version}: {sorted(earlier - fields)}")
            earlier = fields
    assert lost == []


def test_block_for_version() -> None:
    info = load_schemas(cache_dirs=user_cache_dirs()).action("server.info")
    assert info is not None
    assert info.block_for(Version(1, 0)).version == Version(2, 1)  # below all: the oldest
    assert info.block_for(Version(2, 7)).version == Version(2, 1)
    assert info.block_for(Version(2, 8)).version == Version(2, 8)
    assert info.block_for(Version(2, 10)).version == Version(2, 8)


MINIMAL = """
_description: "x"
act {
    "1.0" {
        description: "d"
        request { type: object, properties { a { type: integer, default: 5 }, s { type: string } } }
        response { type: object }
    }
}
"""


def test_meta_schema_error_names_file_and_key(tmp_path: Path) -> None:
    write(tmp_path, "svc.conf", MINIMAL.replace('description: "d"', "descr: 1"))
    with pytest.raises(SchemaError) as info:
        load_schemas(tmp_path)
    assert "svc.conf" in str(info.value) and "act.1.0" in str(info.value)


def test_bad_version_key_and_bad_flag(tmp_path: Path) -> None:
    write(tmp_path, "svc.conf", MINIMAL.replace('"1.0"', '"one"'))
    with pytest.raises(SchemaError, match="svc.conf"):
        load_schemas(tmp_path)
    write(tmp_path, "svc.conf", MINIMAL.replace("act {", "act {\n allow_roles: [emperor]"))
    with pytest.raises(SchemaError, match="act.allow_roles"):
        load_schemas(tmp_path)


def test_invalid_json_schema_and_unknown_ref(tmp_path: Path) -> None:
    write(tmp_path, "svc.conf", MINIMAL.replace("type: integer", "type: integr"))
    with pytest.raises(SchemaError, match="act.1.0.request"):
        load_schemas(tmp_path)
    write(tmp_path, "svc.conf", MINIMAL.replace("{ type: string }", '{ "$ref": "#/definitions/nope" }'))
    with pytest.raises(SchemaError, match="unknown reference"):
        load_schemas(tmp_path)


def test_unparsable_hocon(tmp_path: Path) -> None:
    write(tmp_path, "svc.conf", MINIMAL + "\n broken {")
    with pytest.raises(SchemaError, match="svc.conf: cannot parse"):
        load_schemas(tmp_path)


def test_batch_request_uses_target_schema(tmp_path: Path) -> None:
    write(
        tmp_path,
        "svc.conf",
        MINIMAL
        + """
many {
    "1.0" {
        description: "d"
        batch_request { action: act, version: "1.0" }
        response { type: object }
    }
}
bad {
    "1.0" {
        description: "d"
        batch_request { action: nosuch, version: "1.0" }
        response { type: object }
    }
}
""",
    )
    with pytest.raises(SchemaError, match="unknown action nosuch"):
        load_schemas(tmp_path)


def test_request_and_batch_request_are_exclusive(tmp_path: Path) -> None:
    write(
        tmp_path,
        "svc.conf",
        MINIMAL.replace(
            "response { type: object }", "batch_request { action: act, version: 1.0 }\nresponse { type: object }"
        ),
    )
    with pytest.raises(SchemaError):
        load_schemas(tmp_path)


def test_shaper_drops_nulls_and_fills_defaults(tmp_path: Path) -> None:
    write(tmp_path, "svc.conf", MINIMAL)
    block = load_schemas(tmp_path).action("svc.act").versions[0]  # type: ignore[union-attr]
    assert block.shaper is not None
    assert block.shaper.shape({"s": None, "x": None}) == {"a": 5, "x": None}
    assert block.shaper.shape({"a": 1}) == {"a": 1}


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home and user cache folders of the test's own, to see what is written there."""
    for name in ("HOME", "XDG_CACHE_HOME", "STATIONMASTER_CACHE_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "home" / name.lower()))
    return tmp_path / "home"


def test_cache_is_used_and_keyed_by_content(tmp_path: Path) -> None:
    services = write(tmp_path / "s", "svc.conf", MINIMAL)
    cache = tmp_path / "cache"
    load_schemas(services, [cache])
    files = list(cache.glob("schema-*.json"))
    assert len(files) == 1
    write(services, "svc.conf", MINIMAL.replace("default: 5", "default: 6"))
    block = load_schemas(services, [cache]).action("svc.act").versions[0]  # type: ignore[union-attr]
    assert block.request["properties"]["a"]["default"] == 6  # type: ignore[index]
    assert len(list(cache.glob("schema-*.json"))) == 2


def test_only_the_given_cache_folders_are_written(tmp_path: Path, private_home: Path) -> None:
    services = write(tmp_path / "s", "svc.conf", MINIMAL)
    load_schemas(services, [tmp_path / "cache"])
    load_schemas(services)
    assert len(list((tmp_path / "cache").glob("schema-*.json"))) == 1
    assert not private_home.exists(), list(private_home.rglob("*"))


def test_a_cache_hit_skips_the_checks_and_a_failed_check_is_never_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = write(tmp_path / "s", "svc.conf", MINIMAL)
    shared = tmp_path / "user-cache"
    load_schemas(services, [tmp_path / "cache", shared])
    assert len(list(shared.glob("schema-*.json"))) == 1

    def no_checks(*_: object) -> None:
        raise AssertionError("checked again")

    monkeypatch.setattr(loader, "_meta_validator", no_checks)
    monkeypatch.setattr(loader, "_check_json_schema", no_checks)
    assert load_schemas(services, [tmp_path / "other-data-dir-cache", shared]).action("svc.act") is not None
    monkeypatch.undo()

    bad = write(tmp_path / "bad", "svc.conf", MINIMAL.replace("type: integer", "type: integr"))
    for _ in range(2):  # the second load checks again: nothing was cached
        with pytest.raises(SchemaError):
            load_schemas(bad, [tmp_path / "cache2"])
    assert not list((tmp_path / "cache2").glob("schema-*.json"))
