"""reports.* (API 2.23 - 2.26) over HTTP, as the web app calls them: reports are tasks of
type report in the hidden '.reports' project of their project; their life cycle; the
listing with the task filters; the task data a report embeds (docs/reports.md)."""

from __future__ import annotations

import uuid

import pytest
from support.client import ApiClient
from support.events_api import add, image, new_task, plot, scalar, tenant_of

V = "2.26"


def _ok(api: ApiClient, action: str, data: dict, version: str = V) -> dict:
    reply = api.call(f"reports.{action}", data, version=version)
    assert reply.status == 200, reply.envelope
    return reply.data


def _fails(api: ApiClient, action: str, data: dict, code: int, subcode: int, version: str = V) -> str:
    reply = api.call(f"reports.{action}", data, version=version)
    assert (reply.status, *reply.code) == (code, code, subcode), reply.envelope
    return str(reply.meta["result_msg"])


def _name(prefix: str = "report") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _project(api: ApiClient, name: str | None = None) -> str:
    return str(api.projects.create(name=name or _name("project"), description="d")["id"])


def _project_doc(api: ApiClient, project_id: str) -> dict:
    return dict(api.projects.get_by_id(project=project_id)["project"])


def _report(api: ApiClient, report_id: str) -> dict:
    return dict(api.tasks.get_by_id(task=report_id)["task"])


@pytest.fixture
def project(tenant: ApiClient) -> str:
    return _project(tenant)


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    """A fresh tenant on a server of each event store (the task data tests)."""
    return tenant_of(events_root)


def test_create_puts_the_report_in_the_hidden_reports_project(tenant: ApiClient, project: str) -> None:
    name = _project_doc(tenant, project)["name"]
    created = _ok(tenant, "create", {"name": "My report", "project": project, "tags": ["b", "a"], "comment": "c"})
    reports_project = _project_doc(tenant, created["project_id"])
    assert reports_project["name"] == f"{name}/.reports"
    assert sorted(reports_project["system_tags"]) == ["hidden", "reports"]
    task = _report(tenant, created["id"])
    assert task["type"] == "report" and task["status"] == "created"
    assert task["project"] == created["project_id"]
    assert sorted(task["system_tags"]) == ["hidden", "reports"]
    assert task["tags"] == ["a", "b"] and task["comment"] == "c"
    # a second report of the project goes to the same .reports project
    again = _ok(tenant, "create", {"name": "Other report", "project": project})
    assert again["project_id"] == created["project_id"]
    # without a project: the root's .reports
    root = _ok(tenant, "create", {"name": "Root report"})
    assert _project_doc(tenant, root["project_id"])["name"] == ".reports"


def test_report_text_and_assets_by_version(tenant: ApiClient) -> None:
    at_2_24 = _ok(tenant, "create", {"name": _name(), "report": "# text", "report_assets": ["s3://b/x.png"]}, "2.24")
    task = _report(tenant, at_2_24["id"])
    assert task["report"] == "# text" and task["report_assets"] == ["s3://b/x.png"]
    # report_assets is a 2.24 field: not read at 2.23
    at_2_23 = _ok(tenant, "create", {"name": _name(), "report": "t", "report_assets": ["u"]}, "2.23")
    assert "report_assets" not in _report(tenant, at_2_23["id"])
    # not served below 2.23
    reply = tenant.call("reports.create", {"name": _name()}, version="2.22")
    assert (reply.status, *reply.code) == (404, 404, 0)


