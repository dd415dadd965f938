"""The one family of API errors and the table of codes and subcodes.

Codes and subcodes are those of the reference server (clients and its test suites
compare ``(result_code, result_subcode)`` pairs). Only the dispatcher turns these
exceptions into envelopes.

Usage::

    raise errors.INVALID_TASK_ID(id=task_id)
    raise errors.VALIDATION_ERROR("field 'task' is required")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """An error with an HTTP code, a subcode and a message for the envelope."""

    def __init__(self, code: int, subcode: int, msg: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.subcode = subcode
        self.msg = msg
        self.data = data or {}


@dataclass(frozen=True)
class ErrorKind:
    code: int
    subcode: int
    name: str
    message: str

    def __call__(self, extra_msg: str | None = None, **fields: Any) -> ApiError:
        """The exception, message ``"<message>[ (<extra>)][: k=v, ...]"``."""
        msg = self.message
        if extra_msg:
            msg += f" ({extra_msg})"
        if fields:
            msg += ": " + ", ".join(f"{k}={v}" for k, v in fields.items())
        return ApiError(self.code, self.subcode, msg, _safe(fields))


def _safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# --- 400 bad_request ---------------------------------------------------------------
BAD_REQUEST = ErrorKind(400, 0, "bad_request", "Bad request")
NOT_SUPPORTED = ErrorKind(400, 1, "not_supported", "Not supported")
REQUEST_PATH_HAS_INVALID_VERSION = ErrorKind(
    400, 2, "request_path_has_invalid_version", "Invalid API version in the request path"
)
INVALID_HEADERS = ErrorKind(400, 5, "invalid_headers", "Invalid headers")
IMPERSONATION_ERROR = ErrorKind(400, 6, "impersonation_error", "Impersonation error")
INVALID_ID = ErrorKind(400, 10, "invalid_id", "Invalid id")
MISSING_REQUIRED_FIELDS = ErrorKind(400, 11, "missing_required_fields", "Missing required fields")
VALIDATION_ERROR = ErrorKind(400, 12, "validation_error", "Validation error")
FIELDS_NOT_ALLOWED_FOR_ROLE = ErrorKind(400, 13, "fields_not_allowed_for_role", "Fields not permitted for this role")
INVALID_FIELDS = ErrorKind(400, 14, "invalid fields", "Unknown fields")
FIELDS_CONFLICT = ErrorKind(400, 15, "fields_conflict", "Fields conflict")
FIELDS_VALUE_ERROR = ErrorKind(400, 16, "fields_value_error", "Bad field values")
BATCH_CONTAINS_NO_ITEMS = ErrorKind(400, 17, "batch_contains_no_items", "Batch has no items")
BATCH_VALIDATION_ERROR = ErrorKind(400, 18, "batch_validation_error", "Batch item invalid")
INVALID_LUCENE_SYNTAX = ErrorKind(400, 19, "invalid_lucene_syntax", "Invalid lucene query")
FIELDS_TYPE_ERROR = ErrorKind(400, 20, "fields_type_error", "Bad field types")
INVALID_REGEX_ERROR = ErrorKind(400, 21, "invalid_regex_error", "Invalid regular expression")
INVALID_EMAIL_ADDRESS = ErrorKind(400, 22, "invalid_email_address", "Invalid email address")
INVALID_DOMAIN_NAME = ErrorKind(400, 23, "invalid_domain_name", "Invalid domain name")
NOT_PUBLIC_OBJECT = ErrorKind(400, 24, "not_public_object", "Not a public object")

# tasks
TASK_ERROR = ErrorKind(400, 100, "task_error", "Task error")
INVALID_TASK_ID = ErrorKind(400, 101, "invalid_task_id", "Invalid task id")
TASK_VALIDATION_ERROR = ErrorKind(400, 102, "task_validation_error", "Task is not valid")
INVALID_TASK_STATUS = ErrorKind(400, 110, "invalid_task_status", "Invalid task status")
TASK_NOT_STARTED = ErrorKind(400, 111, "task_not_started", "Task was not started")
TASK_IN_PROGRESS = ErrorKind(400, 112, "task_in_progress", "Task is in progress")
TASK_PUBLISHED = ErrorKind(400, 113, "task_published", "Task is published")
TASK_STATUS_UNKNOWN = ErrorKind(400, 114, "task_status_unknown", "Task status is unknown")
INVALID_TASK_EXECUTION_PROGRESS = ErrorKind(400, 120, "invalid_task_execution_progress", "Invalid execution progress")
FAILED_CHANGING_TASK_STATUS = ErrorKind(400, 121, "failed_changing_task_status", "Task status was changed concurrently")
MISSING_TASK_FIELDS = ErrorKind(400, 122, "missing_task_fields", "Task lacks required fields")
TASK_CANNOT_BE_DELETED = ErrorKind(400, 123, "task_cannot_be_deleted", "Task cannot be deleted in its status")
TASK_HAS_JOBS_RUNNING = ErrorKind(400, 125, "task_has_jobs_running", "Task has running jobs")
INVALID_TASK_TYPE = ErrorKind(400, 126, "invalid_task_type", "Task type not valid here")
INVALID_TASK_INPUT = ErrorKind(400, 127, "invalid_task_input", "Invalid task input")
INVALID_TASK_OUTPUT = ErrorKind(400, 128, "invalid_task_output", "Invalid task output")
TASK_PUBLISH_IN_PROGRESS = ErrorKind(400, 129, "task_publish_in_progress", "Task is being published")
TASK_NOT_FOUND = ErrorKind(400, 130, "task_not_found", "Task not found")
EVENTS_NOT_ADDED = ErrorKind(400, 131, "events_not_added", "Events not added")

# reports
OPERATION_SUPPORTED_ON_REPORTS_ONLY = ErrorKind(
    400, 150, "operation_supported_on_reports_only", "The task is not a report"
)

# models
MODEL_ERROR = ErrorKind(400, 200, "model_error", "Model error")
INVALID_MODEL_ID = ErrorKind(400, 201, "invalid_model_id", "Invalid model id")
MODEL_NOT_READY = ErrorKind(400, 202, "model_not_ready", "Model not published")
MODEL_IS_READY = ErrorKind(400, 203, "model_is_ready", "Model already published")
INVALID_MODEL_URI = ErrorKind(400, 204, "invalid_model_uri", "Invalid model URI")
MODEL_IN_USE = ErrorKind(400, 205, "model_in_use", "Model is in use by tasks")
MODEL_CREATING_TASK_EXISTS = ErrorKind(400, 206, "model_creating_task_exists", "The model's creating task exists")

# users
INVALID_USER = ErrorKind(400, 300, "invalid_user", "Invalid user")
INVALID_USER_ID = ErrorKind(400, 301, "invalid_user_id", "Invalid user id")
USER_ID_EXISTS = ErrorKind(400, 302, "user_id_exists", "User id exists")
INVALID_PREFERENCES_UPDATE = ErrorKind(400, 305, "invalid_preferences_update", "Invalid preferences key or value")

# projects
INVALID_PROJECT_ID = ErrorKind(400, 401, "invalid_project_id", "Invalid project id")
PROJECT_HAS_TASKS = ErrorKind(400, 402, "project_has_tasks", "Project contains tasks")
PROJECT_NOT_FOUND = ErrorKind(400, 403, "project_not_found", "Project not found")
PROJECT_HAS_MODELS = ErrorKind(400, 405, "project_has_models", "Project contains models")
PROJECT_HAS_DATASETS = ErrorKind(400, 406, "project_has_datasets", "Project contains dataset versions")
INVALID_PROJECT_NAME = ErrorKind(400, 407, "invalid_project_name", "Invalid project name")
CANNOT_UPDATE_PROJECT_LOCATION = ErrorKind(
    400, 408, "cannot_update_project_location", "A rename cannot change the project's location"
)
PROJECT_PATH_EXCEEDS_MAX = ErrorKind(400, 409, "project_path_exceeds_max", "Project path too deep")
PROJECT_SOURCE_AND_DESTINATION_ARE_THE_SAME = ErrorKind(
    400, 410, "project_source_and_destination_are_the_same", "Source and destination are the same"
)
PROJECT_CANNOT_BE_MOVED_UNDER_ITSELF = ErrorKind(
    400, 411, "project_cannot_be_moved_under_itself", "A project cannot move under itself or a descendant"
)
PROJECT_CANNOT_BE_MERGED_INTO_ITS_CHILD = ErrorKind(
    400, 412, "project_cannot_be_merged_into_its_child", "A project cannot merge into a descendant"
)
PROJECT_HAS_PIPELINES = ErrorKind(400, 413, "project_has_pipelines", "Project contains active pipelines")
PUBLIC_PROJECT_EXISTS = ErrorKind(400, 414, "public_project_exists", "A public project has this name")

# queues
INVALID_QUEUE_ID = ErrorKind(400, 701, "invalid_queue_id", "Invalid queue id")
QUEUE_NOT_EMPTY = ErrorKind(400, 702, "queue_not_empty", "Queue is not empty")
INVALID_QUEUE_OR_TASK_NOT_QUEUED = ErrorKind(
    400, 703, "invalid_queue_or_task_not_queued", "Queue not found or task not queued in it"
)
REMOVED_DURING_REPOSITION = ErrorKind(400, 704, "removed_during_reposition", "Task left the queue while being moved")
FAILED_ADDING_DURING_REPOSITION = ErrorKind(
    400, 705, "failed_adding_during_reposition", "Could not re-add task while moving it"
)
TASK_ALREADY_QUEUED = ErrorKind(400, 706, "task_already_queued", "Task is already in the queue")
NO_DEFAULT_QUEUE = ErrorKind(400, 707, "no_default_queue", "No default queue")
MULTIPLE_DEFAULT_QUEUES = ErrorKind(400, 708, "multiple_default_queues", "Several queues are tagged default")

# database
DATA_VALIDATION_ERROR = ErrorKind(400, 800, "data_validation_error", "Invalid data")
EXPECTED_UNIQUE_DATA = ErrorKind(400, 801, "expected_unique_data", "Value already exists")

# workers
INVALID_WORKER_ID = ErrorKind(400, 1001, "invalid_worker_id", "Invalid worker id")
WORKER_REGISTRATION_FAILED = ErrorKind(400, 1002, "worker_registration_failed", "Could not register worker")
WORKER_REGISTERED = ErrorKind(400, 1003, "worker_registered", "Worker already registered")
WORKER_NOT_REGISTERED = ErrorKind(400, 1004, "worker_not_registered", "Worker not registered")
WORKER_STATS_NOT_FOUND = ErrorKind(400, 1005, "worker_stats_not_found", "No statistics for worker")

# pipelines
CANNOT_REMOVE_ALL_RUNS = ErrorKind(400, 1010, "cannot_remove_all_runs", "At least one run of the pipeline must remain")

# serving (the reference v2.x's subcodes)
INVALID_CONTAINER_ID = ErrorKind(400, 1050, "invalid_container_id", "Invalid container id")
CONTAINER_NOT_REGISTERED = ErrorKind(400, 1051, "container_not_registered", "Container not registered")
NO_CONTAINERS_FOR_URL = ErrorKind(400, 1052, "no_containers_for_url", "No container serves this URL")

INVALID_SCROLL_ID = ErrorKind(400, 1104, "invalid_scroll_id", "Invalid scroll id")

# --- 401 unauthorized ----------------------------------------------------------------
NOT_AUTHORIZED = ErrorKind(401, 1, "not_authorized", "Not authorized")
ENTITY_NOT_ALLOWED = ErrorKind(401, 2, "entity_not_allowed", "Entity not allowed")
BAD_AUTH_TYPE = ErrorKind(401, 10, "bad_auth_type", "Unsupported authorization type")
NO_CREDENTIALS = ErrorKind(401, 20, "no_credentials", "No credentials")
BAD_CREDENTIALS = ErrorKind(401, 21, "bad_credentials", "Bad credentials")
INVALID_CREDENTIALS = ErrorKind(401, 22, "invalid_credentials", "Invalid credentials")
INVALID_TOKEN = ErrorKind(401, 30, "invalid_token", "Invalid token")
BLOCKED_TOKEN = ErrorKind(401, 31, "blocked_token", "Token blocked")
INVALID_FIXED_USER = ErrorKind(401, 40, "invalid_fixed_user", "Invalid fixed user")

# --- 403 forbidden -------------------------------------------------------------------
ROUTING_ERROR = ErrorKind(403, 10, "routing_error", "Forbidden: routing")
BLOCKED_INTERNAL_ENDPOINT = ErrorKind(403, 12, "blocked_internal_endpoint", "Forbidden: internal endpoint")
ROLE_NOT_ALLOWED = ErrorKind(403, 20, "role_not_allowed", "Forbidden: role not allowed")
NO_WRITE_PERMISSION = ErrorKind(403, 21, "no_write_permission", "Forbidden: no write permission")

# --- 404 ------------------------------------------------------------------------------
ENDPOINT_NOT_FOUND = ErrorKind(404, 0, "not_found", "Unable to find endpoint")

# --- 405: HTTP methods other than those the clients use (transport level) --------------
METHOD_NOT_ALLOWED = ErrorKind(405, 0, "method_not_allowed", "Method not allowed")

# --- 413 / 415: body limits (transport level; not in the reference table) -------------
REQUEST_TOO_LARGE = ErrorKind(413, 0, "request_too_large", "Request body too large")
UNSUPPORTED_MEDIA_TYPE = ErrorKind(415, 0, "unsupported_media_type", "Unsupported content encoding")

# --- 500 server_error ----------------------------------------------------------------
GENERAL_ERROR = ErrorKind(500, 0, "general_error", "Server error")
INTERNAL_ERROR = ErrorKind(500, 1, "internal_error", "Internal server error")
CONFIG_ERROR = ErrorKind(500, 2, "config_error", "Server configuration error")
BUILD_INFO_ERROR = ErrorKind(500, 3, "build_info_error", "Build information unavailable")
TRANSACTION_ERROR = ErrorKind(500, 10, "transaction_error", "Transaction failed")
DATA_ERROR = ErrorKind(500, 100, "data_error", "Data error")
INCONSISTENT_DATA = ErrorKind(500, 101, "inconsistent_data", "Inconsistent stored data")
DATABASE_UNAVAILABLE = ErrorKind(500, 102, "database_unavailable", "Database unavailable")
UPDATE_FAILED = ErrorKind(500, 110, "update_failed", "Update failed")
MISSING_INDEX = ErrorKind(500, 201, "missing_index", "Index missing")
NOT_IMPLEMENTED = ErrorKind(500, 9999, "not_implemented", "Not implemented")


def all_kinds() -> list[ErrorKind]:
    """Every error kind declared in this module (for the uniqueness check)."""
    return [value for value in globals().values() if isinstance(value, ErrorKind)]
