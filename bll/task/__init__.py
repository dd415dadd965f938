"""Task rules: documents, life cycle, parameters (reference/api.md §9–10)."""

from .hyperparams import HyperParamsBLL
from .lifecycle import TaskLifecycle
from .task_bll import TaskBLL

__all__ = ["HyperParamsBLL", "TaskBLL", "TaskLifecycle"]