def test_update_and_its_status_rules(tenant: ApiClient) -> None:
    report = _ok(tenant, "create", {"name": _name()})["id"]
    long_text = "word " * 100
    result = _ok(tenant, "update", {"task": report, "report": long_text, "tags": ["z", "y"], "report_assets": ["a"]})
    assert result["updated"] == 1
    assert result["fields"]["tags"] == ["y", "z"] and result["fields"]["report_assets"] == ["a"]
    assert len(result["fields"]["report"]) <= 100 and result["fields"]["report"].endswith("[...]")
    assert _report(tenant, report)["report"] == long_text
    assert _ok(tenant, "update", {"task": report}) == {"updated": 0}
    published = _ok(tenant, "publish", {"task": report, "comment": "done"})
    assert published["updated"] == 1 and published["fields"]["status"] == "published"
    task = _report(tenant, report)
    assert task["status"] == "published" and task["published"] and task["status_message"] == "done"
    # a published report: its text is refused, name / tags / comment are not
    msg = _fails(tenant, "update", {"task": report, "report": "new text"}, 400, 110)
    assert "published" in msg
    renamed = _ok(tenant, "update", {"task": report, "name": "Renamed report", "comment": "ok"})
    assert renamed == {"updated": 1, "fields": {"name": "Renamed report", "comment": "ok"}}
    assert _report(tenant, report)["report"] == long_text


def test_archive_unarchive_and_delete(tenant: ApiClient, project: str) -> None:
    created = _ok(tenant, "create", {"name": _name(), "project": project})
    report, reports_project = created["id"], created["project_id"]
    assert _ok(tenant, "archive", {"task": report}) == {"archived": 1}
    assert "archived" in _report(tenant, report)["system_tags"]
    assert _ok(tenant, "unarchive", {"task": report}) == {"unarchived": 1}
    assert "archived" not in _report(tenant, report)["system_tags"]
    _ok(tenant, "publish", {"task": report})
    # a published report that is not archived needs force
    _fails(tenant, "delete", {"task": report}, 400, 123)
    _ok(tenant, "archive", {"task": report})
    assert _ok(tenant, "delete", {"task": report}) == {"deleted": 1}
    assert tenant.call("tasks.get_by_id", {"task": report}).code == (400, 101)
    # its emptied .reports project went with it; the project itself stays
    assert tenant.call("projects.get_by_id", {"project": reports_project}).code == (400, 401)
    assert _project_doc(tenant, project)["id"] == project
    other = _ok(tenant, "create", {"name": _name()})["id"]
    _ok(tenant, "publish", {"task": other})
    assert _ok(tenant, "delete", {"task": other, "force": True}) == {"deleted": 1}


def test_move_between_projects(tenant: ApiClient, project: str) -> None:
    created = _ok(tenant, "create", {"name": _name(), "project": project})
    report, first = created["id"], created["project_id"]
    target = _project(tenant)
    moved = _ok(tenant, "move", {"task": report, "project": target})["project_id"]
    assert _project_doc(tenant, moved)["name"] == f"{_project_doc(tenant, target)['name']}/.reports"
    assert _report(tenant, report)["project"] == moved
    assert tenant.call("projects.get_by_id", {"project": first}).code == (400, 401)
    # by name: the project is created when missing, then its .reports project
    new_name = _name("named project")
    by_name = _ok(tenant, "move", {"task": report, "project_name": new_name})["project_id"]
    assert _project_doc(tenant, by_name)["name"] == f"{new_name}/.reports"
    assert tenant.projects.get_all(name=f"^{new_name}$")["projects"][0]["name"] == new_name
    # null: the root
    to_root = _ok(tenant, "move", {"task": report, "project": None})["project_id"]
    assert _project_doc(tenant, to_root)["name"] == ".reports"
    _fails(tenant, "move", {"task": report}, 400, 11)
    _fails(tenant, "move", {"task": report, "project": "no-such-project"}, 400, 401)


