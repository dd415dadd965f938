"""Names requests use for document fields."""

from __future__ import annotations

#: A field name taken from a request (only_fields, order_by, filters): dotted names, never
#: an operator. bll/query.py enforces it; the OpenAPI document (schema/openapi.py) shows it.
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[^.$\x00][^.\x00]*)*$"
