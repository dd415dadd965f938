"""The ``get_all`` query language shared by every service (the reference's GetMixin,
clearml-server v0.16.1 server/database/model/base.py; docs/tasks.md "Query").

A request such as ``{"name": "^exp", "status": ["__$not", "failed"], "only_fields":
["id", "name"], "order_by": ["-last_update"], "page": 0, "page_size": 50}`` becomes a
pymongo-style filter plus projection, order and paging. Only operators that the
embedded store (litemongo) also supports are used: no ``$text``, no ``array_filters``.

Ordering is done here rather than in the database because the reference puts ``None``
values last for the first order field and compares ``hyperparams``/``last_metrics``
values numerically; the candidate ids and order keys are read first, sorted, paged, and
only the page's documents are then read whole.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as date_parser

from ..database.repositories import CollectionReader, as_api
from ..protocol import errors
from ..protocol.fields import FIELD_NAME_PATTERN
from ..protocol.versions import Version
from .patterns import literal, pattern

NOT_MARKER = "__$not"
_NUMERIC_ORDER_PREFIXES = ("execution.parameters.", "last_metrics.", "hyperparams.", "configuration.")
_DATE_OPS = ((">=", "$gte"), ("<=", "$lte"), (">", "$gt"), ("<", "$lt"))
_CONTROL_KEYS = {"only_fields", "projection", "order_by", "page", "page_size", "search_text"}


@dataclass(frozen=True)
class QuerySpec:
    """Which request keys a service's ``get_all`` understands, and how."""

    pattern_fields: tuple[str, ...] = ("name",)
    list_fields: tuple[str, ...] = ("id", "user", "tags", "system_tags")
    datetime_fields: tuple[str, ...] = ()
    #: ``[min, max]`` ranges, both ends included, either null (an open end; a null min also
    #: takes the documents without the field); ``prefix.*``: every field below the prefix
    range_fields: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = ("name",)


def build_filter(
    company_id: str, request: Mapping[str, Any], spec: QuerySpec, *, allow_public: bool = True
) -> dict[str, Any]:
    """The pymongo filter for a ``get_all`` request, scoped to the company (and public
    objects when ``allow_public``)."""
    clauses: list[dict[str, Any]] = [
        {"company": {"$in": [company_id, ""]}} if allow_public and company_id else {"company": company_id}
    ]
    for key, value in request.items():
        if value is None or key in _CONTROL_KEYS:
            continue
        if key in spec.list_fields:
            clauses.extend(_list_clauses(key, value))
        elif key in spec.pattern_fields:
            clauses.append({key: {"$regex": pattern(value, key)}})
        elif _in_fields(key, spec.range_fields) and _is_range(value):
            clauses.append(_range_clause(key, value, dates=key in spec.datetime_fields))
        elif key in spec.datetime_fields:
            clauses.extend(_datetime_clauses(key, value))
        elif key in spec.fields:
            db_key = "_id" if key == "id" else key
            clauses.append({db_key: {"$in": list(value)}} if isinstance(value, list) else {db_key: value})
        elif key in ("_any_", "_or_", "_all_", "_and_"):
            clauses.append(_multi_field_clause(key, value))
    text = request.get("search_text")
    if text:
        regex = literal(text, "search_text")
        clauses.append({"$or": [{f: {"$regex": regex}} for f in spec.text_fields]})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def get_all_docs(
    reader: CollectionReader,
    company_id: str,
    request: Mapping[str, Any],
    spec: QuerySpec,
    *,
    allow_public: bool = True,
    base_filter: Mapping[str, Any] | None = None,
    window: tuple[int, int] | None = None,
) -> list[dict[str, Any]]:
    """Run a ``get_all`` request on an entity's repository; documents come back with ``id``.
    ``window``: (skip, limit) instead of the request's page / page_size (a scroll)."""
    query = build_filter(company_id, request, spec, allow_public=allow_public)
    if base_filter:
        query = {"$and": [query, dict(base_filter)]}
    skip, limit = window if window is not None else paging(request)
    limit = None if limit is None else min(limit, MAX_PAGE)
    order = order_fields(request)
    projection, excluded = _projection(request)
    if not order:
        return [_finish(doc, excluded) for doc in reader.find(query, projection, skip=skip, limit=limit)]
    keys = {"_id": 1, **{("_id" if f == "id" else f): 1 for f, _ in order}}
    candidates = sort_docs(reader.find_for_reading(query, keys), order)
    page = candidates[skip : None if limit is None else skip + limit]
    ids = [doc["_id"] for doc in page]
    if not ids:
        return []
    by_id = {doc["_id"]: doc for doc in reader.find({"_id": {"$in": ids}}, projection)}
    return [_finish(by_id[i], excluded) for i in ids if i in by_id]


