"""What the document store raises for bad data, as API errors (the storage seam's
translation; the dispatcher receives ``as_api_error`` from the composition root)."""

from __future__ import annotations

import re

from bson.errors import InvalidDocument
from mongoengine.errors import NotUniqueError, ValidationError

from ..protocol import errors


def as_api_error(ex: Exception) -> errors.ApiError | None:
    """The API error for a storage exception caused by the request; None for others."""
    if isinstance(ex, NotUniqueError):
        return errors.EXPECTED_UNIQUE_DATA(_unique_detail(str(ex)))
    if isinstance(ex, ValidationError):
        return errors.DATA_VALIDATION_ERROR(str(ex))
    if isinstance(ex, InvalidDocument):
        # request data a document cannot hold (e.g. a NUL byte in a free-form key)
        return errors.VALIDATION_ERROR(f"the request holds data that cannot be stored: {ex}")
    return None


def _unique_detail(message: str) -> str:
    match = re.search(r"dup key: (\{.*\})", message)
    return match.group(1) if match else "duplicate value"
