"""The workers.* rules: agents registering, reporting and being listed.

Workers live only in Redis (``stores.workers_redis``), one JSON record per worker
under ``worker_<company>_<user>_<worker id>`` written (``SET ... EX``) with a TTL of the worker's
register timeout, as the reference does: a worker that stops reporting disappears
by itself. A status report from an unknown worker registers it
(``apiserver.workers.auto_register``); a report naming a task refreshes the task's
``last_worker``, ``last_worker_report`` and ``last_update`` (keeping the
non-responsive task watchdog away).
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis

from ..config import Config
from ..database.repositories.companies import CompanyRepository
from ..database.repositories.tasks import TaskRepository
from ..database.repositories.users import UserRepository
from ..database.vocabulary import utcnow
from ..protocol import errors
from .queues import QueueBLL
from .statistics import StatsBLL

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 600
# Longer periods are all the same as "forever" here, and larger numbers overflow Redis
# expiry times and datetime arithmetic.
MAX_SECONDS = 2**31 - 1
_DATE_FIELDS = ("register_time", "last_activity_time", "last_report_time")


def worker_key(company_id: str, user_id: str, worker: str) -> str:
    return f"worker_{company_id}_{user_id}_{worker}"


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def _dump(entry: Mapping[str, Any]) -> str:
    return json.dumps({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in entry.items()})


def _load(raw: bytes | str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(raw)
    for name in _DATE_FIELDS:
        if isinstance(entry.get(name), str):
            entry[name] = datetime.fromisoformat(entry[name]).replace(tzinfo=None)
    return entry


class WorkerBLL:
    def __init__(
        self,
        config: Config,
        redis: Redis,
        queues: QueueBLL,
        stats: StatsBLL,
        documents: tuple[UserRepository, CompanyRepository, TaskRepository],
    ) -> None:
        """``documents``: the users, companies and tasks repositories."""
        self._redis = redis
        self._users, self._companies, self._tasks = documents
        self._queues = queues
        self._stats = stats
        self._auto_register = bool(config.get("apiserver.workers.auto_register"))

    # --- registration -----------------------------------------------------------------

    def register(
        self,
        company_id: str,
        user_id: str,
        worker: str,
        ip: str | None = None,
        queues: Sequence[str] | None = None,
        timeout: int = DEFAULT_TIMEOUT,
        tags: Mapping[str, Sequence[str] | None] | None = None,
    ) -> dict[str, Any]:
        """Store the worker's record for ``timeout`` seconds; 400/1002 for a timeout
        outside 1..2**31-1, 400/301 for an unknown user, 400/701 for queues not in
        the company. ``tags``: its ``tags`` / ``system_tags`` (those given)."""
        if timeout is None or not 0 < timeout <= MAX_SECONDS:
            raise errors.WORKER_REGISTRATION_FAILED("invalid timeout", timeout=timeout, worker=worker)
        user = self._users.get(user_id, company_id, ("id", "name"))
        if not user:
            raise errors.INVALID_USER_ID(id=user_id, company=company_id)
        company = self._companies.get(company_id, ("id", "name"))
        queues = list(queues or [])
        missing = set(queues) - self._queues.existing_ids(company_id, queues)
        if missing:
            raise errors.INVALID_QUEUE_ID(ids=sorted(missing))
        now = utcnow()
        entry: dict[str, Any] = {
            "key": worker_key(company_id, user_id, worker),
            "id": worker,
            "user": {"id": user_id, "name": user.get("name")},
            "company": {"id": company_id, "name": (company or {}).get("name")},
            "ip": ip,
            "queues": queues,
            "register_time": now,
            "register_timeout": int(timeout),
            "last_activity_time": now,
        }
        entry.update({k: list(v) for k, v in (tags or {}).items() if v is not None})
        self._save(entry)
        return entry

    def unregister(self, company_id: str, user_id: str, worker: str) -> None:
        """Drop the worker's record; 400/1004 when there is none."""
        if not self._redis.delete(worker_key(company_id, user_id, worker)):
            raise errors.WORKER_NOT_REGISTERED(worker=worker)

    def status_report(self, company_id: str, user_id: str, ip: str | None, report: Mapping[str, Any]) -> None:
        """Record a report: activity time, queues, the running task (400/101 if it is not
        a task of the company) and the machine statistics. The record is saved even
        when the report is refused, as the reference does."""
        entry = self._get_or_register(company_id, user_id, report["worker"])
        now = utcnow()
        entry["ip"] = ip
        entry["last_activity_time"] = now
        try:
            if report.get("machine_stats"):
                self._stats.record_worker_stats(company_id, entry, report)
            entry["queue"] = report.get("queue")
            if report.get("queues") is not None:
                entry["queues"] = list(report["queues"])
            for field in TAG_FIELDS:
                if report.get(field) is not None:
                    entry[field] = list(report[field])
            task_id = report.get("task")
            entry["task"] = self._touch_task(company_id, task_id, report["worker"], now) if task_id else None
            entry["last_report_time"] = now
        finally:
            self._save(entry)

    def _touch_task(self, company_id: str, task_id: str, worker: str, now: datetime) -> dict[str, Any]:
        task = self._tasks.report_worker(task_id, company_id, worker, now)
        if not task:
            raise errors.INVALID_TASK_ID(id=task_id, company=company_id)
        return {"id": task_id, "name": task.get("name")}

    def _tasks_info(self, task_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(task_ids)
        if not ids:
            return {}
        found = self._tasks.find({"_id": {"$in": ids}}, {"name": 1, "started": 1, "last_iteration": 1})
        return {d["_id"]: d for d in found}

    def _get_or_register(self, company_id: str, user_id: str, worker: str) -> dict[str, Any]:
        raw = self._redis.get(worker_key(company_id, user_id, worker))
        if raw:
            return _load(raw)
        if self._auto_register:
            return self.register(company_id, user_id, worker)
        raise errors.INVALID_WORKER_ID(worker=worker)

    def _save(self, entry: Mapping[str, Any]) -> None:
        timeout = int(entry.get("register_timeout") or DEFAULT_TIMEOUT)
        self._redis.set(str(entry["key"]), _dump(entry), ex=timeout)

    # --- listing ----------------------------------------------------------------------

    def get_all(
        self, company_id: str, last_seen: int | None = None, selection: WorkerSelection | None = None
    ) -> list[dict[str, Any]]:
        """The company's live worker records; with ``last_seen`` (seconds) only those
        active within that period, and only those ``selection`` selects."""
        pattern = _glob_escape(f"worker_{company_id}_") + "*"
        keys = list(self._redis.scan_iter(match=pattern, count=500))
        records = [_load(raw) for raw in self._redis.mget(keys) if raw] if keys else []
        if last_seen:
            since = utcnow() - timedelta(seconds=min(max(1, int(last_seen)), MAX_SECONDS))
            records = [w for w in records if w["last_activity_time"] >= since]
        if selection:
            records = [w for w in records if selection.selects(w)]
        return records

    def get_all_with_details(
        self, company_id: str, last_seen: int | None, selection: WorkerSelection | None = None
    ) -> list[dict[str, Any]]:
        """``workers.get_all``: records with queue names, sizes and next tasks, and the
        running task's running time (ms) and last iteration."""
        workers = self.get_all(company_id, last_seen, selection)
        queue_ids = {q for w in workers for q in w.get("queues") or []}
        queue_ids.update(w["queue"] for w in workers if w.get("queue"))
        summaries = self._queues.summaries(queue_ids)
        task_ids = {w["task"]["id"] for w in workers if w.get("task")}
        task_ids.update(s["next_task"] for s in summaries.values() if s["next_task"])
        tasks = self._tasks_info(task_ids)
        now = utcnow()
        return [_detailed(w, summaries, tasks, now) for w in workers]

    def attach_to_queues(self, company_id: str, queues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``queues.get_all_ex``: each queue gets the workers listening to it."""
        by_queue: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for worker in self.get_all(company_id):
            for queue_id in worker.get("queues") or []:
                by_queue[queue_id].append({"name": worker["id"], "ip": worker.get("ip"), "task": worker.get("task")})
        for queue in queues:
            queue["workers"] = by_queue.get(queue.get("id", ""), [])
        return queues


TAG_FIELDS = ("tags", "system_tags")


@dataclass(frozen=True)
class WorkerSelection:
    """The workers a get_all / get_count request selects by tags (2.20 / 2.22) and name
    (2.30 ``worker_pattern``)."""

    tags: tuple[str, ...] = ()
    system_tags: tuple[str, ...] = ()
    pattern: str | None = None

    @classmethod
    def of(cls, request: Mapping[str, Any], fields: Iterable[str]) -> WorkerSelection:
        """The selection of the request's ``fields`` (those its version declares)."""
        wanted = set(fields)

        def tags(name: str) -> tuple[str, ...]:
            return tuple(request.get(name) or ()) if name in wanted else ()

        pattern = request.get("worker_pattern") if "worker_pattern" in wanted else None
        return cls(tags("tags"), tags("system_tags"), pattern or None)

    def selects(self, worker: Mapping[str, Any]) -> bool:
        if self.pattern is not None:
            name = str(worker.get("id", ""))
            glob = any(c in self.pattern for c in "*?[")
            if not (fnmatch.fnmatchcase(name, self.pattern) if glob else self.pattern in name):
                return False
        return _tags_match(self.tags, worker.get("tags")) and _tags_match(self.system_tags, worker.get("system_tags"))


def _tags_match(wanted: Sequence[str], have: Any) -> bool:
    """Any of the wanted tags (when some are wanted) and none of the '-' excluded ones."""
    present = set(have or [])
    include = [t for t in wanted if not t.startswith("-")]
    exclude = [t[1:] for t in wanted if t.startswith("-")]
    return (not include or bool(present.intersection(include))) and not present.intersection(exclude)


def _detailed(
    worker: dict[str, Any], summaries: Mapping[str, Any], tasks: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    def queue_entry(queue_id: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": queue_id}
        info = summaries.get(queue_id)
        if info:
            entry["name"] = info["name"]
            entry["num_tasks"] = info["num_entries"]
            if info["next_task"]:
                next_task = tasks.get(info["next_task"]) or {}
                entry["next_task"] = {"id": info["next_task"], "name": next_task.get("name")}
        return entry

    result = dict(worker)
    queues = [queue_entry(q) for q in dict.fromkeys(worker.get("queues") or [])]
    result["queues"] = queues
    current = worker.get("queue")
    result["queue"] = next((q for q in queues if q["id"] == current), None) if current else None
    if worker.get("task"):
        task = dict(worker["task"])
        info = tasks.get(task["id"])
        if info:
            started = info.get("started")
            task["running_time"] = int((now - started).total_seconds() * 1000) if started else 0
            task["last_iteration"] = info.get("last_iteration")
        result["task"] = task
    return {k: v for k, v in result.items() if v is not None}
