"""models.*_many and update_tags: several models at once (API 2.13 / 2.27), each through
the single-model rules of ``ModelBLL``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..database.repositories.base import ARCHIVED
from ..database.repositories.models import ModelRepository
from ..database.repositories.projects import ProjectRepository
from ..database.vocabulary import utcnow
from ..protocol import errors
from ..protocol.versions import Version
from .auth.identity import Identity
from .batch import run_batch
from .models import ModelBLL
from .projects import ProjectBLL


class ModelBatch:
    def __init__(
        self, models: ModelBLL, repository: ModelRepository, projects: tuple[ProjectBLL, ProjectRepository]
    ) -> None:
        """``projects``: the projects' rules (to create a target by name) and repository."""
        self._models = models
        self._repo = repository
        self._project_rules, self._projects = projects

    def move(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """models.move (2.12): the company's models of ``ids`` go to ``project`` (null: no
        project), or to the project named ``project_name`` (created when the company has
        none of that name); ``{project_id}``. 400/11 with neither, 400/401 for a project
        not of the company."""
        company_id = identity.company
        project = move_target((self._project_rules, self._projects), identity, request, version)
        self._repo.set_project(list(dict.fromkeys(request["ids"])), company_id, project, utcnow())
        return {"project_id": project}

    def archive_many(self, company_id: str, ids: Sequence[str], archive: bool) -> dict[str, Any]:
        """Add (or remove) the ``archived`` system tag; ``archived`` / ``unarchived`` is
        true for every model of the company (already archived ones too: the reference
        answers the update's match)."""
        answer = "archived" if archive else "unarchived"

        def one(model_id: str) -> dict[str, Any]:
            changed = self._edit(
                company_id, model_id, "system_tags", [ARCHIVED] if archive else [], [] if archive else [ARCHIVED]
            )
            return {answer: changed}

        return run_batch(one, ids)

    def delete_many(self, company_id: str, ids: Sequence[str], force: bool) -> dict[str, Any]:
        return run_batch(lambda model_id: self._models.delete(company_id, model_id, force), ids)

    def publish_many(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """models.set_ready per id; ``published_task`` is null when no task was published."""
        options = {
            "publish_task": request.get("publish_tasks", True),
            "force_publish_task": bool(request.get("force_publish_task")),
        }

        def one(model_id: str) -> dict[str, Any]:
            result = self._models.set_ready(identity, {"model": model_id, **options})
            return {"updated": bool(result.get("updated")), "published_task": result.get("published_task")}

        return run_batch(one, request["ids"])

    def update_tags(
        self, company_id: str, ids: Sequence[str], add: Iterable[str] | None, remove: Iterable[str] | None
    ) -> int:
        """Add and remove user tags of the company's models (other ids are skipped); how
        many models matched."""
        add, remove = list(add or []), list(remove or [])
        changed = 0
        for model_id in dict.fromkeys(ids):
            try:
                changed += self._edit(company_id, model_id, "tags", add, remove)
            except errors.ApiError:
                continue
        return changed

    def _edit(self, company_id: str, model_id: str, field: str, add: Sequence[str], remove: Sequence[str]) -> bool:
        """Model tags stay sorted and distinct (as the reference keeps them): read, change,
        write (nothing when they are already so); 400/201 for a model not the company's."""
        with self._repo.hold(model_id):  # two API processes changing the tags lose neither change
            doc = self._repo.get(model_id, {"company": company_id}, [field])
            if doc is None:
                raise errors.INVALID_MODEL_ID(id=model_id, company=company_id)
            before = list(doc.get(field) or [])
            after = sorted((set(before) | set(add)) - set(remove))
            if after != before:
                self._repo.change(model_id, company_id, {field: after, "last_update": utcnow()})
        return True


def project_named(
    projects: tuple[ProjectBLL, ProjectRepository], identity: Identity, name: str, version: Version
) -> str:
    """The company's project of that name, created when there is none (a concurrent
    move that created it first wins: its project is used). Models' and tasks' moves."""
    rules, docs = projects
    for _ in range(2):
        found = list(docs.find({"company": identity.company, "name": name}, {"_id": 1}, limit=1))
        if found:
            return str(found[0]["_id"])
        try:
            return str(rules.create(identity, {"name": name, "description": ""}, version))
        except (DuplicateKeyError, errors.ApiError) as exc:
            if isinstance(exc, errors.ApiError) and (exc.code, exc.subcode) != (400, 801):
                raise
    raise errors.EXPECTED_UNIQUE_DATA("project name", name=name)


def move_target(
    projects: tuple[ProjectBLL, ProjectRepository], identity: Identity, request: Mapping[str, Any], version: Version
) -> str | None:
    """The project a move's ``project`` (an id, null: none) or ``project_name`` (found or
    created) names: 400/11 with neither, 400/401 for a project not of the company."""
    if "project" not in request and not request.get("project_name"):
        raise errors.MISSING_REQUIRED_FIELDS("project or project_name is required", fields=["project", "project_name"])
    if request.get("project_name"):
        return project_named(projects, identity, request["project_name"], version)
    project = request.get("project")
    if project and not projects[1].exists(project, {"company": identity.company}):
        raise errors.INVALID_PROJECT_ID(id=project)
    return project
