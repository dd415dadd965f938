"""tasks.*_hyper_params and tasks.*configuration*: item-level reads and edits of
``hyperparams`` (section → name → item) and ``configuration`` (name → item)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...database.vocabulary import TaskStatus, utcnow
from ...protocol import errors
from .access import TaskAccess
from .params import escape_key, unescape_configuration, unescape_hyperparams

#: User properties (``Task.set_user_properties``): editable in every status, as in the reference.
PROPERTIES_SECTION = "properties"


def _item(raw: Mapping[str, Any], **names: str) -> dict[str, Any]:
    return {k: v for k, v in {**raw, **names}.items() if v is not None}


def _properties_only(items: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The items with a ``properties`` section named in any case spelled ``properties``
    (as the reference normalises it), and whether they touch that section only."""
    normalised = []
    for item in items:
        item = dict(item)
        if str(item.get("section", "")).lower() == PROPERTIES_SECTION:
            item["section"] = PROPERTIES_SECTION
        normalised.append(item)
    return normalised, all(i["section"] == PROPERTIES_SECTION for i in normalised)


class HyperParamsBLL:
    def __init__(self, access: TaskAccess) -> None:
        self.access = access
        self.tasks = access.tasks

    def _readable(self, company_id: str, task_ids: Sequence[str], field: str) -> list[dict[str, Any]]:
        return self.access.readable(company_id, task_ids, (field,))

    def _writable(
        self, company_id: str, task_id: str, force: bool, field: str, any_status: bool = False
    ) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, task_id, (field,))
        if not force and not any_status and task.get("status") != TaskStatus.created:
            raise errors.INVALID_TASK_STATUS(
                f"{field} can only be changed for tasks in the 'created' status",
                task=task_id,
                status=task.get("status"),
            )
        return task

    def _write(self, task_id: str, sets: dict[str, Any] | None = None, unsets: Sequence[str] = ()) -> int:
        return self.tasks.edit_fields(task_id, {**(sets or {}), "last_update": utcnow()}, unsets)

    # --- hyper-parameters ------------------------------------------------------------

    def get_hyper_params(self, company_id: str, task_ids: Sequence[str]) -> list[dict[str, Any]]:
        result = []
        for doc in self._readable(company_id, task_ids, "hyperparams"):
            items = [
                _item(item, section=section, name=name)
                for section, values in unescape_hyperparams(doc.get("hyperparams")).items()
                if isinstance(values, dict)
                for name, item in values.items()
            ]
            items.sort(key=lambda i: (i["section"], i["name"]))
            result.append({"task": doc["id"], "hyperparams": items})
        return result

    def edit_hyper_params(
        self, company_id: str, task_id: str, items: Sequence[Mapping[str, Any]], replace: str, force: bool
    ) -> int:
        items, properties_only = _properties_only(items)
        task = self._writable(company_id, task_id, force, "hyperparams", any_status=properties_only)
        sections: dict[str, dict[str, Any]] = {}
        for item in items:
            sections.setdefault(item["section"], {})[item["name"]] = dict(item)
        if replace == "all":
            value = {escape_key(s): {escape_key(n): i for n, i in v.items()} for s, v in sections.items()}
            return self._write(task_id, {"hyperparams": value})
        if replace == "section":
            sets = {
                f"hyperparams.{escape_key(s)}": {escape_key(n): i for n, i in v.items()} for s, v in sections.items()
            }
        else:
            sets = {
                f"hyperparams.{escape_key(s)}.{escape_key(n)}": i for s, v in sections.items() for n, i in v.items()
            }
        if not task.get("hyperparams"):
            # dotted $set below a missing or null parent is not portable: start from {}
            self.tasks.start_object(task_id, "hyperparams")
        return self._write(task_id, sets)

    def delete_hyper_params(
        self, company_id: str, task_id: str, items: Sequence[Mapping[str, Any]], force: bool
    ) -> int:
        items, properties_only = _properties_only(items)
        self._writable(company_id, task_id, force, "hyperparams", any_status=properties_only)
        paths = []
        for item in items:
            path = f"hyperparams.{escape_key(item['section'])}"
            if item.get("name"):
                path += f".{escape_key(item['name'])}"
            paths.append(path)
        return self._write(task_id, unsets=paths)

    # --- configuration ---------------------------------------------------------------

    def get_configurations(
        self, company_id: str, task_ids: Sequence[str], names: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        result = []
        for doc in self._readable(company_id, task_ids, "configuration"):
            config = unescape_configuration(doc.get("configuration"))
            items = [_item(item, name=name) for name, item in config.items() if not names or name in names]
            items.sort(key=lambda i: i["name"])
            result.append({"task": doc["id"], "configuration": items})
        return result

    def get_configuration_names(
        self, company_id: str, task_ids: Sequence[str], skip_empty: bool = False
    ) -> list[dict[str, Any]]:
        """Each task's configuration item names; with ``skip_empty`` (2.13, its default
        there) not those of items without a value."""
        answer = []
        for doc in self._readable(company_id, task_ids, "configuration"):
            items = unescape_configuration(doc.get("configuration"))
            names = [n for n, item in items.items() if not skip_empty or (item or {}).get("value") not in (None, "")]
            answer.append({"task": doc["id"], "names": sorted(names)})
        return answer

    def edit_configuration(
        self, company_id: str, task_id: str, items: Sequence[Mapping[str, Any]], replace: bool, force: bool
    ) -> int:
        task = self._writable(company_id, task_id, force, "configuration")
        if replace:
            return self._write(task_id, {"configuration": {escape_key(i["name"]): dict(i) for i in items}})
        if not task.get("configuration"):
            self.tasks.start_object(task_id, "configuration")
        return self._write(task_id, {f"configuration.{escape_key(i['name'])}": dict(i) for i in items})

    def delete_configuration(self, company_id: str, task_id: str, names: Sequence[str], force: bool) -> int:
        self._writable(company_id, task_id, force, "configuration")
        return self._write(task_id, unsets=[f"configuration.{escape_key(n)}" for n in names])
