"""tasks.* on several tasks at once and the 2.10-2.27 task actions beyond v0.16.1: the
``*_many`` batch actions (2.13), archive / move (2.12), update_tags (2.27),
delete_artifacts (2.10), get_by_id_ex (2.11), enqueue by queue name (2.20) with
verify_watched_queue (2.22), and the urls / delete_output_models of delete and reset (2.13)."""

from __future__ import annotations

import uuid
from typing import Any

from support.client import ApiClient
from support.events_api import add, image

V = "2.23"
MISSING = "0" * 32


def unique(prefix: str = "t") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _ok(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> dict[str, Any]:
    reply = api.call(f"tasks.{action}", data, version=version)
    assert reply.status == 200, reply.envelope["meta"].get("result_msg")
    return reply.data


def _task(api: ApiClient, **fields: Any) -> str:
    return str(_ok(api, "create", {"name": unique(), "type": "training", **fields})["id"])


def _get(api: ApiClient, task_id: str) -> dict[str, Any]:
    return dict(_ok(api, "get_by_id", {"task": task_id})["task"])


def _queue(api: ApiClient, name: str | None = None) -> str:
    return str(api.queues.create(name=name or unique("q"))["id"])


def _failure(answer: dict[str, Any], task_id: str) -> list[int]:
    [failed] = [f for f in answer["failed"] if f["id"] == task_id]
    return list(failed["error"]["codes"])


def test_archive_many_dequeues_and_unarchive_many(tenant: ApiClient) -> None:
    queue = _queue(tenant)
    queued, draft = _task(tenant), _task(tenant)
    _ok(tenant, "enqueue", {"task": queued, "queue": queue})
    answer = _ok(tenant, "archive_many", {"ids": [queued, draft, MISSING], "status_reason": "tidy"})
    assert sorted(s["id"] for s in answer["succeeded"]) == sorted([queued, draft])
    assert all(s["archived"] is True for s in answer["succeeded"])
    assert _failure(answer, MISSING) == [400, 101]
    task = _get(tenant, queued)
    assert "archived" in task["system_tags"] and task["status"] == "created"
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []
    answer = _ok(tenant, "unarchive_many", {"ids": [queued]})
    assert answer["succeeded"] == [{"id": queued, "unarchived": True}] and answer["failed"] == []
    assert "archived" not in _get(tenant, queued)["system_tags"]
    # the reference's handler serves every version (its schema block is 2.13's); bad input
    assert tenant.call("tasks.archive_many", {"ids": [draft]}, version="2.1").status == 200
    assert tenant.call("tasks.archive_many", {"ids": []}, version=V).code == (400, 12)
    assert tenant.call("tasks.archive_many", {}, version=V).code == (400, 12)


def test_archive_is_all_or_none(tenant: ApiClient) -> None:
    a, b = _task(tenant), _task(tenant)
    reply = tenant.call("tasks.archive", {"tasks": [a, MISSING]}, version="2.12")
    assert reply.code == (400, 101)
    assert "archived" not in _get(tenant, a)["system_tags"]
    assert _ok(tenant, "archive", {"tasks": [a, b, a]}, "2.12") == {"archived": 2}
    assert all("archived" in _get(tenant, t)["system_tags"] for t in (a, b))
    assert tenant.call("tasks.archive", {"tasks": [a]}, version="2.1").status == 200


def test_stop_publish_and_dequeue_many(tenant: ApiClient) -> None:
    running, draft = _task(tenant), _task(tenant)
    _ok(tenant, "started", {"task": running})
    answer = _ok(tenant, "stop_many", {"ids": [running, draft], "status_reason": "enough"})
    [stopped] = answer["succeeded"]
    assert stopped["id"] == running and stopped["updated"] == 1 and stopped["fields"]["status"] == "stopped"
    assert _failure(answer, draft) == [400, 110]
    answer = _ok(tenant, "publish_many", {"ids": [running, draft]})
    assert [s["id"] for s in answer["succeeded"]] == [running]
    assert _get(tenant, running)["status"] == "published"
    assert _failure(answer, draft) == [400, 110]
    assert _ok(tenant, "publish_many", {"ids": [draft], "force": True})["succeeded"][0]["updated"] == 1
    queue = _queue(tenant)
    queued, other = _task(tenant), _task(tenant)
    _ok(tenant, "enqueue", {"task": queued, "queue": queue})
    answer = _ok(tenant, "dequeue_many", {"ids": [queued, other]})
    assert answer["succeeded"][0]["id"] == queued and answer["succeeded"][0]["dequeued"] is True
    assert _get(tenant, queued)["status"] == "created"
    assert [f["id"] for f in answer["failed"]] == [other]


def test_enqueue_many_by_queue_name_and_watched_queue(tenant: ApiClient) -> None:
    name = unique("by name")
    a, b, published = _task(tenant), _task(tenant), _task(tenant)
    _ok(tenant, "publish", {"task": published, "force": True})
    answer = _ok(tenant, "enqueue_many", {"ids": [a, b, published], "queue_name": name, "verify_watched_queue": True})
    assert sorted(s["id"] for s in answer["succeeded"]) == sorted([a, b])
    assert all(s["queued"] is True for s in answer["succeeded"])
    assert _failure(answer, published) == [400, 110]
    assert answer["queue_watched"] is False
    [queue] = tenant.queues.get_all(name=f"^{name}$")["queues"]
    assert [e["task"] for e in queue["entries"]] == [a, b]
    # a worker listening to the queue: watched; the same name again: the same queue
    tenant.workers.register(worker=unique("w"), queues=[queue["id"]])
    c = _task(tenant)
    answer = _ok(tenant, "enqueue_many", {"ids": [c], "queue_name": name, "verify_watched_queue": True})
    assert answer["queue_watched"] is True
    assert _get(tenant, c)["execution"]["queue"] == queue["id"]
    conflict = tenant.call("tasks.enqueue_many", {"ids": [c], "queue": queue["id"], "queue_name": name}, version=V)
    assert conflict.code == (400, 15) and "queue_name" in conflict.meta["result_msg"]


def test_enqueue_by_name_from_2_20_and_watched_from_2_22(tenant: ApiClient) -> None:
    name = unique("named")
    task = _task(tenant)
    answer = _ok(tenant, "enqueue", {"task": task, "queue_name": name, "verify_watched_queue": True}, "2.22")
    assert answer["queued"] == 1 and answer["queue_watched"] is False
    [queue] = tenant.queues.get_all(name=f"^{name}$")["queues"]
    assert _get(tenant, task)["execution"]["queue"] == queue["id"]
    # 2.20 takes the name but answers no queue_watched
    other = _task(tenant)
    answer = _ok(tenant, "enqueue", {"task": other, "queue_name": name, "verify_watched_queue": True}, "2.20")
    assert "queue_watched" not in answer and _get(tenant, other)["execution"]["queue"] == queue["id"]
    both = tenant.call("tasks.enqueue", {"task": _task(tenant), "queue": queue["id"], "queue_name": name}, version=V)
    assert both.code == (400, 15)
    # 2.9 does not know queue_name (dropped): the default queue, or 400/707 without one
    old = _task(tenant)
    default = tenant.call("tasks.enqueue", {"task": old, "queue_name": name}, version="2.9")
    assert default.status == 200 or default.code == (400, 707)
    if default.status == 200:
        assert _get(tenant, old)["execution"]["queue"] != queue["id"]


def _task_with_files(api: ApiClient) -> tuple[str, str]:
    """A task with an output artifact, an input one, an output model and a debug image."""
    task = _task(api)
    artifacts = [
        {"key": "out", "type": "blob", "mode": "output", "uri": "http://files/out.bin"},
        {"key": "in", "type": "blob", "mode": "input", "uri": "http://files/in.bin"},
    ]
    _ok(api, "add_or_update_artifacts", {"task": task, "artifacts": artifacts})
    model = str(api.models.create(name=unique("m"), uri="http://files/model.pt", task=task, ready=False)["id"])
    add(api, [image(task, 1, "http://files/img1.png"), image(task, 2, "http://files/img2.png")])
    return task, model


def test_delete_and_reset_answer_file_urls_from_2_13(tenant: ApiClient) -> None:
    task, model = _task_with_files(tenant)
    answer = _ok(tenant, "reset", {"task": task, "return_file_urls": True}, "2.13")
    assert answer["urls"] == {
        "model_urls": ["http://files/model.pt"],
        "event_urls": ["http://files/img1.png", "http://files/img2.png"],
        "artifact_urls": ["http://files/out.bin"],
    }
    assert answer["deleted_models"] == 1
    assert tenant.call("models.get_by_id", {"model": model}).code == (400, 201)
    # below 2.13 the flag is not part of the request: no urls
    task, _ = _task_with_files(tenant)
    assert "urls" not in _ok(tenant, "delete", {"task": task, "return_file_urls": True}, "2.9")


def test_delete_output_models_false_keeps_the_models(tenant: ApiClient) -> None:
    task, model = _task_with_files(tenant)
    answer = _ok(tenant, "delete", {"task": task, "delete_output_models": False, "return_file_urls": True})
    assert answer["deleted"] is True and answer["deleted_models"] == 0 and answer["updated_models"] == 1
    assert answer["urls"]["model_urls"] == []
    assert tenant.models.get_by_id(model=model)["model"]["task"] == f"__DELETED__{task}"


def test_reset_and_delete_many(tenant: ApiClient) -> None:
    queue = _queue(tenant)
    queued, (with_files, _model), running = _task(tenant), _task_with_files(tenant), _task(tenant)
    _ok(tenant, "enqueue", {"task": queued, "queue": queue})
    _ok(tenant, "started", {"task": running})
    answer = _ok(tenant, "reset_many", {"ids": [queued, with_files], "return_file_urls": True})
    by_id = {s["id"]: s for s in answer["succeeded"]}
    assert by_id[queued]["dequeued"] is True and by_id[with_files]["dequeued"] is False
    assert by_id[with_files]["urls"]["artifact_urls"] == ["http://files/out.bin"]
    assert by_id[with_files]["deleted_models"] == 1
    assert _get(tenant, queued)["status"] == "created"
    answer = _ok(tenant, "delete_many", {"ids": [queued, running, MISSING]})
    assert [s["id"] for s in answer["succeeded"]] == [queued] and answer["succeeded"][0]["deleted"] is True
    assert _failure(answer, running) == [400, 123] and _failure(answer, MISSING) == [400, 101]
    assert tenant.call("tasks.get_by_id", {"task": queued}).code == (400, 101)
    assert _ok(tenant, "delete_many", {"ids": [running], "force": True})["succeeded"][0]["deleted"] is True


def test_move_to_a_project_by_id_name_or_none(tenant: ApiClient) -> None:
    a, b = _task(tenant), _task(tenant)
    target = str(tenant.projects.create(name=unique("p"), description="")["id"])
    assert _ok(tenant, "move", {"ids": [a, b], "project": target}, "2.12") == {"project_id": target}
    assert _get(tenant, a)["project"] == target and _get(tenant, b)["project"] == target
    name = unique("new project")
    moved = _ok(tenant, "move", {"ids": [a], "project_name": name})["project_id"]
    [project] = tenant.projects.get_all(name=f"^{name}$")["projects"]
    assert moved == project["id"] and _get(tenant, a)["project"] == moved
    assert _ok(tenant, "move", {"ids": [b], "project_name": name})["project_id"] == moved  # found, not created
    assert _ok(tenant, "move", {"ids": [b], "project": None}) == {"project_id": None}
    assert "project" not in _get(tenant, b) or _get(tenant, b)["project"] in (None, "")
    assert tenant.call("tasks.move", {"ids": [a]}, version=V).code == (400, 11)
    assert tenant.call("tasks.move", {"ids": [a], "project": MISSING}, version=V).code == (400, 401)
    assert tenant.call("tasks.move", {"ids": [a], "project": target}, version="2.1").status == 200


def test_update_tags(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    a, b = _task(tenant, tags=["keep", "old"]), _task(tenant)
    answer = _ok(tenant, "update_tags", {"ids": [a, b, MISSING], "add_tags": ["new"], "remove_tags": ["old"]}, "2.27")
    assert answer == {"updated": 2}
    assert _get(tenant, a)["tags"] == ["keep", "new"] and _get(tenant, b)["tags"] == ["new"]
    stranger = make_tenant()
    assert _ok(stranger, "update_tags", {"ids": [a], "add_tags": ["x"]}, "2.27") == {"updated": 0}
    assert "x" not in _get(tenant, a)["tags"]
    assert _ok(tenant, "update_tags", {"ids": [a], "remove_tags": ["new"]}, "2.1") == {"updated": 1}


def test_delete_artifacts_from_2_10(tenant: ApiClient) -> None:
    task, _ = _task_with_files(tenant)
    request = {"task": task, "artifacts": [{"key": "out"}, {"key": "in", "mode": "input"}, {"key": "nope"}]}
    assert _ok(tenant, "delete_artifacts", request, "2.10") == {"deleted": 2}
    assert _get(tenant, task)["execution"]["artifacts"] == []
    assert _ok(tenant, "delete_artifacts", request, "2.10") == {"deleted": 0}
    # only a draft or running task's, unless forced
    other, _ = _task_with_files(tenant)
    _ok(tenant, "completed", {"task": other, "force": True})
    refused = tenant.call("tasks.delete_artifacts", {"task": other, "artifacts": [{"key": "out"}]}, version=V)
    assert refused.code == (400, 110)
    assert _ok(tenant, "delete_artifacts", {"task": other, "artifacts": [{"key": "out"}], "force": True}) == {
        "deleted": 1
    }
    bad = tenant.call("tasks.delete_artifacts", {"task": other, "artifacts": [{"mode": "output"}]}, version=V)
    assert bad.code == (400, 12) and "key" in bad.meta["result_msg"]
    assert tenant.call("tasks.delete_artifacts", {"task": other, "artifacts": []}, version="2.9").status == 404


def test_get_by_id_ex(tenant: ApiClient) -> None:
    project = str(tenant.projects.create(name=unique("p"), description="")["id"])
    a, b = _task(tenant, project=project), _task(tenant)
    answer = _ok(tenant, "get_by_id_ex", {"id": [a, b], "only_fields": ["id", "name", "project.name"]}, "2.11")
    by_id = {t["id"]: t for t in answer["tasks"]}
    assert set(by_id) == {a, b} and by_id[a]["project"]["id"] == project and "name" in by_id[a]["project"]
    assert tenant.call("tasks.get_by_id_ex", {}, version="2.11").code == (400, 12)


def test_add_or_update_artifacts_from_2_10_answers_updated_and_checks_the_status(tenant: ApiClient) -> None:
    task = _task(tenant)
    artifact = {"key": "a", "type": "blob", "uri": "http://files/a"}
    assert _ok(tenant, "add_or_update_artifacts", {"task": task, "artifacts": [artifact]}, "2.10") == {"updated": 1}
    # clearml 2.1 (v2.23) reads `updated` as a number and sends force
    assert _ok(tenant, "add_or_update_artifacts", {"task": task, "artifacts": [artifact]}) == {"updated": 1}
    _ok(tenant, "completed", {"task": task, "force": True})
    again = {"task": task, "artifacts": [{**artifact, "key": "b"}]}
    assert tenant.call("tasks.add_or_update_artifacts", again, version=V).code == (400, 110)
    assert _ok(tenant, "add_or_update_artifacts", {**again, "force": True}) == {"updated": 1}
    assert [a["key"] for a in _get(tenant, task)["execution"]["artifacts"]] == ["a", "b"]
    # 2.9 as v0.16.1: the keys added and updated, any status
    old = _ok(tenant, "add_or_update_artifacts", {"task": task, "artifacts": [{**artifact, "key": "c"}]}, "2.9")
    assert old == {"added": ["c"], "updated": []}


def test_completed_with_publish_from_2_20(tenant: ApiClient) -> None:
    task = _task(tenant)
    _ok(tenant, "started", {"task": task})
    answer = _ok(tenant, "completed", {"task": task, "publish": True}, "2.20")
    assert answer["updated"] == 1 and answer["published"] == 1
    assert _get(tenant, task)["status"] == "published"
    other = _task(tenant)
    _ok(tenant, "started", {"task": other})
    assert "published" not in _ok(tenant, "completed", {"task": other, "publish": True}, "2.13")  # not read there
    assert _get(tenant, other)["status"] == "completed"


def test_get_configuration_names_skips_empty_items_from_2_13(tenant: ApiClient) -> None:
    task = _task(tenant, configuration={"full": {"name": "full", "value": "x"}, "empty": {"name": "empty"}})
    [names] = _ok(tenant, "get_configuration_names", {"tasks": [task]}, "2.13")["configurations"]
    assert names == {"task": task, "names": ["full"]}
    [names] = _ok(tenant, "get_configuration_names", {"tasks": [task], "skip_empty": False}, "2.13")["configurations"]
    assert names["names"] == ["empty", "full"]
    [names] = _ok(tenant, "get_configuration_names", {"tasks": [task]}, "2.9")["configurations"]
    assert names["names"] == ["empty", "full"]


def test_clone_into_a_project_by_name_from_2_13(tenant: ApiClient) -> None:
    source = _task(tenant)
    name = unique("clones")
    clone = _ok(tenant, "clone", {"task": source, "new_project_name": name}, "2.13")["id"]
    [project] = tenant.projects.get_all(name=f"^{name}$")["projects"]
    assert _get(tenant, clone)["project"] == project["id"]
    again = _ok(tenant, "clone", {"task": source, "new_project_name": name}, "2.13")["id"]
    assert _get(tenant, again)["project"] == project["id"]
    target = str(tenant.projects.create(name=unique("p"), description="")["id"])
    third = _ok(tenant, "clone", {"task": source, "new_project_name": name, "new_task_project": target})["id"]
    assert _get(tenant, third)["project"] == target


def test_get_all_leaves_hidden_tasks_out_from_2_10(tenant: ApiClient) -> None:
    mark = unique("hid")
    shown, hidden = _task(tenant, comment=mark), _task(tenant, comment=mark, system_tags=["hidden"])
    query = {"comment": mark, "only_fields": ["id"]}

    def ids(version: str, **more: Any) -> set[str]:
        return {t["id"] for t in _ok(tenant, "get_all", {**query, **more}, version)["tasks"]}

    assert ids("2.9") == {shown, hidden}  # as v0.16.1
    assert ids("2.10") == {shown} and ids(V) == {shown}
    assert ids(V, search_hidden=True) == {shown, hidden}
    assert ids(V, id=[hidden]) == {hidden}
    ex = _ok(tenant, "get_all_ex", {**query, "search_hidden": False}, V)["tasks"]
    assert {t["id"] for t in ex} == {shown}


def test_get_all_scrolls_from_2_15(tenant: ApiClient) -> None:
    mark = unique("scroll")
    made = [_task(tenant, comment=mark) for _ in range(5)]
    query = {"comment": mark, "only_fields": ["id"], "size": 2}
    seen: list[str] = []
    answer = _ok(tenant, "get_all", query, "2.15")
    while answer["tasks"]:
        seen += [t["id"] for t in answer["tasks"]]
        answer = _ok(tenant, "get_all", {**query, "scroll_id": answer["scroll_id"]}, "2.15")
    assert sorted(seen) == sorted(made) and len(seen) == 5
    refreshed = _ok(tenant, "get_all", {**query, "scroll_id": "offset-2", "refresh_scroll": True}, V)["tasks"]
    assert len(refreshed) == 4
    assert "scroll_id" not in _ok(tenant, "get_all", query, "2.14")  # no scroll below 2.15
    bad = tenant.call("tasks.get_all", {**query, "scroll_id": "nonsense"}, version=V)
    assert bad.status == 400 and "scroll" in bad.meta["result_msg"].lower()
    assert tenant.call("tasks.get_all", {**query, "size": 0}, version=V).code == (400, 12)
