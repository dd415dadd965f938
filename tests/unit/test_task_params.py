"""Hyper-parameter key escaping, the legacy parameter bridge and tag partitioning."""

from __future__ import annotations

import pytest

from stationmaster.bll.task.params import (
    escape_key,
    escape_path,
    prepare_for_output,
    prepare_for_save,
    unescape_key,
)
from stationmaster.bll.task.shaping import task_for_output
from stationmaster.protocol.errors import ApiError
from stationmaster.protocol.versions import Version


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("lr", "lr"),
        ("a.b", "a%2Eb"),
        ("$x", "%24x"),
        ("a__b", "a%_%_b"),
        ("_private", "%_private"),
        ("100%", "100%%"),
        ("__init__", "%_%_init%_%_"),
        ("_%", "%_%%"),
        ("%_a", "%%_a"),
    ],
)
def test_escape_round_trip(raw: str, stored: str) -> None:
    assert escape_key(raw) == stored
    assert "." not in stored and "$" not in stored and not stored.startswith("_")
    assert unescape_key(stored) == raw


def test_legacy_parameters_become_hyperparams() -> None:
    fields = {"execution": {"parameters": {"lr": 0.5, "TF_DEFINE/x": 1}, "model_desc": {"a.b": "net"}}}
    prepare_for_save(fields)
    assert "parameters" not in fields["execution"] and "model_desc" not in fields["execution"]
    assert fields["hyperparams"]["Args"]["lr"] == {"section": "Args", "name": "lr", "type": "legacy", "value": "0.5"}
    assert fields["hyperparams"]["TF_DEFINE"]["x"]["value"] == "1"
    assert fields["configuration"]["a%2Eb"]["name"] == "a.b"
    out = prepare_for_output(fields, legacy=True)
    assert out["execution"]["parameters"] == {"lr": "0.5", "TF_DEFINE/x": "1"}
    assert out["execution"]["model_desc"] == {"a.b": "net"}


def test_legacy_replaces_previous_legacy_items_only() -> None:
    previous = {
        "hyperparams": {
            "Args": {"old": {"name": "old", "type": "legacy", "value": "1"}, "kept": {"name": "kept", "value": "k"}}
        }
    }
    fields = {"execution": {"parameters": {"new": 2}}}
    prepare_for_save(fields, previous)
    assert set(fields["hyperparams"]["Args"]) == {"kept", "new"}


def test_empty_names_refused() -> None:
    with pytest.raises(ApiError) as info:
        prepare_for_save({"hyperparams": {"": {"a": {}}}})
    assert info.value.subcode == 12
    with pytest.raises(ApiError):
        prepare_for_save({"execution": {"parameters": {"TF_DEFINE/": 1}}})


def test_output_merges_tags_below_2_3_and_hides_origin() -> None:
    doc = {"tags": ["b"], "system_tags": ["archived"], "company_origin": "c"}
    assert task_for_output(dict(doc), Version(2, 2)) == {"tags": ["archived", "b"], "system_tags": ["archived"]}
    assert task_for_output(dict(doc), Version(2, 3)) == {"tags": ["b"], "system_tags": ["archived"]}


@pytest.mark.parametrize(
    ("path", "ordering", "stored"),
    [
        ("name", False, "name"),
        ("-last_update", True, "-last_update"),
        ("hyperparams.Args.lr", False, "hyperparams.Args.lr"),
        ("-hyperparams.a%2Eb.$x.value", True, "-hyperparams.a%2Eb.%24x.value"),
        ("configuration._c", False, "configuration.%_c"),
        ("execution.parameters.lr", False, "hyperparams.Args.lr"),
        ("-execution.parameters.a.b", True, "-hyperparams.Args.a%2Eb.value"),
        ("execution.model_desc.net", False, "configuration.net"),
    ],
)
def test_escape_paths(path: str, ordering: bool, stored: str) -> None:
    assert escape_path(path, ordering) == stored


def test_empty_legacy_leaves_stored_items_alone() -> None:
    previous = {"hyperparams": {"Args": {"lr": {"name": "lr", "value": "1"}}}}
    fields: dict = {"execution": {"parameters": {}, "model_desc": {}, "docker_cmd": "x"}}
    prepare_for_save(fields, previous)
    assert fields == {"execution": {"docker_cmd": "x"}}  # hyperparams are not rewritten
    previous["hyperparams"]["Args"]["old"] = {"name": "old", "type": "legacy", "value": "2"}
    prepare_for_save(fields := {"execution": {"parameters": {}}}, previous)
    assert fields["hyperparams"] == {"Args": {"lr": {"name": "lr", "value": "1"}}}  # legacy item removed
