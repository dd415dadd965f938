"""The values documents share with the business rules: ids, timestamps, roles and task
states. ``bll`` reads them here; the mongoengine documents (``database.model``) use them
in their ``choices``. Nothing here touches a store."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4


def new_id() -> str:
    """32 lowercase hex characters, the reference's id format."""
    return uuid4().hex


def utcnow() -> datetime:
    """Naive UTC with millisecond precision (what MongoDB keeps)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Role:
    system = "system"
    root = "root"
    admin = "admin"
    superuser = "superuser"
    user = "user"
    annotator = "annotator"
    guest = "guest"

    ALL = (system, root, admin, superuser, user, annotator, guest)
    SYSTEM = (system, root)
    # Roles that may act as another user of their company (system and root: of any company).
    IMPERSONATORS = (system, root, admin)
    # Highest first: no caller ever gains a role above its own (docs/security.md).
    _RANK = dict(zip(ALL, range(len(ALL), 0, -1), strict=True))

    @classmethod
    def rank(cls, role: str | None) -> int:
        """The role's place in ALL (system highest); 0 for an unknown role."""
        return cls._RANK.get(role or "", 0)

    @classmethod
    def outranks(cls, role: str | None, other: str | None) -> bool:
        """Whether ``role`` is strictly above ``other``."""
        return cls.rank(role) > cls.rank(other)


class TaskStatus:
    created = "created"
    queued = "queued"
    in_progress = "in_progress"
    stopped = "stopped"
    publishing = "publishing"
    published = "published"
    closed = "closed"
    failed = "failed"
    completed = "completed"
    unknown = "unknown"

    ALL = (created, queued, in_progress, stopped, publishing, published, closed, failed, completed, unknown)


class TaskType:
    ALL = (
        "training",
        "testing",
        "inference",
        "data_processing",
        "application",
        "monitor",
        "controller",
        "optimizer",
        "service",
        "qc",
        "custom",
    )
    #: Reports (API 2.23, the reports service only): tasks.create and the tasks
    #: schema's ``task_type`` do not take it; stored documents may have it.
    report = "report"
    STORED = (*ALL, report)


class TaskSystemTags:
    development = "development"
