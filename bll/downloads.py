"""CSV exports of a get_all_ex query (organization.prepare_download_for_get_all and
download_for_get_all, API 2.26; docs/api.md "Organization").

The web app first prepares: the query (a tasks or models get_all_ex request) and the
columns (``field_mappings``: a field path, the column's name, values to translate) are
checked by reading one row, then kept in Redis under a fresh id for a short while. The
download then streams the CSV page by page. Keeping the prepared query in Redis, not in
the process, lets any API process serve the download.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any

from redis import Redis

from ..config import Config
from ..database.vocabulary import new_id
from ..protocol import errors
from ..protocol.versions import Version
from .models import ModelBLL
from .organization import public_or_company
from .task.params import unescape_key
from .task.task_bll import TaskBLL

_KEY = "get_all_download_{}"
#: the parameter sections whose path parts are sent escaped (a '.' in a name is %2E)
_ESCAPED_ROOTS = ("metadata", "hyperparams", "configuration")
#: a cell starting with one of these is a formula to a spreadsheet: quoted with a "'"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_QUERY = (
    "entity_type",
    "field_mappings",
    "allow_public",
    "scroll_id",
    "size",
    "refresh_scroll",
    "page",
    "page_size",
)

Page = Callable[[int, int], list[dict[str, Any]]]


def _columns(mappings: Sequence[Mapping[str, Any]]) -> dict[str, tuple[list[str], dict[Any, Any]]]:
    """Column name → (field path, value translations); 400/12 naming a repeated name or key."""
    columns: dict[str, tuple[list[str], dict[Any, Any]]] = {}
    for mapping in mappings:
        name = mapping.get("name") or mapping["field"]
        if name in columns:
            raise errors.VALIDATION_ERROR(f"field_mappings: column name {name!r} appears more than once", name=name)
        values: dict[Any, Any] = {}
        for value in mapping.get("values") or ():
            key = _key(value["key"])
            if key in values:
                raise errors.VALIDATION_ERROR(
                    f"field_mappings: value key {value['key']!r} appears more than once", key=value["key"]
                )
            values[key] = value.get("value")
        path = str(mapping["field"]).split(".")
        if len(path) > 1 and path[0] in _ESCAPED_ROOTS:
            path = [unescape_key(p) for p in path]
        columns[str(name)] = (path, values)
    return columns


def _key(value: Any) -> Hashable:
    """A translation's key as a dict key: a JSON object or array by its canonical text."""
    return value if isinstance(value, Hashable) else json.dumps(value, sort_keys=True, default=str)


def _cell(doc: Mapping[str, Any], path: Sequence[str], values: Mapping[Any, Any]) -> str:
    value: Any = doc
    for part in path:
        value = value.get(part, "") if isinstance(value, Mapping) else ""
    if isinstance(value, Mapping):
        value = value.get("id", "")  # a joined document: its id
    if values:
        value = values.get(_key(value), value)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class DownloadBLL:
    def __init__(self, config: Config, redis: Redis, tasks: TaskBLL, models: ModelBLL) -> None:
        self._redis = redis
        self._tasks = tasks
        self._models = models
        self._ttl = int(config.get("services.organization.download.redis_timeout_sec", 300))
        self._batch = int(config.get("services.organization.download.batch_size", 500))
        self._max_items = int(config.get("services.organization.download.max_download_items", 1000))

    def _pages(self, company_id: str, request: Mapping[str, Any], version: Version) -> Page:
        query = {k: v for k, v in request.items() if k not in _NOT_QUERY}
        allow_public = request.get("allow_public") is not False
        if request["entity_type"] == "task":
            query, listed = self._tasks.listing_filter(query, version, joins=True)
            conditions = [c for c in ({"company": company_id} if not allow_public else None, listed) if c]
            base = {"$and": conditions} if conditions else None

            def tasks(page: int, size: int) -> list[dict[str, Any]]:
                paged = {**query, "page": page, "page_size": size}
                return self._tasks.get_all(company_id, paged, version, joins=True, base_filter=base)

            return tasks

        def models(page: int, size: int) -> list[dict[str, Any]]:
            paged = {**query, "page": page, "page_size": size, "allow_public": allow_public}
            return self._models.get_all_ex(company_id, paged, version)[0]

        return models

    def prepare(self, company_id: str, request: Mapping[str, Any], version: Version) -> str:
        """Check the query and the columns (one row is read), keep them; the prepare id."""
        _columns(request.get("field_mappings") or ())
        self._pages(company_id, request, version)(0, 1)
        prepare_id = new_id()
        kept = {"company": company_id, "version": str(version), "request": dict(request)}
        self._redis.setex(_KEY.format(prepare_id), self._ttl, json.dumps(kept, default=str))
        return prepare_id

    def download(self, company_id: str, prepare_id: str) -> tuple[str, Iterator[bytes]]:
        """The file name and the CSV's chunks of a prepared download (400/10 when the id is
        unknown, expired or another company's)."""
        raw = self._redis.get(_KEY.format(prepare_id))
        kept = json.loads(raw) if raw else None
        if not kept or kept.get("company") != company_id:
            raise errors.INVALID_ID("prepare ID not found", prepare_id=prepare_id)
        request, version = kept["request"], Version.parse(kept["version"])
        columns = _columns(request.get("field_mappings") or ())
        pages = self._pages(company_id, request, version)
        parts = ("clearml", self._project_name(company_id, request), f"{request['entity_type']}s.csv")
        name = "-".join(p for p in parts if p)
        return name, self._rows(columns, pages)

    def _rows(self, columns: Mapping[str, tuple[list[str], dict[Any, Any]]], pages: Page) -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        out.write("\ufeff")  # the UTF-8 signature spreadsheets look for
        writer.writerow(list(columns))
        left, page = self._max_items, 0
        while left > 0:
            docs = pages(page, min(self._batch, left))
            if not docs:
                break
            left -= len(docs)
            page += 1
            writer.writerows([_cell(d, path, values) for path, values in columns.values()] for d in docs)
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
        if out.getvalue():
            yield out.getvalue().encode()

    def _project_name(self, company_id: str, request: Mapping[str, Any]) -> str | None:
        """The basename of the one project the query names (``root`` for none), at most 60
        characters; None for several or none."""
        project = request.get("project")
        if isinstance(project, list):
            if len(project) != 1:
                return None
            project = project[0]
            if project is None:
                return "root"
        if not isinstance(project, str) or not project:
            return None
        found = self._tasks.access.projects.get(project, public_or_company(company_id), ["name"])
        return str(found.get("name") or "").rpartition("/")[2][:60] or None if found else None
