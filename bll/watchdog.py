"""The non-responsive task watchdog.

A background thread that, every ``watch_interval_sec``, stops the ``in_progress`` tasks
whose ``last_update`` is older than ``threshold_sec`` (config
``services.tasks.non_responsive_tasks_watchdog``): status ``stopped`` with reason and
message "Forced stop (non-responsive)", as the reference does. A worker's status
report naming the task, ``tasks.ping`` and event writes keep ``last_update`` fresh.

Each stop is the one conditional status update (``bll/task/state_machine.py``), with
"still stale" as an extra condition, so a task that reports in the meantime, or another
API process running the same scan, is not stopped twice. The first scan runs one interval after start.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from ..config import Config
from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..database.vocabulary import TaskStatus as S
from ..database.vocabulary import utcnow
from ..protocol import errors
from .task.state_machine import StatusChange, apply_status_change

log = logging.getLogger(__name__)

CONFIG_KEY = "services.tasks.non_responsive_tasks_watchdog"
REASON = "Forced stop (non-responsive)"


class NonResponsiveTasksWatchdog:
    def __init__(self, config: Config, tasks: TaskRepository, projects: ProjectRepository) -> None:
        self._tasks = tasks
        self._projects = projects
        self.enabled = bool(config.get(f"{CONFIG_KEY}.enabled"))
        self.threshold = timedelta(seconds=float(config.get(f"{CONFIG_KEY}.threshold_sec")))
        self.interval = max(0.05, float(config.get(f"{CONFIG_KEY}.watch_interval_sec")))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def scan(self, now: datetime | None = None) -> int:
        """One cycle: stop the stale in-progress tasks; returns how many were stopped."""
        now = now or utcnow()
        cutoff = now - self.threshold
        stale = self._tasks.stale_in_progress(cutoff)
        stopped, projects = 0, set()
        for doc in stale:
            task = {"id": doc["_id"], "status": S.in_progress}
            change = StatusChange(S.stopped, REASON, REASON, where={"last_update": {"$lt": cutoff}})
            try:
                apply_status_change(self._tasks, task, change, now=now)
            except errors.ApiError:  # reported or changed meanwhile: no longer stale
                continue
            stopped += 1
            if doc.get("project"):
                projects.add(doc["project"])
        if projects:
            self._projects.touch_many(sorted(projects), now)
        if stale:
            log.info("watchdog: %d of %d non-responsive tasks stopped", stopped, len(stale))
        return stopped

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="task-watchdog", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.scan()
            except Exception:  # the thread must survive a failed cycle
                log.exception("watchdog cycle failed")
