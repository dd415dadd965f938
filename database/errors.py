"""What the document store raises for bad data, as API errors (the storage seam's
translation; the dispatcher receives ``as_api_error`` from the composition root)."""

from __future__ import annotations

import re

from bson.errors import InvalidDocument
from mongoengine.errors import NotUniqueError, OperationError, ValidationError
from pymongo.errors import DuplicateKeyError, OperationFailure

from ..protocol import errors


def as_api_error(ex: Exception) -> errors.ApiError | None:
    """The API error for a storage exception caused by the request; None for others."""
    # NotUniqueError: mongoengine's; DuplicateKeyError: a repository's raw write
    if isinstance(ex, NotUniqueError | DuplicateKeyError) or _is_ferretdb_unique_violation(ex):
        return errors.EXPECTED_UNIQUE_DATA(_unique_detail(str(ex)))
    if isinstance(ex, ValidationError):
        return errors.DATA_VALIDATION_ERROR(str(ex))
    if isinstance(ex, InvalidDocument):
        # request data a document cannot hold (e.g. a NUL byte in a free-form key)
        return errors.VALIDATION_ERROR(f"the request holds data that cannot be stored: {ex}")
    return None


def _is_ferretdb_unique_violation(ex: Exception) -> bool:
    """FerretDB 1.24 on SQLite answers an update that breaks a unique index with an
    InternalError naming SQLite's constraint, not MongoDB's duplicate-key error 11000
    (mongoengine wraps it in its OperationError, "Update failed (...)")."""
    return isinstance(ex, (OperationFailure, OperationError)) and "UNIQUE constraint failed" in str(ex)


def _unique_detail(message: str) -> str:
    match = re.search(r"dup key: (\{.*\})", message)
    return match.group(1) if match else "duplicate value"