_MAX_PAGING = 2**62
#: Most documents one page (or scroll step) answers: FerretDB 1.24 grew without bound
#: (gigabytes in seconds) on a find of whole documents with a limit of 2**62
#: (tests/api/test_bad_input.py, page_size 2**63-1), while a million was instant.
MAX_PAGE = 1_000_000


def paging(request: Mapping[str, Any]) -> tuple[int, int | None]:
    """(skip, limit) from ``page``/``page_size``; ``page`` needs ``page_size``."""
    page, size = request.get("page"), request.get("page_size")
    if page is None:
        return 0, (min(int(size), _MAX_PAGING) if size is not None and size > 0 else None)
    if size is None:
        raise errors.MISSING_REQUIRED_FIELDS("page_size is required when page is given", field="page_size")
    if page < 0:
        raise errors.VALIDATION_ERROR("page must be >= 0", field="page")
    if size < 1:
        raise errors.VALIDATION_ERROR("page_size must be > 0", field="page_size")
    # a skip or limit beyond 64 bits cannot be sent to MongoDB: no collection is that big
    return min(int(page) * int(size), _MAX_PAGING), min(int(size), _MAX_PAGING)


def order_fields(request: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """``order_by`` as (field, descending) pairs; ``@text_score`` needs ``search_text``."""
    raw = request.get("order_by") or []
    items = [raw] if isinstance(raw, str) else list(raw)
    result = []
    for item in items:
        if not item:
            continue
        name = str(item)
        descending = name.startswith("-")
        name = name.lstrip("-+")
        if name == "@text_score":
            if not request.get("search_text"):
                raise errors.FIELDS_VALUE_ERROR("order_by @text_score requires search_text", field="order_by")
            continue  # no relevance score without $text: keep the other keys' order
        if not name:
            continue  # a lone "-"
        _field_name("order_by", name)  # never an operator or an empty path part (MongoDB: 500)
        result.append((name, descending))
    return result


def _list_clauses(key: str, value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    include: list[Any] = []
    exclude: list[Any] = []
    negate = False
    for item in values:
        if item == NOT_MARKER:
            negate = True
            continue
        if isinstance(item, str) and item.startswith("-") and len(item) > 1:
            exclude.append(item[1:])
        elif negate:
            exclude.append(item)
        else:
            include.append(item)
        negate = False
    db_key = "_id" if key == "id" else key
    clauses: list[dict[str, Any]] = []
    if include:
        clauses.append(_with_null(db_key, include, "$in"))
    if exclude:
        clauses.append(_with_null(db_key, exclude, "$nin"))
    return clauses


def _with_null(db_key: str, values: list[Any], op: str) -> dict[str, Any]:
    """A null among the values also stands for an empty or missing field."""
    if None not in values:
        return {db_key: {op: values}}
    others = [v for v in values if v is not None]
    if op == "$in":
        return {"$or": ([{db_key: {"$in": others}}] if others else []) + _empty(db_key)["$or"]}
    return {"$and": [{db_key: {"$nin": others}}, _present(db_key)]} if others else _present(db_key)


#: ``filters`` (API 2.27, tasks and projects get_all_ex) and projects' ``children_tags_filter``
FILTERS_VERSION = Version(2, 27)
_FILTER_KEYS = ("any", "all", "op")
_FILTER_LISTS = ("include", "exclude")
_FILTER_OPS = ("and", "or")


def split_filters(
    request: Mapping[str, Any],
    version: Version,
    filterable: Sequence[str],
    path: Callable[[str], str] = lambda name: name,
    prefix: str = "",
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A get_all_ex request's ``filters`` (from 2.27; ignored below): ``{field: {any, all,
    op}}``, the fields ANDed. The request without ``filters`` and without the plain list
    filters of the fields it names (which it replaces, as in the reference), and the
    condition (None when it sets nothing). ``filterable``: the field names allowed, a
    trailing ``*`` allowing every path below (``hyperparams.*``); ``path``: a field name
    as stored (e.g. escaped hyper-parameter names); ``prefix``: before ``filters`` in
    error messages (``tasks.`` in organization.get_entities_count)."""
    rest = {k: v for k, v in request.items() if k != "filters"}
    filters = request.get("filters") if version >= FILTERS_VERSION else None
    if filters is None:
        return rest, None
    if not isinstance(filters, Mapping):
        where = f"{prefix}filters"
        raise errors.VALIDATION_ERROR(f"field {where}: an object of field: filter expected", field=where)
    clauses = []
    for name, value in filters.items():
        where = f"{prefix}filters.{name}"
        if not _filterable(name, filterable):
            raise errors.VALIDATION_ERROR(f"field {where}: not a field that filters can name", field=where)
        if value is None:  # a null filter is an absent one
            continue
        rest.pop(name, None)
        clause = field_filter(where, path(field_path(where, name)), value)
        if clause is not None:
            clauses.append(clause)
    if not clauses:
        return rest, None
    return rest, clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _filterable(name: Any, filterable: Sequence[str]) -> bool:
    if not isinstance(name, str):
        return False
    return any(
        name == allowed or (allowed.endswith("*") and name.startswith(allowed[:-1]) and len(name) > len(allowed) - 1)
        for allowed in filterable
    )


def field_filter(where: str, db_key: str, value: Any) -> dict[str, Any] | None:
    """One field filter (API 2.27) as the condition on ``db_key``: ``any`` — some included
    value is there or some excluded value is missing; ``all`` — every included value is
    there and no excluded one; ``op`` (``and`` by default) joins the two parts. A null
    among the values stands for an empty or missing field (included: it is; excluded: it
    is not). None when the filter sets no value. ``where``: the request field, for errors."""
    if not isinstance(value, Mapping):
        raise errors.VALIDATION_ERROR(f"field {where}: an object of any, all and op expected", field=where)
    _known_keys(where, value, _FILTER_KEYS)
    op = value.get("op")
    if op is None:
        op = "and"
    if op not in _FILTER_OPS:
        raise errors.VALIDATION_ERROR(f"field {where}.op: {op!r} is not one of 'and', 'or'", field=f"{where}.op")
    parts = [_filter_part(f"{where}.{part}", db_key, value.get(part), part == "any") for part in ("any", "all")]
    found = [p for p in parts if p is not None]
    if len(found) < 2:
        return found[0] if found else None
    return {"$or" if op == "or" else "$and": found}


def _filter_part(where: str, db_key: str, value: Any, any_of: bool) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise errors.VALIDATION_ERROR(f"field {where}: an object of include and exclude expected", field=where)
    _known_keys(where, value, _FILTER_LISTS)
    terms: list[dict[str, Any]] = []
    for name in _FILTER_LISTS:
        values = value.get(name)
        if values is None:
            continue
        if not isinstance(values, list) or not all(v is None or isinstance(v, str) for v in values):
            raise errors.VALIDATION_ERROR(f"field {where}.{name}: a list of strings expected", field=f"{where}.{name}")
        distinct = list(dict.fromkeys(v for v in values if v is not None))
        included = name == "include"
        if distinct:
            if included:
                terms.append({db_key: {"$in" if any_of else "$all": distinct}})
            elif any_of:
                terms.append({"$nor": [{db_key: {"$all": distinct}}]})  # not every one of them
            else:
                terms.append({db_key: {"$nin": distinct}})
        if None in values:
            terms.append(_empty(db_key) if included else _present(db_key))
    if len(terms) < 2:
        return terms[0] if terms else None
    return {"$or" if any_of else "$and": terms}


def _known_keys(where: str, value: Mapping[str, Any], known: Sequence[str]) -> None:
    for key in value:
        if key not in known:
            raise errors.VALIDATION_ERROR(f"field {where}.{key}: not one of {', '.join(known)}", field=f"{where}.{key}")


def _empty(db_key: str) -> dict[str, Any]:
    return {"$or": [{db_key: None}, {db_key: {"$exists": False}}, {db_key: []}, {db_key: ""}]}


def _present(db_key: str) -> dict[str, Any]:
    """Not empty (``$nin: [[]]`` would do on MongoDB, not on the embedded store)."""
    return {"$nor": _empty(db_key)["$or"]}


def _datetime_clauses(key: str, value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    clauses: list[dict[str, Any]] = []
    for item in values:
        text = str(item).strip()
        for prefix, op in _DATE_OPS:
            if text.startswith(prefix):
                clauses.append({key: {op: _parse_date(key, text[len(prefix) :])}})
                break
        else:
            clauses.append({key: _parse_date(key, text)})
    return clauses


def _in_fields(key: str, fields: Sequence[str]) -> bool:
    return key in fields or any(f.endswith(".*") and key.startswith(f[:-1]) and "$" not in key for f in fields)


def _is_range(value: Any) -> bool:
    """``[min, max]``: two items, either null, and no comparison (``>=...``: the datetime
    comparisons of the same fields)."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    return not any(isinstance(v, str) and v.strip().startswith(("<", ">")) for v in value)


def _range_clause(key: str, value: Sequence[Any], *, dates: bool) -> dict[str, Any]:
    """A ``[min, max]`` range filter (the reference's range fields, e.g. the web app's
    ``started`` or ``last_iteration`` columns): 400/12 naming the field for two nulls or
    a bound of the wrong kind."""
    bounds: list[Any] = []
    for bound in value:
        if bound is None:
            bounds.append(None)
        elif dates and isinstance(bound, str):
            bounds.append(_parse_date(key, bound))
        elif not dates and isinstance(bound, int | float) and not isinstance(bound, bool):
            bounds.append(bound)
        else:
            kind = "a date" if dates else "a number"
            raise errors.VALIDATION_ERROR(f"field {key}: a range bound must be {kind} or null", field=key)
    low, high = bounds
    if low is None and high is None:
        raise errors.VALIDATION_ERROR(f"field {key}: a range needs a min or a max", field=key)
    condition = {op: b for op, b in (("$gte", low), ("$lte", high)) if b is not None}
    if low is None:
        return {"$or": [{key: condition}, {key: None}]}
    return {key: condition}


def _parse_date(key: str, text: str) -> datetime:
    try:
        parsed = date_parser.parse(text)
    except (ValueError, OverflowError) as exc:
        raise errors.VALIDATION_ERROR(f"field {key}: not a date: {text!r}", field=key) from exc
    if parsed.tzinfo is not None:  # stored datetimes are naive UTC
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _multi_field_clause(key: str, value: Any) -> dict[str, Any]:
    """``{fields, pattern}`` (a regex on each field) or ``{fields, datetime}`` (each field
    within the date conditions, e.g. ``[">2024-01-01"]``, as the SDK's triggers send from
    API 2.23 on); ``_any_`` / ``_or_``: one field matches, ``_all_`` / ``_and_``: every one."""
    if not isinstance(value, Mapping) or not value.get("fields") or not isinstance(value["fields"], list):
        raise errors.VALIDATION_ERROR(f"field {key}: expected {{pattern or datetime, fields}}", field=key)
    names = [_field_name(f"{key}.fields", f) for f in value["fields"]]
    parts: list[dict[str, Any]]
    if value.get("datetime") is not None:
        if value.get("pattern") is not None:
            raise errors.VALIDATION_ERROR(f"field {key}: pattern and datetime exclude each other", field=key)
        parts = [{"$and": _datetime_clauses(name, value["datetime"])} for name in names]
    elif value.get("pattern") is None:
        raise errors.VALIDATION_ERROR(f"field {key}.pattern: required", field=f"{key}.pattern")
    else:
        regex = pattern(value["pattern"], f"{key}.pattern", ignore_case=True)
        parts = [{name: {"$regex": regex}} for name in names]
    return {"$or" if key in ("_any_", "_or_") else "$and": parts}


_FIELD_NAME = re.compile(FIELD_NAME_PATTERN)


def field_path(where: str, name: Any) -> str:
    """``name`` from the request as a document path (``id`` is ``_id``); 400/12 naming
    ``where`` when it is not a field name."""
    return _field_name(where, name)


def _field_name(where: str, name: Any) -> str:
    """A document field path from the request: never an operator (``$where`` would run
    code on MongoDB) nor anything but dotted names."""
    if not isinstance(name, str) or not _FIELD_NAME.match(name):
        raise errors.VALIDATION_ERROR(f"field {where}: not a field name: {name!r}", field=where)
    return "_id" if name == "id" else name


def _projection(request: Mapping[str, Any]) -> tuple[dict[str, int] | None, list[str]]:
    """An inclusion projection (plus fields to drop afterwards) or an exclusion one."""
    raw: Iterable[str] = request.get("only_fields") or request.get("projection") or []
    names = [f for f in raw if f]
    for name in names:
        _field_name("only_fields", name.removeprefix("-"))
    include = [f for f in names if not f.startswith("-")]
    exclude = [f[1:] for f in names if f.startswith("-")]
    if include:
        projection = {("_id" if f == "id" else f): 1 for f in include}
        projection["_id"] = 1
        return projection, exclude
    if exclude:
        return {f: 0 for f in exclude if f != "id"}, []
    return None, []


def _finish(doc: Mapping[str, Any], excluded: Sequence[str]) -> dict[str, Any]:
    result = as_api(doc) or {}
    for path in excluded:
        _drop_path(result, path.split("."))
    return result


def _drop_path(doc: dict[str, Any], parts: list[str]) -> None:
    target: Any = doc
    for part in parts[:-1]:
        target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            return
    if isinstance(target, dict):
        target.pop(parts[-1], None)


def _get_path(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in ("_id" if path == "id" else path).split("."):
        if type(value) is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def sort_docs(docs: list[Any], order: Sequence[tuple[str, bool]]) -> list[Any]:
    """``docs`` ordered by the (field, descending) pairs: a missing or null value goes
    last for the first field and first for the others, in either direction; values
    compare through ``_value_key``; ties keep their order.

    One stable sort per field, from the last field to the first (the ``reverse`` flag
    keeps ties in order), over precomputed keys and positions: no per-document tuples,
    which would make the garbage collector walk every cached document of a large
    collection on each request."""
    for index, (field, descending) in reversed(list(enumerate(order))):
        numeric = field.startswith(_NUMERIC_ORDER_PREFIXES)
        item = _is_parameter_item(field)
        top = "." not in field and field != "id"
        values: list[Any] = []
        for doc in docs:
            value = doc.get(field) if top and type(doc) is dict else _get_path(doc, field)
            if item and isinstance(value, dict | Mapping):
                value = value.get("value")  # hyperparams.<section>.<name> → its value
            values.append(value)
        present = [i for i, value in enumerate(values) if value is not None]
        kinds = {type(values[i]) for i in present}
        if kinds == {datetime}:  # the usual case: _value_key's order without its tuples
            keys: list[Any] = [values[i].timestamp() for i in present]
        elif kinds == {str} and not numeric:
            keys = [values[i] for i in present]
        else:
            keys = [_value_key(field, values[i]) for i in present]
        ranks = sorted(range(len(present)), key=keys.__getitem__, reverse=descending)
        ordered = [docs[present[r]] for r in ranks]
        missing = [doc for doc, value in zip(docs, values, strict=True) if value is None]
        docs = ordered + missing if index == 0 else missing + ordered
    return docs


def _is_parameter_item(field: str) -> bool:
    """``hyperparams.<section>.<name>``, ``configuration.<name>`` or
    ``last_metrics.<metric>.<variant>``: one item, ordered by its ``value``."""
    parts = field.split(".")
    return len(parts) == {"hyperparams": 3, "configuration": 2, "last_metrics": 3}.get(parts[0], 0)


def _value_key(field: str, value: Any) -> tuple[int, Any]:
    """A total order over mixed values: numbers, then strings, then the rest; documents
    (e.g. a whole ``hyperparams.<section>``) and arrays compare as MongoDB compares them."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        if field.startswith(_NUMERIC_ORDER_PREFIXES):
            try:
                return (0, float(value))
            except ValueError:
                pass
        return (1, value)
    if isinstance(value, datetime):
        return (2, value.timestamp())
    if isinstance(value, Mapping | list):
        numeric = field.startswith(_NUMERIC_ORDER_PREFIXES)
        return (3, _bson_key(value, numeric, field.startswith(("hyperparams.", "configuration."))))
    return (4, str(value))


# MongoDB's canonical type order (null < numbers < strings < objects < arrays < ... ).
_NULL, _NUMBER, _STRING, _OBJECT, _ARRAY, _BOOL, _DATE, _OTHER = 5, 10, 15, 20, 25, 40, 45, 100
# the field order the reference stores parameter items in (its ParamsItem / ConfigurationItem)
_ITEM_FIELDS = ("section", "name", "value", "type", "description")


def _bson_key(value: Any, numeric: bool, params: bool = False) -> tuple[int, Any]:
    """(canonical type, comparable value) ordering values as MongoDB does: an object
    element by element in stored order — each by type, then field name, then value — and
    shorter first when one is a prefix of the other; an array element by element.
    ``numeric``: strings that are numbers compare as numbers, as the reference's numeric
    collation does for parameter and metric fields. ``params``: a ``hyperparams`` or
    ``configuration`` sub-document, whose items are read in the reference's field order."""
    if value is None:
        return (_NULL, 0)
    if isinstance(value, bool):
        return (_BOOL, int(value))
    if isinstance(value, int | float):
        return (_NUMBER, value)
    if isinstance(value, str):
        return (_STRING, _string_key(value, numeric))
    if isinstance(value, datetime):
        return (_DATE, value.timestamp())
    if isinstance(value, Mapping):
        return (_OBJECT, _object_key(value, numeric, params))
    if isinstance(value, list):
        return (_ARRAY, tuple(_bson_key(v, numeric, params) for v in value))
    return (_OTHER, str(value))


def _string_key(value: str, numeric: bool) -> tuple[int, float, str]:
    """Under ``numeric`` a string that is a number compares as that number (before other
    strings), as the reference's numeric collation orders parameter values."""
    if numeric:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isnan(number):
            return (0, number, value)
    return (1, 0.0, value)


def _object_key(value: Mapping[str, Any], numeric: bool, params: bool) -> tuple[Any, ...]:
    items = list(value.items())
    if params and "name" in value and not any(isinstance(v, Mapping) for v in value.values()):
        # a parameter item: read in the field order the reference stores it in
        rank = {name: i for i, name in enumerate(_ITEM_FIELDS)}
        items.sort(key=lambda kv: rank.get(kv[0], len(rank)))
    elements = []
    for name, element in items:
        kind, key = _bson_key(element, numeric, params)
        elements.append((kind, str(name), key))
    return tuple(elements)
