"""Reading a task for the caller: their company's tasks, plus public ones for reading;
the references a task's fields name (project, parent, input model)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...database.repositories.models import ModelRepository
from ...database.repositories.projects import ProjectRepository
from ...database.repositories.tasks import TaskRepository
from ...database.vocabulary import utcnow
from ...protocol import errors
from ..organization import public_or_company


class TaskAccess:
    """The one rule of who reads and who writes a task, over the tasks repository (with
    the projects and models ones for the references)."""

    def __init__(self, tasks: TaskRepository, projects: ProjectRepository, models: ModelRepository) -> None:
        self.tasks = tasks
        self.projects = projects
        self.models = models

    def get_for_read(self, company_id: str, task_id: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The task if the caller's company owns it or it is public; 400/101 otherwise."""
        task = self.tasks.get(task_id, public_or_company(company_id), fields)
        if task is None:
            raise errors.INVALID_TASK_ID(id=task_id)
        task.setdefault("status_changed", None)  # never changed yet: a change is conditional on that too
        return task

    def get_many_for_read(
        self, company_id: str, task_ids: Sequence[str], fields: Iterable[str] | None = None
    ) -> list[dict]:
        """The tasks (each the caller's or public) in the given order; 400/101 naming the
        first one not readable."""
        ids = list(dict.fromkeys(task_ids))
        docs = self.tasks.get_many(ids, public_or_company(company_id), fields)
        for task_id in ids:
            if task_id not in docs:
                raise errors.INVALID_TASK_ID(id=task_id)
        return [docs[t] for t in ids]

    def readable(self, company_id: str, task_ids: Sequence[str], fields: Iterable[str]) -> list[dict[str, Any]]:
        """As ``get_many_for_read``, the 400/101 naming every id not readable."""
        ids = list(dict.fromkeys(task_ids))
        found = self.tasks.get_many(ids, public_or_company(company_id), fields)
        missing = [i for i in ids if i not in found]
        if missing:
            raise errors.INVALID_TASK_ID(ids=missing)
        return [found[i] for i in ids]

    def get_for_write(self, company_id: str, task_id: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The caller's own task; 403/21 for a public one, 400/101 for anything else."""
        # status and status_changed: what a status change is conditional on
        wanted = set(fields or ()) | {"status", "status_changed", "project"} if fields else None
        task = self.tasks.get_own(task_id, company_id, wanted)
        if task is None:
            if self.tasks.is_public(task_id):
                raise errors.NO_WRITE_PERMISSION("public tasks cannot be changed", task=task_id)
            raise errors.INVALID_TASK_ID(id=task_id)
        task.setdefault("status_changed", None)  # never changed yet: a change is conditional on that too
        return task

    def touch_project(self, project_id: str | None) -> None:
        """Keep the project's ``last_update`` current after a change to one of its tasks."""
        if project_id:
            self.projects.touch(project_id, utcnow())

    def check_project(self, company_id: str, project_id: str | None) -> None:
        if project_id and not self.projects.exists(project_id, public_or_company(company_id)):
            raise errors.INVALID_PROJECT_ID(id=project_id)

    def check_parent(self, company_id: str, parent_id: str | None) -> None:
        if parent_id and not self.tasks.exists(parent_id, public_or_company(company_id)):
            raise errors.INVALID_TASK_ID("invalid parent", parent=parent_id)

    def check_input_model(self, company_id: str, model_id: str | None) -> None:
        """An input model (``execution.model``) must exist in the caller's company or be
        public (400/201); it need not be ready: the reference dropped that check (400/202)
        in API 2.4."""
        if model_id and not self.models.exists(model_id, public_or_company(company_id)):
            raise errors.INVALID_MODEL_ID(model=model_id)
