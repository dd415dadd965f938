"""The document store's seam: one repository per entity, each the only code that queries
its collection (docs/architecture.md, "The store seams").

``Documents`` is the handle ``Stores`` carries; ``server/context.py`` hands each business
class the repositories it works on. The repositories reach the collections through the
mongoengine connections ``database.stores`` registers (MongoDB, or the embedded store).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..raw import as_api as as_api  # documents as the API names their id
from .base import CollectionReader as CollectionReader
from .companies import CompanyRepository
from .models import ModelRepository
from .projects import ProjectRepository
from .queues import QueueRepository
from .reports import ReportRepository
from .settings import SettingsRepository
from .storage import StorageSettingsRepository
from .tasks import TaskRepository
from .users import CredentialsRepository, UserRepository


@dataclass
class Documents:
    """Every entity's repository."""

    companies: CompanyRepository = field(default_factory=CompanyRepository)
    users: UserRepository = field(default_factory=UserRepository)
    credentials: CredentialsRepository = field(default_factory=CredentialsRepository)
    projects: ProjectRepository = field(default_factory=ProjectRepository)
    models: ModelRepository = field(default_factory=ModelRepository)
    tasks: TaskRepository = field(default_factory=TaskRepository)
    queues: QueueRepository = field(default_factory=QueueRepository)
    reports: ReportRepository = field(default_factory=ReportRepository)
    settings: SettingsRepository = field(default_factory=SettingsRepository)
    storage: StorageSettingsRepository = field(default_factory=StorageSettingsRepository)
