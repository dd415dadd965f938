"""The document repositories (database/repositories): raw inserts keep the documents'
checks, a duplicate is the API's 400/801, and the publicity move is the one rule for
projects and models. On mongomock and on the embedded store."""

from __future__ import annotations

from datetime import datetime

import pytest
from mongoengine.errors import ValidationError
from pymongo.errors import DuplicateKeyError
from support.documents import documents_fixture  # noqa: F401 - the "documents" fixture

from stationmaster.database.errors import as_api_error
from stationmaster.database.repositories import Documents

NOW = datetime(2026, 1, 1, 12, 0, 0)


def project(name: str, company: str = "c1", **extra: object) -> dict[str, object]:
    return {
        "id": f"p-{name}",
        "name": name,
        "company": company,
        "user": "u",
        "created": NOW,
        "description": "d",
    } | extra


def test_a_raw_insert_keeps_the_documents_checks(documents: Documents) -> None:
    with pytest.raises(ValidationError):  # name shorter than the document's min_length
        documents.projects.create(project("ab"))
    with pytest.raises(ValidationError):  # a value outside the field's choices
        documents.tasks._insert({"id": "t1", "company": "c1", "name": "task", "status": "no-such-status"})
    with pytest.raises(ValidationError):  # a required field missing
        documents.models.create({"id": "m1", "name": "model"})
    assert documents.projects.get("p-ab") is None


def test_a_duplicate_is_expected_unique_data(documents: Documents) -> None:
    assert documents.projects.create(project("first")) == "p-first"
    with pytest.raises(DuplicateKeyError) as caught:
        documents.projects.create(project("first"))
    error = as_api_error(caught.value)
    assert error is not None and (error.code, error.subcode) == (400, 801)


def test_reads_name_the_id_id(documents: Documents) -> None:
    documents.projects.create(project("named"))
    assert documents.projects.get("p-named", {"company": "c1"}, ["name"]) == {"id": "p-named", "name": "named"}
    assert documents.projects.get("p-named", {"company": "c2"}) is None
    assert documents.projects.exists("p-named") and not documents.projects.exists("p-other")


def test_publicity_moves_only_the_companys_own_and_back(documents: Documents) -> None:
    repo = documents.models
    repo.create({"id": "m1", "name": "mine", "company": "c1", "user": "u", "created": NOW})
    repo.create({"id": "m2", "name": "theirs", "company": "c2", "user": "u", "created": NOW})
    assert repo.movable_to_public(["m1", "m2"], "c1", True) == {"m1"}
    assert repo.move_to_public(["m1"], "c1", True) == 1
    assert repo.get("m1", None, ["company", "company_origin"]) == {"id": "m1", "company": "", "company_origin": "c1"}
    assert repo.movable_to_public(["m1"], "c2", False) == set()
    assert repo.move_to_public(["m1"], "c1", False) == 1
    assert repo.get("m1", None, ["company", "company_origin"]) == {"id": "m1", "company": "c1"}


def test_users_listed_by_name_with_a_projection(documents: Documents) -> None:
    users = documents.users
    for user_id, name in (("u2", "bob"), ("u1", "alice"), ("u3", "carol")):
        users.create({"id": user_id, "company": "c1", "name": name, "created": NOW})
    users.create({"id": "u4", "company": "c2", "name": "dave"})
    listed = users.list_by_name("c1", ["u1", "u2", "u4"], None, ["id", "name"])
    assert listed == [{"id": "u1", "name": "alice"}, {"id": "u2", "name": "bob"}]
    assert users.update("u1", "c2", {"name": "x"}) == 0
    assert users.update("u1", "c1", {"name": "alicia"}) == 1
    assert (users.get("u1") or {})["name"] == "alicia"
    assert documents.companies.name("nope") is None


def task(task_id: str, **extra: object) -> dict[str, object]:
    return {
        "_id": task_id,
        "company": "c1",
        "user": "u",
        "name": "a task",
        "type": "training",
        "status": "created",
        "created": NOW,
    } | extra


@pytest.mark.parametrize(("field", "value"), [("status", "no-such-status"), ("type", "no-such-type")])
def test_a_task_insert_outside_the_choices_is_refused_at_the_seam(documents: Documents, field: str, value: str) -> None:
    """tasks.create / tasks.clone store through TaskRepository.insert: the document's
    choices are checked there, and the error names the field (400/800 at the API)."""
    with pytest.raises(ValidationError) as caught:
        documents.tasks.insert(task("t-bad", **{field: value}))
    assert field in str(caught.value)
    error = as_api_error(caught.value)
    assert error is not None and (error.code, error.subcode) == (400, 800)
    assert field in str(error)
    assert documents.tasks.get("t-bad") is None


def test_a_task_insert_is_stored_as_given(documents: Documents) -> None:
    """Checked by the document class, stored without the defaults its embedded
    documents would add (``script.binary``, ``execution.test_split``)."""
    fields = task("t-ok", script={"repository": "r"}, execution={"artifacts": []}, tags=[])
    assert documents.tasks.insert(fields) == "t-ok"
    stored = documents.tasks.get("t-ok")
    assert stored == {"id": "t-ok", **{k: v for k, v in fields.items() if k != "_id"}}
    with pytest.raises(DuplicateKeyError):
        documents.tasks.insert(fields)
