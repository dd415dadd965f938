"""organization.get_tags and the tag rules shared by projects and models.

Tags are read straight from the ``task`` and ``model`` collections of the caller's company
(public objects are not included, as in the reference). The reference caches the lists in
Redis and clears the cache whenever an entity's tags change; reading them on demand gives
the same answers without the invalidation hooks.

Below API 2.3 clients know one ``tags`` list: the system tag names of the entity are
split out of it on input and merged back into it on output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..database.repositories import CollectionReader
from ..database.repositories.base import OwnedRepository
from ..protocol import errors
from ..protocol.versions import V2_3, Version
from .query import NOT_MARKER, QuerySpec, build_filter

# the system tag names each entity knew before 2.3 (also with a leading "-")
_SYSTEM_TAG_NAMES = {
    "model": frozenset({"active", "archived"}),
    "project": frozenset({"archived", "public", "default"}),
    "task": frozenset({"active", "archived", "development"}),
}
_SYSTEM_TAG_PREFIXES = {"task": ("annotat",)}
_TAG_FILTER_SPEC = QuerySpec(pattern_fields=(), list_fields=("tags", "system_tags"), text_fields=())


def _is_system(entity: str, tag: str) -> bool:
    name = tag[1:] if tag.startswith("-") else tag
    prefixes = _SYSTEM_TAG_PREFIXES.get(entity, ())
    return name in _SYSTEM_TAG_NAMES[entity] or any(name.startswith(p) for p in prefixes)


def conform_tags_in(entity: str, fields: dict[str, Any], version: Version) -> None:
    """Check tag values and, below 2.3, move the entity's system tag names from ``tags``
    into ``system_tags`` (in place)."""
    for key in ("tags", "system_tags"):
        bad = [t for t in fields.get(key) or () if t.startswith(NOT_MARKER[:3])]
        if bad:
            raise errors.FIELDS_VALUE_ERROR("unsupported tag prefix", field=key, values=bad)
    tags = fields.get("tags")
    if version >= V2_3 or tags is None or fields.get("system_tags"):
        return
    system = [t for t in tags if _is_system(entity, t)]
    fields["tags"] = [t for t in tags if t not in system]
    fields["system_tags"] = system


def conform_tag_filter(entity: str, request: Mapping[str, Any], version: Version) -> Mapping[str, Any]:
    """Below 2.3 a get_all ``tags`` filter also holds the system tags: split it, keeping a
    ``__$not`` marker with the value it negates."""
    tags = request.get("tags")
    if isinstance(tags, str):  # one value without the list, as get_all accepts it
        tags = [tags]
    if version >= V2_3 or not isinstance(tags, list) or request.get("system_tags"):
        return request
    user: list[Any] = []
    system: list[Any] = []
    marker: list[Any] = []
    for tag in tags:
        if tag == NOT_MARKER:
            marker = [tag]
            continue
        target = system if isinstance(tag, str) and _is_system(entity, tag) else user
        target.extend([*marker, tag])
        marker = []
    return {**request, "tags": user, "system_tags": system}


def conform_tags_out(docs: Iterable[dict[str, Any]], version: Version) -> None:
    """Below 2.3 return the system tags inside ``tags`` (in place)."""
    if version >= V2_3:
        return
    for doc in docs:
        system = doc.get("system_tags")
        if system:
            doc["tags"] = sorted(set(doc.get("tags") or ()) | set(system))


def split_joins(request: Mapping[str, Any], refs: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, list[str]]]:
    """``only_fields`` entries such as ``project.name`` name fields of the referenced
    document (get_all_ex): the request with the reference itself projected instead, and
    the sub-fields wanted per reference."""
    joins: dict[str, list[str]] = {}
    fields: list[str] = []
    for item in request.get("only_fields") or ():
        head, _, rest = str(item).partition(".")
        if rest and head in refs:
            joins.setdefault(head, []).append(rest)
            item = head
        if item not in fields:
            fields.append(item)
    return ({**request, "only_fields": fields} if joins else request), joins


def apply_joins(
    docs: list[dict[str, Any]], joins: Mapping[str, list[str]], refs: Mapping[str, CollectionReader]
) -> None:
    """Replace each joined reference id by ``{"id": ..., <sub-fields>}`` (in place);
    ``refs``: the repository each reference field points into."""
    for field, subfields in joins.items():
        ids = list({d[field] for d in docs if isinstance(d.get(field), str)})
        projection = dict.fromkeys(subfields, 1)
        found = {r.pop("_id"): r for r in refs[field].find({"_id": {"$in": ids}}, projection)}
        for doc in docs:
            ref = doc.get(field)
            if isinstance(ref, str):
                doc[field] = {"id": ref, **found.get(ref, {})}


def for_output(doc: dict[str, Any], version: Version) -> dict[str, Any]:
    """A stored project or model as the API returns it (in place): without the
    owner of a public object, tags as the requested version knows them."""
    doc.pop("company_origin", None)
    conform_tags_out([doc], version)
    return doc


class OrgBLL:
    def __init__(self, tasks: CollectionReader, models: CollectionReader) -> None:
        self._tagged = {"task": tasks, "model": models}

    def set_public(
        self, repository: OwnedRepository, company_id: str, ids: Sequence[str], invalid: errors.ErrorKind, public: bool
    ) -> int:
        """Move the company's objects to the public company ("") or back; every id must
        be the caller's (``invalid`` names those that are not). The number moved."""
        ids = list(dict.fromkeys(ids))
        found = repository.movable_to_public(ids, company_id, public)
        missing = [i for i in ids if i not in found]
        if missing:
            raise invalid(ids=missing)
        return repository.move_to_public(ids, company_id, public) if ids else 0

    def get_tags(
        self,
        company_id: str,
        entities: Sequence[str],
        *,
        include_system: bool = False,
        tag_filter: Mapping[str, Any] | None = None,
        projects: Sequence[str] | None = None,
    ) -> dict[str, list[str]]:
        """The sorted distinct ``tags`` (and ``system_tags`` when ``include_system``) of
        the company's tasks and/or models, optionally only of those matching the
        tag filter (the list-field rules of §11) and in the given projects."""
        request = {k: v for k, v in (tag_filter or {}).items() if k in ("tags", "system_tags") and v}
        query = build_filter(company_id, request, _TAG_FILTER_SPEC, allow_public=False)
        if projects:
            query = {"$and": [query, {"project": {"$in": list(projects)}}]}
        fields = ["tags", "system_tags"] if include_system else ["tags"]
        result: dict[str, set[str]] = {f: set() for f in fields}
        for entity in entities:
            repository = self._tagged["model" if entity == "model" else "task"]
            for field in fields:
                result[field].update(v for v in repository.distinct(field, query) if isinstance(v, str))
        return {field: sorted(values) for field, values in result.items()}


def public_or_company(company_id: str) -> dict[str, Any]:
    """The filter of what a company may read: its own objects and public ones."""
    return {"company": {"$in": [company_id, "", None]}}


def writable(repository: OwnedRepository, company_id: str, obj_id: str, invalid: errors.ErrorKind) -> dict[str, Any]:
    """The company's object ``obj_id`` for writing: ``invalid`` when it does not exist
    for the company, 403/21 when it is a public object."""
    doc = repository.get(obj_id, public_or_company(company_id), ["company"])
    if not doc:
        raise invalid(id=obj_id)
    if not doc.get("company"):
        raise errors.NO_WRITE_PERMISSION("for public/readonly object", id=obj_id)
    return doc