def test_get_all_ex_lists_reports_with_the_task_filters(tenant: ApiClient, project: str) -> None:
    a = _ok(tenant, "create", {"name": "alpha report", "project": project, "tags": ["x"], "report": "text a"})
    b = _ok(tenant, "create", {"name": "beta report", "project": project})
    root = _ok(tenant, "create", {"name": "gamma report"})
    new_task(tenant)  # not a report: never listed
    every = _ok(tenant, "get_all_ex", {"only_fields": ["name"], "order_by": ["name"]})["tasks"]
    assert [t["name"] for t in every] == ["alpha report", "beta report", "gamma report"]
    # the project's reports: the project id names its .reports project
    in_project = _ok(tenant, "get_all_ex", {"project": [project], "only_fields": ["id"]})["tasks"]
    assert sorted(t["id"] for t in in_project) == sorted([a["id"], b["id"]])
    direct = _ok(tenant, "get_all_ex", {"project": [a["project_id"]], "only_fields": ["id"]})["tasks"]
    assert len(direct) == 2
    assert _ok(tenant, "get_all_ex", {"project": [_project(tenant)]}) == {"tasks": []}
    tagged = _ok(tenant, "get_all_ex", {"tags": ["x"], "only_fields": ["name", "report", "project.name"]})["tasks"]
    assert tagged == [
        {
            "id": a["id"],
            "name": "alpha report",
            "report": "text a",
            "project": {"id": a["project_id"], "name": tagged[0]["project"]["name"]},
        }
    ]
    assert tagged[0]["project"]["name"].endswith("/.reports")
    found = _ok(tenant, "get_all_ex", {"search_text": "gamma", "only_fields": ["id"]})["tasks"]
    assert [t["id"] for t in found] == [root["id"]]
    in_text = _ok(tenant, "get_all_ex", {"search_text": "TEXT A", "only_fields": ["id"]})["tasks"]
    assert [t["id"] for t in in_text] == [a["id"]]
    _ok(tenant, "archive", {"task": b["id"]})
    active = _ok(tenant, "get_all_ex", {"project": [project], "system_tags": ["-archived"], "only_fields": ["id"]})
    assert [t["id"] for t in active["tasks"]] == [a["id"]]
    # scrolling
    page = _ok(tenant, "get_all_ex", {"size": 2, "only_fields": ["id"]})
    assert len(page["tasks"]) == 2 and page["scroll_id"]
    rest = _ok(tenant, "get_all_ex", {"size": 2, "scroll_id": page["scroll_id"], "only_fields": ["id"]})
    assert len(rest["tasks"]) == 1
    assert {t["id"] for t in page["tasks"] + rest["tasks"]} == {a["id"], b["id"], root["id"]}


def test_get_all_ex_subprojects_from_2_26(tenant: ApiClient) -> None:
    parent_name = _name("parent")
    parent = _project(tenant, parent_name)
    child = _project(tenant, f"{parent_name}/child")
    mine = _ok(tenant, "create", {"name": _name(), "project": parent})["id"]
    below = _ok(tenant, "create", {"name": _name(), "project": child})["id"]
    request = {"project": [parent], "only_fields": ["id"]}
    assert [t["id"] for t in _ok(tenant, "get_all_ex", request)["tasks"]] == [mine]
    deep = _ok(tenant, "get_all_ex", {**request, "include_subprojects": True})["tasks"]
    assert sorted(t["id"] for t in deep) == sorted([mine, below])
    # a 2.26 field, not read at 2.23
    old = _ok(tenant, "get_all_ex", {**request, "include_subprojects": True}, "2.23")["tasks"]
    assert [t["id"] for t in old] == [mine]


