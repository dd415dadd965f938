"""The wire protocol: routing, versions, bodies, headers, the envelope, errors."""

from __future__ import annotations

import json

import pytest
import requests
from support.client import ApiClient
from support.server import ServerProcess


def raw(server: ServerProcess, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(method, server.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path, requested, actual",
    [
        ("/debug.ping", "2.31", "1.0"),  # unversioned: the announced level
        ("/v2.9/debug.ping", "2.9", "1.0"),
        ("/v2.9/debug.ping/", "2.9", "1.0"),
        ("/v1.0/debug.ping", 1.0, 1.0),
        ("/v2.0/debug.ping", 2.0, 1.0),
        ("/v2.1/debug.ping", "2.1", "1.0"),
        ("/v2.10/debug.ping", "2.10", "1.0"),
        ("/v999.0/debug.ping", "999.0", "1.0"),
        ("/v24/debug.ping", "24.0", "1.0"),
    ],
)
def test_routing_and_version_fields(server: ServerProcess, path: str, requested: object, actual: object) -> None:
    resp = raw(server, "GET", path)
    assert resp.status_code == 200
    endpoint = resp.json()["meta"]["endpoint"]
    assert endpoint == {"name": "debug.ping", "requested_version": requested, "actual_version": actual}


def test_newest_handler_for_versions_above_maximum(server: ServerProcess) -> None:
    # server.info has handlers 1.0 and 2.8; an agent-style /v2.14/ gets the 2.8 one.
    assert "uid" in raw(server, "GET", "/v2.14/server.info").json()["data"]
    assert "uid" not in raw(server, "GET", "/v2.7/server.info").json()["data"]
    assert "uid" in raw(server, "GET", "/server.info").json()["data"]


def test_version_below_every_handler_is_404(server: ServerProcess) -> None:
    resp = raw(server, "POST", "/v2.1/auth.logout")  # handlers start at 2.2
    meta = resp.json()["meta"]
    assert resp.status_code == 404 and (meta["result_code"], meta["result_subcode"]) == (404, 0)
    assert "auth.logout" in meta["result_msg"] and meta["endpoint"]["actual_version"] is None


@pytest.mark.parametrize("path", ["/nosuch.action", "/v2.9/tasks.nosuch", "/debug.pingx", "/favicon.ico"])
def test_unknown_endpoint_is_404(server: ServerProcess, path: str) -> None:
    resp = raw(server, "GET", path)
    assert resp.status_code == 404
    assert resp.json()["meta"]["result_code"] == 404


@pytest.mark.parametrize("path", ["/v2.x/debug.ping", "/v2.9.1/debug.ping", "/v/debug.ping", "/vabc/debug.ping"])
def test_unparsable_version_is_400_2(server: ServerProcess, path: str) -> None:
    resp = raw(server, "GET", path)
    meta = resp.json()["meta"]
    assert resp.status_code == 400 and (meta["result_code"], meta["result_subcode"]) == (400, 2)


@pytest.mark.parametrize("path", ["/", "/debug", "/a/b/c.d", "/v2.9/"])
def test_path_that_is_not_an_action_is_400(server: ServerProcess, path: str) -> None:
    resp = raw(server, "GET", path)
    assert resp.status_code == 400
    assert resp.json()["meta"]["result_code"] == 400


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"])
def test_get_and_post_with_json_body(server: ServerProcess, root_api: ApiClient, method: str) -> None:
    """GET, POST and PUT (the SDK's three request methods) run the action; other methods
    are 405 with Allow (issue 13, hole 10: they ran it too, TRACE included)."""
    resp = raw(
        server,
        method,
        "/users.get_by_id",
        data=json.dumps({"user": "__admin__"}),
        headers={"Authorization": f"Bearer {root_api.token}", "Content-Type": "text/plain"},
    )
    if method in ("GET", "POST", "PUT"):
        assert resp.status_code == 200, resp.text
        assert resp.json()["data"]["user"]["id"] == "__admin__"
    else:
        assert resp.status_code == 405 and resp.headers["Allow"] == "GET, POST, PUT, OPTIONS", resp.text
        assert resp.json()["meta"]["result_code"] == 405


def test_envelope_shape(server: ServerProcess) -> None:
    resp = raw(server, "GET", "/debug.ping")
    body = resp.json()
    assert resp.headers["Content-Type"].startswith("application/json")
    assert set(body) == {"meta", "data"}
    meta = body["meta"]
    assert meta["result_code"] == 200 and meta["result_subcode"] == 0 and meta["result_msg"] == "OK"
    assert meta["error_stack"] == "" and len(meta["id"]) == 32 and meta["trx"] == meta["id"]


def test_error_envelope_has_null_stack_and_empty_data(anon: ApiClient) -> None:
    reply = anon.call("users.get_current_user")
    assert reply.status == 401 and reply.code == (401, 20)
    assert reply.meta["error_stack"] is None and reply.envelope["data"] == {}


@pytest.mark.parametrize("header", ["X-Clearml-Trx", "x-trains-trx", "X-TRAINS-TRX"])
def test_trx_header_is_echoed_case_insensitively(server: ServerProcess, header: str) -> None:
    resp = raw(server, "GET", "/debug.ping", headers={header: "my-trx"})
    assert resp.json()["meta"]["trx"] == "my-trx"


@pytest.mark.parametrize(
    "body, fragment",
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "not an array"), (b'"text"', "not a string"), (b"17", "number")],
)
def test_malformed_or_non_object_body_is_400(server: ServerProcess, body: bytes, fragment: str) -> None:
    resp = raw(server, "POST", "/debug.ping", data=body)
    meta = resp.json()["meta"]
    assert resp.status_code == 400 and meta["result_code"] == 400
    assert fragment in meta["result_msg"]


