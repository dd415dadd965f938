"""What every repository shares: its collection, reads as the API returns documents
(``id`` instead of ``_id``) and inserts that keep the documents' checks.

A repository is the only place that speaks to a document collection. It is written in
one dialect: raw pymongo calls on the collection (``RawRepository``), or mongoengine
query sets where an entity's rules work on document objects. The mongoengine document
class stays the schema either way: a raw insert validates through it first, so
``choices``, ``required`` and the field types are checked as ``Document.save`` checks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from mongoengine import Document

from ..raw import as_api, collection, find_for_reading, projection_of


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

    def __init__(self) -> None:
        super().__init__(None)

    @property
    def _coll(self) -> Any:
        # looked up per call: the connection behind the document class may be replaced
        return collection(self.document)

    def _find_one(self, query: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        return as_api(self._coll.find_one(dict(query), projection_of(fields)))

    def _exists(self, query: Mapping[str, Any]) -> bool:
        return self._coll.find_one(dict(query), {"_id": 1}) is not None

    def _validated(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The stored form of a new document, checked as ``Document.save`` checks it
        (mongoengine's ``ValidationError`` when it is not valid)."""
        doc = self.document(**fields)
        doc.validate()
        return dict(doc.to_mongo())

    def _insert(self, fields: Mapping[str, Any]) -> str:
        """Insert a new document (DuplicateKeyError when its id is taken); its id."""
        stored = self._validated(fields)
        self._coll.insert_one(stored)
        return str(stored["_id"])
