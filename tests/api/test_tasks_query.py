"""tasks.get_all / get_all_ex (the query language on tasks) and tenancy / public tasks."""

from __future__ import annotations

import uuid

from support.client import ApiClient


def make_project(api: ApiClient) -> str:
    return str(api.projects.create(name=f"p {uuid.uuid4().hex[:6]}", description="d")["id"])


def test_get_all_filters_and_paging(tenant: ApiClient) -> None:
    project = make_project(tenant)
    ids = [
        tenant.tasks.create(name=f"exp-{i}", type="training" if i % 2 else "testing", project=project)["id"]
        for i in range(5)
    ]
    tenant.tasks.started(task=ids[0])
    found = tenant.tasks.get_all(project=[project], only_fields=["id", "name"], order_by=["name"])["tasks"]
    assert [t["name"] for t in found] == [f"exp-{i}" for i in range(5)]
    assert set(found[0]) == {"id", "name"}
    page = tenant.tasks.get_all(project=[project], order_by=["-name"], page=1, page_size=2)["tasks"]
    assert [t["name"] for t in page] == ["exp-2", "exp-1"]
    assert [t["id"] for t in tenant.tasks.get_all(project=[project], status=["in_progress"])["tasks"]] == [ids[0]]
    not_running = tenant.tasks.get_all(project=[project], status=["__$not", "in_progress"])["tasks"]
    assert len(not_running) == 4
    assert len(tenant.tasks.get_all(project=[project], type=["testing"])["tasks"]) == 3
    assert [t["name"] for t in tenant.tasks.get_all(project=[project], name="^exp\\-3$")["tasks"]] == ["exp-3"]
    status_poll = tenant.tasks.get_all(id=[ids[0]], only_fields=["status", "status_message", "id"])["tasks"]
    assert status_poll == [{"id": ids[0], "status": "in_progress", "status_message": None}] or status_poll == [
        {"id": ids[0], "status": "in_progress"}
    ]
    ex = tenant.call("tasks.get_all_ex", {"project": [project], "search_text": "EXP-4"})
    assert [t["name"] for t in ex.data["tasks"]] == ["exp-4"]
    assert tenant.call("tasks.get_all", {"page": -1, "page_size": 2}).code == (400, 12)
    assert tenant.call("tasks.get_all", {"id": 5}).code == (400, 12)  # neither a string nor a list


def test_list_filters_take_one_value_without_the_list(tenant: ApiClient) -> None:
    """As the reference (and the SDK's ``Task.get_tasks(task_filter={"parent": id})``),
    a list filter of get_all may be one value: the same as a one-item list."""
    project = make_project(tenant)
    parent = tenant.tasks.create(name="parent", type="training", project=project)["id"]
    child = tenant.tasks.create(name="child", type="testing", project=project, parent=parent)["id"]
    tenant.tasks.started(task=child)
    for version in ("2.9", "2.1", "1.0"):
        api = tenant.with_version(version)
        assert [t["id"] for t in api.tasks.get_all(parent=parent)["tasks"]] == [child], version
        assert [t["id"] for t in api.tasks.get_all(parent=[parent])["tasks"]] == [child], version
        assert [t["id"] for t in api.tasks.get_all(project=project, status="in_progress")["tasks"]] == [child]
        assert [t["id"] for t in api.tasks.get_all(id=child, only_fields=["id"])["tasks"]] == [child]
        assert [t["id"] for t in api.tasks.get_all(project=project, type="-testing")["tasks"]] == [parent]
        assert [t["name"] for t in api.tasks.get_all_ex(project=project, order_by="name")["tasks"]] == [
            "child",
            "parent",
        ]
        changed = api.tasks.get_all(project=project, status_changed=">=2000-01-01", only_fields=["id"])["tasks"]
        assert [t["id"] for t in changed] == [child]
    old = tenant.with_version("2.1")  # below 2.3 one tags list holds the system tags too
    old.tasks.edit(task=parent, tags=["archived"])
    assert [t["id"] for t in old.tasks.get_all(project=project, tags="archived")["tasks"]] == [parent]
    model = tenant.models.create(name="model one", uri="file:///m", project=project)["id"]
    assert [m["id"] for m in tenant.with_version("2.9").models.get_all(project=project)["models"]] == [model]
    assert [m["id"] for m in tenant.models.get_all_ex(id=model, order_by="-name")["models"]] == [model]
    assert [p["id"] for p in tenant.projects.get_all(id=project)["projects"]] == [project]
    queue = tenant.queues.create(name=f"q {uuid.uuid4().hex[:6]}")["id"]
    assert [q["id"] for q in tenant.queues.get_all(id=queue)["queues"]] == [queue]
    me = tenant.users.get_current_user()["user"]["id"]
    assert [u["id"] for u in tenant.users.get_all(id=me)["users"]] == [me]