def test_query_string_is_merged_and_coerced(root_api: ApiClient) -> None:
    resp = requests.get(
        f"{root_api.base_url}/auth.login?expiration_sec=120",
        headers={"Authorization": root_api.auth_headers()["Authorization"]},
        timeout=10,
    )
    import jwt

    claims = jwt.decode(resp.json()["data"]["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_query_string_nests_dotted_keys(root_api: ApiClient) -> None:
    # users.set_preferences?preferences.a=1 sets {"a": 1}
    headers = {"Authorization": f"Bearer {root_api.token}"}
    user = root_api.auth.create_user(name="query user", company="d1bd92a3b039400cbafc60a7a5b1e52b")["id"]
    resp = requests.get(
        f"{root_api.base_url}/users.set_preferences?preferences.color=3&preferences.on=true",
        headers={**headers, "X-Clearml-Impersonate-As": user},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert root_api.impersonate(user).users.get_preferences()["preferences"] == {"color": 3, "on": True}


def test_validation_missing_required_field_names_it(root_api: ApiClient) -> None:
    reply = root_api.call("users.get_by_id", {})
    assert reply.code == (400, 12)
    assert "user" in reply.meta["result_msg"] and "required" in reply.meta["result_msg"]


def test_validation_wrong_type_names_the_field(root_api: ApiClient) -> None:
    reply = root_api.call("users.set_preferences", {"preferences": [1]})
    assert reply.code == (400, 12)
    assert "preferences" in reply.meta["result_msg"]


def test_validation_of_nested_field_names_the_path(root_api: ApiClient) -> None:
    reply = root_api.call("auth.create_user", {"name": "x", "company": "c", "role": "emperor"})
    assert reply.code == (400, 12) and "role" in reply.meta["result_msg"]


def test_unknown_fields_are_ignored(root_api: ApiClient) -> None:
    reply = root_api.call("users.get_by_id", {"user": "__admin__", "method": "get", "whatever": {"x": 1}})
    assert reply.status == 200


def test_null_in_optional_field_counts_as_absent(root_api: ApiClient) -> None:
    reply = root_api.call("auth.login", {"expiration_sec": None})
    assert reply.status == 200 and reply.data["token"]


def test_json_lines_to_a_single_action_with_one_line(root_api: ApiClient) -> None:
    reply = root_api.call("users.get_by_id", batch=[{"user": "__admin__"}])
    assert reply.status == 200 and reply.data["user"]["id"] == "__admin__"


def test_json_lines_with_bad_line_names_it(root_api: ApiClient) -> None:
    resp = requests.post(
        f"{root_api.base_url}/users.get_by_id",
        data=b'{"user": "x"}\n{broken\n',
        headers={"Authorization": f"Bearer {root_api.token}", "Content-type": "application/json-lines"},
        timeout=10,
    )
    assert resp.status_code == 400
    assert "line 2" in resp.json()["meta"]["result_msg"]


def test_compressed_request_body_is_415(server: ServerProcess) -> None:
    resp = raw(server, "POST", "/debug.ping", data=b"\x1f\x8b", headers={"Content-Encoding": "gzip"})
    assert resp.status_code == 415 and resp.json()["meta"]["result_code"] == 415


def test_options_preflight(server: ServerProcess) -> None:
    resp = raw(
        server,
        "OPTIONS",
        "/tasks.get_all",
        headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status_code == 200
    assert resp.headers.get("Access-Control-Allow-Origin")


def test_openapi_document_lists_every_action(server: ServerProcess, root_api: ApiClient) -> None:
    doc = raw(server, "GET", "/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    endpoints = root_api.server.endpoints()["endpoints"]
    assert set(doc["paths"]) == {f"/{name}" for name in endpoints}
    login = doc["paths"]["/auth.login"]["post"]
    assert login["x-versions"] == ["2.1"]
    refs = json.dumps(doc)
    assert "#/definitions/" not in refs
