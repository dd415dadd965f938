"""organization.prepare_download_for_get_all + download_for_get_all (API 2.26): a CSV of
a tasks or models get_all_ex query, as the web app's "export to CSV" asks for it."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import requests
from support.client import ApiClient

V = "2.26"


def _ok(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> dict[str, Any]:
    reply = api.call(action, data, version=version)
    assert reply.status == 200, reply.envelope["meta"].get("result_msg")
    return reply.data


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _project(api: ApiClient, name: str) -> str:
    return str(_ok(api, "projects.create", {"name": name, "description": ""})["id"])


def test_tasks_csv_with_columns_values_and_joins(tenant: ApiClient) -> None:
    base = f"export {uuid.uuid4().hex[:6]}"
    project = _project(tenant, base)
    hyper = {"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}}
    first = _ok(
        tenant, "tasks.create", {"name": "first run", "type": "training", "project": project, "hyperparams": hyper}
    )["id"]
    second = _ok(tenant, "tasks.create", {"name": "=HYPERLINK(1)", "type": "testing", "project": project})["id"]
    _ok(tenant, "tasks.started", {"task": second})
    request = {
        "entity_type": "task",
        "project": [project],
        "only_fields": ["id", "name", "status", "project.name", "hyperparams.Args.lr"],
        "order_by": ["name"],
        "field_mappings": [
            {"field": "id"},
            {"field": "name", "name": "Name"},
            {"field": "status", "name": "Status", "values": [{"key": "created", "value": "Draft"}]},
            {"field": "project.name", "name": "Project"},
            {"field": "hyperparams.Args.lr.value", "name": "lr"},
        ],
    }
    prepare_id = _ok(tenant, "organization.prepare_download_for_get_all", request)["prepare_id"]
    reply = tenant.call("organization.download_for_get_all", {"prepare_id": prepare_id}, version=V)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert f'filename="clearml-{base}-tasks.csv"' in reply.headers["Content-Disposition"]
    rows = _rows(reply.envelope["raw"])
    assert rows[0] == ["id", "Name", "Status", "Project", "lr"]
    # a cell a spreadsheet would run as a formula is quoted with a "'"
    assert rows[1:] == [[second, "'=HYPERLINK(1)", "in_progress", base, ""], [first, "first run", "Draft", base, "0.1"]]
    # the web app opens the download as a link: GET with the id in the query, same answer
    url = tenant.url("organization.download_for_get_all", V) + f"?prepare_id={prepare_id}"
    got = requests.get(url, headers={"Authorization": f"Bearer {tenant.token}"}, timeout=30)
    assert got.status_code == 200 and _rows(got.content.decode("utf-8")) == rows


def test_models_csv_and_an_empty_query(tenant: ApiClient) -> None:
    mark = f"exported {uuid.uuid4().hex[:6]}"
    model = _ok(tenant, "models.create", {"name": mark, "uri": "file:///m.pt", "framework": "pytorch"})["id"]
    request = {"entity_type": "model", "name": f"^{mark}$", "field_mappings": [{"field": "id"}, {"field": "framework"}]}
    prepare_id = _ok(tenant, "organization.prepare_download_for_get_all", request)["prepare_id"]
    reply = tenant.call("organization.download_for_get_all", {"prepare_id": prepare_id}, version=V)
    assert 'filename="clearml-models.csv"' in reply.headers["Content-Disposition"]
    assert _rows(reply.envelope["raw"]) == [["id", "framework"], [model, "pytorch"]]
    none = {**request, "name": "^no such model at all$"}
    prepare_id = _ok(tenant, "organization.prepare_download_for_get_all", none)["prepare_id"]
    reply = tenant.call("organization.download_for_get_all", {"prepare_id": prepare_id}, version=V)
    assert _rows(reply.envelope["raw"]) == [["id", "framework"]]


def test_a_value_key_may_be_an_array_or_an_object(tenant: ApiClient) -> None:
    """Fuzzed: a key that is a JSON array or object was a 500 (unhashable)."""
    mark = f"keyed {uuid.uuid4().hex[:6]}"
    _ok(tenant, "tasks.create", {"name": mark, "type": "training", "tags": ["a", "b"]})
    values = [{"key": ["a", "b"], "value": "both"}, {"key": {"x": 1}, "value": "never"}]
    request = {
        "entity_type": "task",
        "name": f"^{mark}$",
        "only_fields": ["name", "tags"],
        "field_mappings": [{"field": "name"}, {"field": "tags", "values": values}],
    }
    prepare_id = _ok(tenant, "organization.prepare_download_for_get_all", request)["prepare_id"]
    reply = tenant.call("organization.download_for_get_all", {"prepare_id": prepare_id}, version=V)
    assert _rows(reply.envelope["raw"]) == [["name", "tags"], [mark, "both"]]
    twice = [{"field": "tags", "values": [{"key": {"x": 1, "y": 2}}, {"key": {"y": 2, "x": 1}}]}]
    reply = tenant.call("organization.prepare_download_for_get_all", {**request, "field_mappings": twice}, version=V)
    assert reply.code == (400, 12) and "value key" in reply.meta["result_msg"]


def test_refusals(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    mappings = [{"field": "id"}]
    prepared = {"entity_type": "task", "field_mappings": mappings}
    prepare_id = _ok(tenant, "organization.prepare_download_for_get_all", prepared)["prepare_id"]
    # another company cannot read it; an unknown id is 400/10
    stranger = make_tenant()
    assert stranger.call("organization.download_for_get_all", {"prepare_id": prepare_id}, version=V).code == (400, 10)
    assert tenant.call("organization.download_for_get_all", {"prepare_id": "nope"}, version=V).code == (400, 10)
    twice = {**prepared, "field_mappings": [{"field": "id"}, {"field": "name", "name": "id"}]}
    reply = tenant.call("organization.prepare_download_for_get_all", twice, version=V)
    assert reply.code == (400, 12) and "id" in reply.meta["result_msg"]
    keys = [{"field": "status", "values": [{"key": "a", "value": "x"}, {"key": "a", "value": "y"}]}]
    reply = tenant.call("organization.prepare_download_for_get_all", {**prepared, "field_mappings": keys}, version=V)
    assert reply.code == (400, 12) and "value key" in reply.meta["result_msg"]
    reply = tenant.call("organization.prepare_download_for_get_all", {**prepared, "entity_type": "queue"}, version=V)
    assert reply.code == (400, 12) and "entity_type" in reply.meta["result_msg"]
    reply = tenant.call("organization.prepare_download_for_get_all", {"entity_type": "task"}, version=V)
    assert reply.code == (400, 12) and "field_mappings" in reply.meta["result_msg"]
    # the query is checked when prepared: a bad filter is refused then, not in the download
    bad_query = {**prepared, "status_changed": ["not a date"]}
    assert tenant.call("organization.prepare_download_for_get_all", bad_query, version=V).status == 400
