"""Hole 10 of issue 13: every action ran for any HTTP method (TRACE created tasks)."""

from __future__ import annotations

import uuid

import pytest
import requests
from support.client import ApiClient


@pytest.mark.parametrize("method", ["TRACE", "DELETE", "PATCH", "CONNECT", "PROPFIND"])
def test_a_method_no_client_sends_is_405_and_writes_nothing(tenant: ApiClient, method: str) -> None:
    """Before: 200 and a new task."""
    name = f"via {method} {uuid.uuid4().hex[:6]}"
    resp = tenant.session.request(
        method,
        tenant.url("tasks.create"),
        json={"name": name, "type": "training"},
        headers=tenant.auth_headers(),
        timeout=30,
    )
    assert resp.status_code == 405, resp.text
    assert resp.headers["Allow"] == "GET, POST, PUT, OPTIONS"
    assert resp.json()["meta"]["result_code"] == 405
    assert tenant.tasks.get_all(name=f"^{name}$")["tasks"] == []


def test_get_with_a_body_post_and_put_are_accepted(tenant: ApiClient) -> None:
    """The SDK sends GET by default, POST or PUT when configured so
    (CLEARML_API_DEFAULT_REQ_METHOD accepts get, post and put)."""
    for method in ("GET", "POST", "PUT"):
        reply = tenant.call("tasks.get_all", {"only_fields": ["id"]}, method=method)
        assert reply.status == 200, (method, reply.envelope)


def test_head_only_where_harmless(tenant: ApiClient) -> None:
    assert requests.head(tenant.url("debug.ping"), timeout=30).status_code == 200
    resp = requests.head(tenant.url("tasks.get_all"), headers=tenant.auth_headers(), timeout=30)
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, POST, PUT, OPTIONS"


def test_cors_preflight_is_answered(tenant: ApiClient) -> None:
    resp = requests.options(
        tenant.url("tasks.create"),
        headers={
            "Origin": "http://localhost:8080",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=30,
    )
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:8080")
    allowed = resp.headers["Access-Control-Allow-Methods"]
    assert "POST" in allowed and "GET" in allowed and "PUT" in allowed and "DELETE" not in allowed
