"""One ES 5.6 document → the body it gets in ES 7.

Index names and field mappings did not change between the reference's ES 5 and ES 7
layouts (docs/migration.md); what goes is the mapping type and the routing, which
live in the hit's metadata and are simply not carried over. ES 7 refuses metadata field
names inside ``_source``, which ES 5 tolerated for some of them: those are dropped.
"""

from __future__ import annotations

from typing import Any

METADATA_FIELDS = frozenset(
    {"_id", "_index", "_type", "_routing", "_parent", "_uid", "_source", "_all", "_size", "_version", "_field_names"}
)


def convert(source: dict[str, Any]) -> dict[str, Any]:
    """The ES 7 ``_source`` for an ES 5 ``_source`` (a new dict only when it changes)."""
    if METADATA_FIELDS.isdisjoint(source):
        return source
    return {k: v for k, v in source.items() if k not in METADATA_FIELDS}