def test_get_tags_of_the_company_reports(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    _ok(tenant, "create", {"name": _name(), "tags": ["b", "a"]})
    _ok(tenant, "create", {"name": _name(), "tags": ["a", "c"]})
    tenant.tasks.create(name="a task", type="training", tags=["not-a-report-tag"])
    assert _ok(tenant, "get_tags", {}) == {"tags": ["a", "b", "c"]}
    assert _ok(make_tenant(), "get_tags", {}) == {"tags": []}


def test_not_a_report_and_other_refusals(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    task = new_task(tenant)
    for action, extra in (
        ("update", {"name": "new name"}),
        ("publish", {}),
        ("archive", {}),
        ("unarchive", {}),
        ("delete", {}),
        ("move", {"project_name": "somewhere"}),
    ):
        msg = _fails(tenant, action, {"task": task, **extra}, 400, 150)
        assert task in msg, action
    assert _report(tenant, task)["status"] == "created"  # untouched
    _fails(tenant, "update", {"task": "no-such-report", "name": "abc"}, 400, 101)
    # another company's report is not the caller's
    other = _ok(make_tenant(), "create", {"name": _name()})["id"]
    _fails(tenant, "delete", {"task": other}, 400, 101)
    # a project that is not the caller's
    _fails(tenant, "create", {"name": _name(), "project": "no-such-project"}, 400, 401)


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("create", {}, "name"),
        ("create", {"name": "ab"}, "name"),
        ("create", {"name": "good name", "tags": "x"}, "tags"),
        ("update", {"name": "a name"}, "task"),
        ("update", {"task": "t", "report": 5}, "report"),
        ("delete", {"task": "t", "force": "yes"}, "force"),
        ("move", {"task": 7}, "task"),
        ("get_all_ex", {"page": -1}, "page"),
        ("get_task_data", {"plots": {"iters": 0}}, "plots.iters"),
        ("get_task_data", {"scalar_metrics_iter_histogram": {"key": "nope"}}, "scalar_metrics_iter_histogram.key"),
        ("get_task_data", {"debug_images": {"metrics": [{"variants": ["v"]}]}}, "debug_images.metrics"),
    ],
)
def test_bad_input_is_400_naming_the_field(tenant: ApiClient, action: str, data: dict, field: str) -> None:
    msg = _fails(tenant, action, data, 400, 12)
    assert field in msg


def test_get_task_data_answers_the_embedded_events(api: ApiClient) -> None:
    tenant, project = api, _project(api)
    task = tenant.tasks.create(name="trained", type="training", project=project)["id"]
    other = tenant.tasks.create(name="second", type="training", project=project)["id"]
    add(
        tenant,
        [scalar(task, i, float(i)) for i in range(4)]
        + [scalar(other, i, 2.0 * i) for i in range(2)]
        + [image(task, i, f"http://files/img{i}.png") for i in range(3)]
        + [plot(task, i) for i in range(3)]
        + [scalar(task, -(2**31), 0.5, metric="accuracy", variant="final")],
    )
    _ok(tenant, "create", {"name": _name(), "project": project})  # hidden: not chosen
    request = {
        "project": [project],
        "order_by": ["name"],
        "only_fields": ["name"],
        "debug_images": {"iters": 2},
        "plots": {"iters": 1},
        "scalar_metrics_iter_histogram": {"metrics": [{"metric": "loss"}]},
        "single_value_metrics": {},
    }
    data = _ok(tenant, "get_task_data", request)
    assert data["tasks"] == [{"id": other, "name": "second"}, {"id": task, "name": "trained"}]
    images = data["debug_images"]
    assert [(m["task"], m["metric"], [i["iter"] for i in m["iterations"]]) for m in images] == [(task, "img", [2, 1])]
    assert images[0]["iterations"][0]["events"][0]["url"] == "http://files/img2.png"
    assert list(data["plots"]["p"]["v"][task]) == ["2"]
    histogram = data["scalar_metrics_iter_histogram"]["loss"]["train"]
    assert histogram[task]["y"] == [0.0, 1.0, 2.0, 3.0] and histogram[other]["y"] == [0.0, 2.0]
    assert data["single_value_metrics"] == [
        {
            "task": task,
            "task_name": "trained",
            "values": [
                {
                    "metric": "accuracy",
                    "variant": "final",
                    "value": 0.5,
                    "timestamp": data["single_value_metrics"][0]["values"][0]["timestamp"],
                }
            ],
        }
    ]
    paged = _ok(tenant, "get_task_data", {**request, "page": 1, "page_size": 1, "debug_images": {"iters": 1}})
    assert [t["id"] for t in paged["tasks"]] == [task] and len(paged["debug_images"]) == 1
    # sections not asked for are not answered; single values are a 2.25 section
    plain = _ok(tenant, "get_task_data", {"id": [task], "single_value_metrics": {}}, "2.23")
    assert set(plain) == {"tasks"} and [t["id"] for t in plain["tasks"]] == [task]


