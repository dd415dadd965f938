"""What every repository shares: its collection, reads as the API returns documents
(``id`` instead of ``_id``) and inserts that keep the documents' checks.

A repository is the only place that speaks to a document collection. It is written in
one dialect: raw pymongo calls on the collection (``RawRepository``), or mongoengine
query sets where an entity's rules work on document objects. The mongoengine document
class stays the schema either way: a raw insert validates through it first, so
``choices``, ``required`` and the field types are checked as ``Document.save`` checks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from mongoengine import Document

from ..field_ops import update_fields
from ..raw import as_api, collection, find_for_reading, projection_of

ARCHIVED = "archived"  # the system tag of archived tasks, models and projects


class CollectionReader:
    """Reads one collection with the filters ``bll.query`` builds (the API's query
    language is MongoDB's): what ``get_all_docs`` and the entities' listings read through."""

    def __init__(self, coll: Any) -> None:
        self._collection = coll

    @property
    def _coll(self) -> Any:
        return self._collection

    def find(
        self,
        query: Mapping[str, Any],
        projection: Mapping[str, Any] | None = None,
        *,
        skip: int = 0,
        limit: int | None = None,
    ) -> Iterable[dict[str, Any]]:
        """Raw documents (with ``_id``) matching the filter, in stored order."""
        cursor = self._coll.find(dict(query), None if projection is None else dict(projection))
        if skip:
            cursor = cursor.skip(skip)
        if limit is not None:
            cursor = cursor.limit(limit)
        return cursor

    def find_for_reading(self, query: dict[str, Any], projection: dict[str, Any]) -> list[dict[str, Any]]:
        """As ``find``, for documents only read (the embedded store shares its copies)."""
        return find_for_reading(self._coll, query, projection)

    def distinct(self, field: str, query: Mapping[str, Any]) -> list[Any]:
        return list(self._coll.distinct(field, dict(query)))


class RawRepository(CollectionReader):
    """A collection read and written with pymongo calls; ``document`` is its schema."""

    document: ClassVar[type[Document]]

    def __init__(self, coll: Any = None) -> None:
        """``coll``: a given collection (tests); by default the document class's."""
        super().__init__(coll)

    @property
    def _coll(self) -> Any:
        # looked up per call: the connection behind the document class may be replaced
        return self._collection if self._collection is not None else collection(self.document)

    def _find_one(self, query: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        return as_api(self._coll.find_one(dict(query), projection_of(fields)))

    def _exists(self, query: Mapping[str, Any]) -> bool:
        return self._coll.find_one(dict(query), {"_id": 1}) is not None

    def count_in(self, company_id: str) -> int:
        """How many documents the company has."""
        return int(self._coll.count_documents({"company": company_id}))

    def _validated(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The stored form of a new document, checked as ``Document.save`` checks it
        (mongoengine's ``ValidationError`` when it is not valid)."""
        doc = self.document(**fields)
        doc.validate()
        return dict(doc.to_mongo())

    def _save(self, fields: Mapping[str, Any]) -> str:
        """Store a document, replacing one with the same id (``Document.save``); its id."""
        stored = self._validated(fields)
        self._coll.replace_one({"_id": stored["_id"]}, stored, upsert=True)
        return str(stored["_id"])

    def _insert(self, fields: Mapping[str, Any]) -> str:
        """Insert a new document (DuplicateKeyError when its id is taken); its id."""
        stored = self._validated(fields)
        self._coll.insert_one(stored)
        return str(stored["_id"])

    def _insert_as_given(self, fields: Mapping[str, Any]) -> str:
        """Insert a new document checked as ``Document.save`` checks it (mongoengine's
        ``ValidationError`` when it is not valid) but stored as given: without the
        defaults of its embedded documents that ``to_mongo`` would add; its id."""
        self.document(**{("id" if k == "_id" else k): v for k, v in fields.items()}).validate()
        stored = {("_id" if k == "id" else k): v for k, v in fields.items()}
        self._coll.insert_one(stored)
        return str(stored["_id"])


class OwnedRepository(RawRepository):
    """Documents a company owns and may make public (``company == ""``, the owner kept in
    ``company_origin``): projects, models, tasks."""

    def get(
        self, obj_id: str, scope: Mapping[str, Any] | None = None, fields: Iterable[str] | None = None
    ) -> dict[str, Any] | None:
        """The document ``obj_id`` within ``scope`` (a filter such as the readable-by-a-
        company one), with ``id``; None when there is none."""
        return self._find_one({"_id": obj_id, **(scope or {})}, fields)

    def exists(self, obj_id: str, scope: Mapping[str, Any] | None = None) -> bool:
        return self._exists({"_id": obj_id, **(scope or {})})

    def get_many(
        self, ids: Sequence[str], scope: Mapping[str, Any] | None = None, fields: Iterable[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """id → document (with ``id``) of those of ``ids`` within ``scope``."""
        found = self._coll.find({"_id": {"$in": list(ids)}, **(scope or {})}, projection_of(fields))
        return {d["_id"]: as_api(d) or {} for d in found}

    def get_own(self, obj_id: str, company_id: str, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        """The company's own document (not a public one), with ``id``; None otherwise."""
        return self._find_one({"_id": obj_id, "company": company_id}, fields)

    def is_public(self, obj_id: str) -> bool:
        """Whether the document is a public one (``company`` empty)."""
        return self._exists({"_id": obj_id, "company": {"$in": ["", None]}})

    def create(self, fields: Mapping[str, Any]) -> str:
        """Store a new document (checked by its document class); its id."""
        return self._insert(fields)

    def update(self, obj_id: str, company_id: str, fields: Mapping[str, Any]) -> int:
        """Set fields of the company's document; the number matched (0 or 1)."""
        return int(self._coll.update_one({"_id": obj_id, "company": company_id}, {"$set": dict(fields)}).matched_count)

    def delete(self, obj_id: str, company_id: str) -> int:
        """Delete the company's document; the number deleted (0 or 1)."""
        return int(self._coll.delete_one({"_id": obj_id, "company": company_id}).deleted_count)

    def movable_to_public(self, ids: Sequence[str], company_id: str, public: bool) -> set[str]:
        """Of ``ids``, those ``move_to_public`` would move."""
        return {d["_id"] for d in self._coll.find(_public_move(ids, company_id, public)[0], {"_id": 1})}

    def move_to_public(self, ids: Sequence[str], company_id: str, public: bool) -> int:
        """Make the company's documents public, or public ones it gave back to it; the
        number matched."""
        query, update = _public_move(ids, company_id, public)
        return int(self._coll.update_many(query, update).matched_count)


class InProjects(OwnedRepository):
    """Documents filed in projects: tasks and models."""

    def any_active_in_project(self, project_id: str) -> bool:
        """Whether one not archived is in the project."""
        return self._exists({"project": project_id, "system_tags": {"$nin": [ARCHIVED]}})

    def leave_project(self, project_id: str) -> int:
        """Every one of the project is left without a project; the number modified."""
        return int(self._coll.update_many({"project": project_id}, {"$unset": {"project": 1}}).modified_count)

    # --- the contents of a project tree (projects.* from API 2.13) -----------------------

    def count_in_projects(self, project_ids: Sequence[str], query: Mapping[str, Any] | None = None) -> int:
        """How many are in one of the projects (and match ``query``)."""
        found = self._coll.find({"project": {"$in": list(project_ids)}, **(query or {})}, {"_id": 1})
        return len(list(found))

    def projects_holding(self, project_ids: Sequence[str], query: Mapping[str, Any] | None = None) -> set[str]:
        """Which of the projects hold one (matching ``query``)."""
        return set(self.distinct("project", {"project": {"$in": list(project_ids)}, **(query or {})}))

    def move_to_project(self, source_id: str, destination_id: str | None) -> int:
        """Every one of ``source_id`` goes to ``destination_id`` (None: no project); the
        number moved."""
        if destination_id is None:
            return self.leave_project(source_id)
        update = {"$set": {"project": destination_id}}
        return int(self._coll.update_many({"project": source_id}, update).modified_count)

    def leave_projects(self, project_ids: Sequence[str]) -> int:
        """Every one of the projects is left without a project; the number modified."""
        query = {"project": {"$in": list(project_ids)}}
        return int(self._coll.update_many(query, {"$unset": {"project": 1}}).modified_count)

    def in_projects(self, project_ids: Sequence[str], fields: Iterable[str]) -> list[dict[str, Any]]:
        """The documents of the projects (``id`` and ``fields``)."""
        found = self._coll.find({"project": {"$in": list(project_ids)}}, projection_of(fields))
        return [as_api(d) or {} for d in found]

    def delete_in_projects(self, project_ids: Sequence[str]) -> int:
        return int(self._coll.delete_many({"project": {"$in": list(project_ids)}}).deleted_count)

    def detach(self, field: str, ids: Sequence[str], project_ids: Sequence[str]) -> int:
        """Outside the projects, unset ``field`` where it names one of ``ids`` (a parent
        task, a creating task); the number modified."""
        query = {field: {"$in": list(ids)}, "project": {"$nin": list(project_ids)}}
        return int(self._coll.update_many(query, {"$unset": {field: 1}}).modified_count)

    # --- the statistics every event batch writes (bll/events/writing.py) ----------------

    def last_metrics(self, doc_id: str, company_id: str) -> dict[str, Any]:
        """The ``last_metrics`` the company's document holds now ({} when none)."""
        doc = self._coll.find_one({"_id": doc_id, "company": company_id}, {"last_metrics": 1})
        found = (doc or {}).get("last_metrics")
        return found if isinstance(found, dict) else {}

    def update_statistics(self, doc_id: str, company_id: str, update: dict[str, Any]) -> None:
        """Apply the event batch's update (``$set`` / ``$min`` / ``$max`` of dotted
        paths) to the company's document, the embedded store's fast way (field_ops)."""
        update_fields(self._coll, doc_id, company_id, update)


def _public_move(ids: Sequence[str], company_id: str, public: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    if public:
        query: dict[str, Any] = {"company": company_id}
        update: dict[str, Any] = {"$set": {"company": "", "company_origin": company_id}}
    else:
        query = {"company": {"$in": ["", None]}, "company_origin": company_id}
        update = {"$set": {"company": company_id}, "$unset": {"company_origin": 1}}
    return {"_id": {"$in": list(ids)}, **query}, update
