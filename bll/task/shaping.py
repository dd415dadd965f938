"""Version-dependent shapes of task requests and documents.

Below API 2.3 there is one ``tags`` list: the system tag names are split out of it on
input and merged back on output (shared rules in ``bll/organization.py``). Below 2.9 the
legacy parameter fields are filled (``params.prepare_for_output``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...protocol.versions import V2_9, V2_10, Version
from ..organization import conform_tag_filter, conform_tags_in, conform_tags_out
from . import task_models
from .params import prepare_for_output

ENTITY = "task"


def conform_request_tags(fields: dict[str, Any], version: Version) -> None:
    """Check tags and, below 2.3, move system tag names into ``system_tags`` (in place)."""
    conform_tags_in(ENTITY, fields, version)


def conform_filter_tags(request: Mapping[str, Any], version: Version) -> Mapping[str, Any]:
    return conform_tag_filter(ENTITY, request, version)


def task_for_output(doc: dict[str, Any], version: Version, *, whole: bool = True) -> dict[str, Any]:
    """The API form of a stored task for the requested version (in place); ``whole``: the
    document was read whole (not projected by only_fields), so the fields every task
    has get their defaults."""
    doc.pop("company_origin", None)
    if version < V2_10:  # the status before queuing (written from issue 16): no v0.16.1 field
        doc.pop("enqueue_status", None)
    prepare_for_output(doc, legacy=version < V2_9)
    task_models.for_output(doc, version, whole=whole)
    conform_tags_out([doc], version)
    return doc
