"""organization.get_tags: the tags of a company's tasks and models."""

from __future__ import annotations

import uuid

from support.client import ApiClient


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def test_get_tags(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    assert tenant.organization.get_tags() == {"tags": []}
    tenant.tasks.create(name=unique("task"), type="training", tags=["b", "a"], system_tags=["development"])
    tenant.tasks.create(name=unique("task"), type="testing", tags=["old"], system_tags=["archived"])
    tenant.models.create(name=unique("model"), uri="u", tags=["m", "a"], system_tags=["sys"])
    stranger = make_tenant()
    stranger.tasks.create(name=unique("task"), type="training", tags=["foreign"])
    stranger.models.create(name=unique("model"), uri="u", tags=["public one"], public=True)

    assert tenant.organization.get_tags() == {"tags": ["a", "b", "m", "old"]}
    with_system = tenant.organization.get_tags(include_system=True)
    assert with_system == {"tags": ["a", "b", "m", "old"], "system_tags": ["archived", "development", "sys"]}
    active = tenant.organization.get_tags(filter={"system_tags": ["__$not", "archived"]})
    assert active == {"tags": ["a", "b", "m"]}
    only_sys = tenant.organization.get_tags(filter={"system_tags": ["sys", "development"]}, include_system=True)
    assert only_sys == {"tags": ["a", "b", "m"], "system_tags": ["development", "sys"]}
    no_system_tags = tenant.organization.get_tags(filter={"system_tags": [None]})
    assert no_system_tags == {"tags": []}
    assert stranger.organization.get_tags() == {"tags": ["foreign"]}


def test_get_tags_bad_input_and_versions(tenant: ApiClient) -> None:
    reply = tenant.call("organization.get_tags", {"include_system": "yes"})
    assert reply.code == (400, 12) and "include_system" in reply.meta["result_msg"]
    reply = tenant.call("organization.get_tags", {"filter": {"tags": "a"}})
    assert reply.code == (400, 12) and "filter.tags" in reply.meta["result_msg"]
    # one handler from 1.0: older paths reach it too
    assert tenant.with_version("2.1").call("organization.get_tags", {}).data == {"tags": []}
