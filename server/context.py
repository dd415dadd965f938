"""Everything a handler may use, built once per app from configuration and stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..bll.auth import AuthBLL, TokenService
from ..bll.auth.revocation import TokenRevocations
from ..bll.companies import CompanyNames
from ..bll.downloads import DownloadBLL
from ..bll.events.bll import EventsBLL
from ..bll.events.tasks import EventOwners
from ..bll.model_batch import ModelBatch
from ..bll.models import ModelBLL
from ..bll.organization import OrgBLL
from ..bll.pipelines import PipelineBLL
from ..bll.project_lookups import ProjectLookups
from ..bll.projects import ProjectBLL
from ..bll.queues import QueueBLL
from ..bll.reports import ReportBLL
from ..bll.server_info import ServerInfo
from ..bll.serving import ServingBLL
from ..bll.statistics import StatsBLL
from ..bll.storage import StorageBLL
from ..bll.task import HyperParamsBLL, TaskBLL, TaskLifecycle
from ..bll.task.access import TaskAccess
from ..bll.task.batch import QueueTarget, TaskBatch
from ..bll.task.task_bll import TaskFields
from ..bll.users import UserBLL
from ..bll.workers import WorkerBLL
from ..config import Config
from ..database.stores import Stores
from ..schema import SchemaRepo

if TYPE_CHECKING:
    from .endpoints import EndpointRegistry


@dataclass
class AppContext:
    config: Config
    stores: Stores
    schemas: SchemaRepo
    auth: AuthBLL
    users: UserBLL
    projects: ProjectBLL
    project_lookups: ProjectLookups
    models: ModelBLL
    model_batch: ModelBatch
    organization: OrgBLL
    server: ServerInfo
    events: EventsBLL
    stats: StatsBLL
    queues: QueueBLL
    workers: WorkerBLL
    serving: ServingBLL
    storage: StorageBLL
    pipelines: PipelineBLL
    downloads: DownloadBLL
    reports: ReportBLL
    tasks: TaskBLL
    task_lifecycle: TaskLifecycle
    task_batch: TaskBatch
    task_params: HyperParamsBLL
    registry: EndpointRegistry | None = None


def build_context(
    config: Config, stores: Stores, schemas: SchemaRepo, token_secret: str, server_uuid: str
) -> AppContext:
    tokens = TokenService(
        token_secret,
        default_expiration_sec=int(config.get("apiserver.auth.default_expiration_sec")),
        max_expiration_sec=int(config.get("apiserver.auth.max_expiration_sec")),
        env=str(config.get("env", "<unknown>")),
        revocations=TokenRevocations(stores.redis, float(config.get("apiserver.auth.revocation_recheck_sec"))),
    )
    documents = stores.documents
    companies = CompanyNames(documents.companies)
    organization = OrgBLL(documents.tasks, documents.models)
    stats = StatsBLL(config, stores)
    updatable = [f for f in schemas.request_properties("queues.update") if f != "queue"]
    hidden_queues = config.get("services.queues.hidden_tags")
    queues = QueueBLL(stats, updatable, documents.queues, documents.tasks, hidden_queues)
    task_access = TaskAccess(documents.tasks, documents.projects, documents.models)
    events = EventsBLL(config, stores, EventOwners(task_access))
    projects = ProjectBLL(
        organization,
        documents.projects,
        documents.tasks,
        documents.models,
        documents.users,
        max_depth=config.get("services.projects.sub_projects.max_depth"),
        delete_events=events.delete_task_events,
    )
    auth = AuthBLL(config, tokens, companies, documents)
    workers = WorkerBLL(
        config, stores.workers_redis, queues, stats, (documents.users, documents.companies, documents.tasks)
    )
    tasks = TaskBLL(config, TaskFields.from_schemas(schemas), task_access)
    lifecycle = TaskLifecycle(config, queues, events, task_access, documents.models)
    models = ModelBLL(organization, documents.models, documents.tasks, documents.projects, documents.users)
    return AppContext(
        config=config,
        stores=stores,
        schemas=schemas,
        auth=auth,
        users=UserBLL(
            documents.users, documents.credentials, documents.companies, companies, projects.active_users, auth
        ),
        projects=projects,
        project_lookups=ProjectLookups(schemas, documents.projects, documents.tasks, documents.models, documents.users),
        models=models,
        model_batch=ModelBatch(models, documents.models, (projects, documents.projects)),
        organization=organization,
        server=ServerInfo(config, server_uuid, documents),
        events=events,
        stats=stats,
        queues=queues,
        workers=workers,
        serving=ServingBLL(config, stores.workers_redis, stats),
        storage=StorageBLL(config, documents.storage),
        pipelines=PipelineBLL(tasks, lifecycle, queues, workers, documents.tasks, documents.projects),
        reports=ReportBLL(tasks, task_access, documents.reports, documents.projects, models, events, projects.tree),
        downloads=DownloadBLL(config, stores.redis, tasks, models),
        tasks=tasks,
        task_lifecycle=lifecycle,
        task_batch=TaskBatch(lifecycle, (projects, documents.projects), QueueTarget(queues, workers)),
        task_params=HyperParamsBLL(task_access),
    )
