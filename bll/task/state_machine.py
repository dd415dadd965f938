"""The task status table and the one conditional update that changes a status.

A change is written with the expected current status in the filter, so two callers
racing on one task can never both move it: the loser gets 400/121.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...database.repositories.tasks import TaskRepository
from ...database.vocabulary import TaskStatus as S
from ...database.vocabulary import utcnow
from ...protocol import errors

TRANSITIONS: dict[str, frozenset[str]] = {
    S.created: frozenset({S.queued, S.in_progress}),
    S.queued: frozenset({S.created, S.in_progress}),
    S.in_progress: frozenset({S.stopped, S.failed, S.created, S.completed}),
    S.stopped: frozenset({S.closed, S.created, S.failed, S.in_progress, S.published, S.publishing, S.completed}),
    S.closed: frozenset({S.created, S.failed, S.published, S.publishing, S.stopped}),
    S.failed: frozenset({S.created, S.stopped, S.published}),
    S.publishing: frozenset({S.published}),
    S.published: frozenset(),
    S.completed: frozenset({S.published, S.in_progress, S.created}),
}


def check_transition(current: str, new: str, *, force: bool = False, allow_same: bool = True) -> None:
    """Raise 400/110 (or 500/1 from an unknown status) unless ``current`` → ``new`` is allowed."""
    if force:
        return
    if current == new and allow_same:
        return
    allowed = TRANSITIONS.get(current)
    if allowed is None:
        raise errors.INTERNAL_ERROR("unknown task status", current_status=current, new_status=new)
    if new not in allowed or current == new:
        raise errors.INVALID_TASK_STATUS("Invalid status change", current_status=current, new_status=new)


@dataclass
class StatusChange:
    """One status change; ``set``/``unset``/``min`` are extra fields written with it."""

    new_status: str
    status_reason: str | None = None
    status_message: str | None = None
    force: bool = False
    allow_same: bool = True
    set: dict[str, Any] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    min: dict[str, datetime] = field(default_factory=dict)
    #: More conditions the task must still meet for the change to be written.
    where: dict[str, Any] = field(default_factory=dict)


def apply_status_change(
    tasks: TaskRepository, task: Mapping[str, Any], change: StatusChange, now: datetime | None = None
) -> dict[str, Any]:
    """Write ``change`` if the task still has the status (and ``status_changed``) it was
    read with: of two changes read from the same state only one is written, so the
    stored status and its time are always those of the last change written.

    Returns the reference's ``{updated, fields}`` answer. ``now``: the time written
    (default: the current time)."""
    current = task.get("status") or S.created
    check_transition(current, change.new_status, force=change.force, allow_same=change.allow_same)
    now = now or utcnow()
    fields: dict[str, Any] = {
        "status": change.new_status,
        "status_reason": change.status_reason,
        "status_message": change.status_message,
        "status_changed": now,
        "last_update": now,
        **change.set,
    }
    if not tasks.change_status(task, fields, unset=change.unset, lower_to=change.min, where=change.where):
        raise errors.FAILED_CHANGING_TASK_STATUS(task=task["id"], current_status=current, new_status=change.new_status)
    answer = dict(fields)
    answer.update(change.min)
    for key in change.unset:
        answer[key] = None
    return {"updated": 1, "fields": answer}