def test_get_all_ex_joins_and_datetime_and_any(tenant: ApiClient) -> None:
    project = make_project(tenant)
    task_id = tenant.tasks.create(name="joined", type="training", project=project, comment="needle here")["id"]
    reply = tenant.call("tasks.get_all_ex", {"id": [task_id], "only_fields": ["name", "project.name"]})
    assert reply.data["tasks"][0]["project"]["id"] == project
    assert reply.data["tasks"][0]["project"]["name"].startswith("p ")
    later = tenant.tasks.get_all(id=[task_id], status_changed=[">=2999-01-01"])["tasks"]
    assert later == []
    tenant.tasks.started(task=task_id)
    since = tenant.tasks.get_all(id=[task_id], status_changed=[">=2000-01-01"])["tasks"]
    assert [t["id"] for t in since] == [task_id]
    any_field = tenant.tasks.get_all(id=[task_id], _any_={"pattern": "NEEDLE", "fields": ["name", "comment"]})
    assert [t["id"] for t in any_field["tasks"]] == [task_id]


def test_only_fields_dotted(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(
        name="dotted", type="training", script={"entry_point": "a.py", "requirements": {"pip": "x"}}
    )["id"]
    tasks = tenant.tasks.get_all(id=[task_id], only_fields=["script.requirements"])["tasks"]
    assert tasks == [{"id": task_id, "script": {"requirements": {"pip": "x"}}}]


def test_tenancy_isolation(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    other = make_tenant()
    mine = tenant.tasks.create(name="mine", type="training")["id"]
    theirs = other.tasks.create(name="theirs", type="training")["id"]
    assert [t["id"] for t in tenant.tasks.get_all(id=[mine, theirs])["tasks"]] == [mine]
    assert other.call("tasks.started", {"task": mine}).code == (400, 101)
    assert other.call("tasks.delete", {"task": mine}).code == (400, 101)
    assert other.call("tasks.get_hyper_params", {"tasks": [mine]}).code == (400, 101)
    assert tenant.tasks.get_by_id(task=mine)["task"]["status"] == "created"


def test_public_tasks_readable_not_writable(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    other = make_tenant()
    task_id = tenant.tasks.create(name="shared", type="training")["id"]
    assert tenant.tasks.make_public(ids=[task_id]) == {"updated": 1}
    seen = other.tasks.get_by_id(task=task_id)["task"]
    assert seen["name"] == "shared" and seen["company"] == "" and "company_origin" not in seen
    assert task_id in [t["id"] for t in other.tasks.get_all(id=[task_id])["tasks"]]
    assert other.call("tasks.edit", {"task": task_id, "name": "hijack"}).code == (403, 21)
    assert tenant.call("tasks.started", {"task": task_id}).code == (403, 21)
    assert other.call("tasks.make_private", {"ids": [task_id]}).code == (400, 101)
    clone = other.tasks.clone(task=task_id)["id"]
    assert other.tasks.get_by_id(task=clone)["task"]["company"] == other.company_id
    assert tenant.tasks.make_private(ids=[task_id]) == {"updated": 1}
    assert other.call("tasks.get_by_id", {"task": task_id}).code == (400, 101)
    assert tenant.call("tasks.make_public", {"ids": ["0" * 32]}).code == (400, 101)


def test_order_and_project_by_hyper_parameter(tenant: ApiClient) -> None:
    project = make_project(tenant)
    for value in ("0.5", "10", "2"):
        item = {"section": "Args", "name": "lr", "value": value}
        odd = {"section": "net.cfg", "name": "$w", "value": value}
        tenant.tasks.create(
            name=f"lr {value}",
            type="training",
            project=project,
            hyperparams={"Args": {"lr": item}, "net.cfg": {"$w": odd}},
        )
    ordered = tenant.tasks.get_all(project=[project], order_by=["-hyperparams.Args.lr.value"], only_fields=["name"])
    assert [t["name"] for t in ordered["tasks"]] == ["lr 10", "lr 2", "lr 0.5"]
    # the web UI escapes the dots inside a section name
    odd = tenant.tasks.get_all(project=[project], order_by=["hyperparams.net%2Ecfg.$w.value"], only_fields=["name"])
    assert [t["name"] for t in odd["tasks"]] == ["lr 0.5", "lr 2", "lr 10"]
    projected = tenant.tasks.get_all(project=[project], only_fields=["hyperparams.net%2Ecfg.$w"])["tasks"]
    assert [set(t["hyperparams"]) for t in projected] == [{"net.cfg"}] * 3


def test_order_by_a_hyper_parameter_section(tenant: ApiClient) -> None:
    """``order_by: ["-hyperparams.<section>"]`` orders by the section's sub-document as
    MongoDB compares documents (element by element: field name, then value; parameter
    values under the numeric collation); tasks without the section go last."""
    project = make_project(tenant)

    def create(name: str, section: str, params: dict[str, str]) -> None:
        items = {k: {"section": section, "name": k, "value": v} for k, v in params.items()}
        tenant.tasks.create(name=name, type="training", project=project, hyperparams={section: items})

    create("lr 0.5", "Args", {"lr": "0.5"})
    create("lr 10", "Args", {"lr": "10"})
    create("bs 64", "Args", {"bs": "64"})  # field name "bs" < "lr": before every lr one
    create("lr 2", "Args", {"lr": "2", "z": "1"})
    create("none", "Other", {"x": "1"})
    create("dot 3", "net.cfg", {"w": "3"})
    create("dot 1", "net.cfg", {"w": "1"})
    api = tenant.with_version("2.9")

    def names(order: list[str]) -> list[str]:
        found = api.tasks.get_all(project=project, order_by=order, only_fields=["name"])["tasks"]
        return [t["name"] for t in found]

    assert names(["-hyperparams.Args"])[:4] == ["lr 10", "lr 2", "lr 0.5", "bs 64"]
    assert names(["hyperparams.Args"])[:4] == ["bs 64", "lr 0.5", "lr 2", "lr 10"]
    assert set(names(["hyperparams.Args"])[4:]) == {"none", "dot 3", "dot 1"}  # missing: last
    # the web UI escapes a dot inside a section name; the section is escaped as stored
    assert names(["-hyperparams.net%2Ecfg"])[:2] == ["dot 3", "dot 1"]
    assert names(["hyperparams.net%2Ecfg", "name"])[:2] == ["dot 1", "dot 3"]


def test_order_by_legacy_parameter_below_2_9(tenant: ApiClient) -> None:
    old = tenant.with_version("2.8")
    project = make_project(tenant)
    for value in (3, 20, 1):
        old.tasks.create(name=f"p {value}", type="training", project=project, execution={"parameters": {"lr": value}})
    tasks = old.tasks.get_all(
        project=[project], order_by=["-execution.parameters.lr"], only_fields=["name", "execution.parameters.lr"]
    )["tasks"]
    assert [t["execution"]["parameters"]["lr"] for t in tasks] == ["20", "3", "1"]


def test_any_and_all_with_date_conditions(tenant: ApiClient) -> None:
    """``_any_`` / ``_or_`` with ``datetime`` instead of ``pattern``: what clearml 2.1's
    triggers send ({fields: [last_update, last_change], datetime: [">..."]})."""
    project = make_project(tenant)
    task_id = tenant.tasks.create(name="dated", type="training", project=project)["id"]
    tenant.tasks.started(task=task_id)
    for key in ("_any_", "_or_", "_all_"):
        recent = {"fields": ["status_changed", "last_update"], "datetime": [">2000-01-01"]}
        found = tenant.tasks.get_all(project=[project], **{key: recent})["tasks"]
        assert [t["id"] for t in found] == [task_id], key
        future = {"fields": ["status_changed", "last_update"], "datetime": [">=2999-01-01"]}
        assert tenant.tasks.get_all(project=[project], **{key: future})["tasks"] == [], key
    between = {"fields": ["created"], "datetime": [">2000-01-01", "<2999-01-01"]}
    assert [t["id"] for t in tenant.tasks.get_all(project=[project], _any_=between)["tasks"]] == [task_id]
    bad = tenant.call("tasks.get_all", {"_any_": {"fields": ["created"], "datetime": ["not a date"]}})
    assert bad.code == (400, 12) and "created" in bad.meta["result_msg"]
    both = tenant.call("tasks.get_all", {"_any_": {"fields": ["name"], "pattern": "x", "datetime": [">2000"]}})
    assert both.code == (400, 12) and "_any_" in both.meta["result_msg"]
    injected = tenant.call("tasks.get_all", {"_or_": {"fields": ["$where"], "datetime": [">2000-01-01"]}})
    assert injected.code == (400, 12) and "_or_.fields" in injected.meta["result_msg"]


def test_range_filters_with_open_ends(tenant: ApiClient) -> None:
    """The reference's range fields (the web app's column filters): ``[min, max]``, both
    included, either null; a null min also takes the tasks without the field."""
    project = make_project(tenant)
    first, second, never = (
        tenant.tasks.create(name=f"range {i}", type="training", project=project)["id"] for i in range(3)
    )
    tenant.tasks.started(task=first)
    tenant.tasks.started(task=second)
    event = {"task": first, "type": "training_stats_scalar", "metric": "m", "variant": "v", "iter": 7, "value": 1.0}
    assert tenant.call("events.add", event).status == 200
    tasks = tenant.tasks.get_all(id=[first, second], only_fields=["started"])["tasks"]
    started = {t["id"]: t["started"] for t in tasks}

    def found(**filters: object) -> set[str]:
        reply = tenant.call("tasks.get_all_ex", {"project": [project], "only_fields": ["id"], **filters})
        assert reply.status == 200, reply.envelope
        return {t["id"] for t in reply.data["tasks"]}

    assert found(started=[None, "2999-01-01T00:00:00"]) == {first, second, never}
    assert found(started=["2000-01-01T00:00:00", None]) == {first, second}
    assert found(started=[started[second], started[second]]) == {second}
    assert found(started=[">2000-01-01T00:00:00"]) == {first, second}  # the comparisons still work
    assert found(last_iteration=[5, None]) == {first}
    assert first not in found(last_iteration=[None, 3])
    for bad in ({"started": [None, None]}, {"last_iteration": ["many", 3]}, {"started": [3, None]}):
        reply = tenant.call("tasks.get_all_ex", {"project": [project], **bad})
        assert reply.code == (400, 12) and next(iter(bad)) in reply.meta["result_msg"], reply.envelope