def test_get_task_data_metric_filters_and_hidden_tasks(api: ApiClient) -> None:
    tenant, project = api, _project(api)
    task = tenant.tasks.create(name="trained", type="training", project=project)["id"]
    add(
        tenant,
        [image(task, 1, "u1", metric=m) for m in ("img", "other")] + [plot(task, 1, metric=m) for m in ("p", "q")],
    )
    request = {
        "id": [task],
        "debug_images": {"metrics": [{"metric": "other"}]},
        "plots": {"metrics": [{"metric": "q"}]},
    }
    data = _ok(tenant, "get_task_data", request)
    assert [m["metric"] for m in data["debug_images"]] == ["other"]
    assert list(data["plots"]) == ["q"]
    # plots of each task's last iterations (below 2.26, or with last_iters_per_task_metric false)
    per_task = {"id": [task], "plots": {"metrics": [{"metric": "q"}], "last_iters_per_task_metric": False}}
    assert list(_ok(tenant, "get_task_data", per_task)["plots"]) == ["q"]
    assert list(_ok(tenant, "get_task_data", per_task, "2.25")["plots"]) == ["q"]
    # hidden tasks (reports here) only with search_hidden or by id
    report = _ok(tenant, "create", {"name": _name(), "project": project})
    by_project = {"project": [report["project_id"]], "only_fields": ["id"]}
    assert _ok(tenant, "get_task_data", by_project)["tasks"] == []
    hidden = _ok(tenant, "get_task_data", {**by_project, "search_hidden": True})["tasks"]
    assert [t["id"] for t in hidden] == [report["id"]]
    empty = _ok(tenant, "get_task_data", {"id": ["no-such-task"], "debug_images": {}, "plots": {}})
    assert empty == {"tasks": [], "debug_images": [], "plots": {}}


def test_get_task_data_of_models_from_2_25(api: ApiClient) -> None:
    tenant = api
    model = tenant.models.create(name=_name("model"), uri="file:///m.pt", ready=False)["id"]
    event = {**scalar(model, 1, 3.0), "model_event": True}
    reply = tenant.call("events.add_batch", batch=[event], version="2.22")
    assert reply.status == 200, reply.meta["result_msg"]
    data = _ok(tenant, "get_task_data", {"id": [model], "model_events": True, "scalar_metrics_iter_histogram": {}})
    assert [m["id"] for m in data["tasks"]] == [model]
    assert data["scalar_metrics_iter_histogram"]["loss"]["train"][model]["y"] == [3.0]


def test_get_task_data_subprojects_and_public_tasks(api: ApiClient, events_root: ApiClient) -> None:
    parent_name = _name("parent")
    parent = _project(api, parent_name)
    child = _project(api, f"{parent_name}/child")
    top = api.tasks.create(name="top task", type="training", project=parent)["id"]
    below = api.tasks.create(name="child task", type="training", project=child)["id"]
    add(api, [scalar(top, 1, 1.0), scalar(below, 1, 2.0)])
    request = {"project": [parent], "only_fields": ["id"], "scalar_metrics_iter_histogram": {}}
    assert [t["id"] for t in _ok(api, "get_task_data", request)["tasks"]] == [top]
    deep = _ok(api, "get_task_data", {**request, "include_subprojects": True})
    assert sorted(t["id"] for t in deep["tasks"]) == sorted([top, below])
    assert set(deep["scalar_metrics_iter_histogram"]["loss"]["train"]) == {top, below}
    # a public task of another company: its events are read from its owner's
    owner = tenant_of(events_root)
    public = owner.tasks.create(name="public task", type="training")["id"]
    add(owner, [scalar(public, 1, 5.0)])
    assert owner.tasks.make_public(ids=[public])["updated"] == 1
    mixed = _ok(api, "get_task_data", {"id": [top, public], "scalar_metrics_iter_histogram": {}, "plots": {}})
    assert sorted(t["id"] for t in mixed["tasks"]) == sorted([top, public])
    series = mixed["scalar_metrics_iter_histogram"]["loss"]["train"]
    assert series[public]["y"] == [5.0] and series[top]["y"] == [1.0]
    only_mine = _ok(api, "get_task_data", {"id": [top, public], "allow_public": False})
    assert [t["id"] for t in only_mine["tasks"]] == [top]
