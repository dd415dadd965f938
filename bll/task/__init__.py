"""Task rules: documents, life cycle, parameters (docs/tasks.md)."""

from .hyperparams import HyperParamsBLL
from .lifecycle import TaskLifecycle
from .task_bll import TaskBLL

__all__ = ["HyperParamsBLL", "TaskBLL", "TaskLifecycle"]
