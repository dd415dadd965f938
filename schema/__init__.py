"""The API declaration: one HOCON file per service under ``schema/services``.

``load_schemas()`` parses, checks (``schema/meta/meta.conf``) and compiles them; the
registry, the validators and the OpenAPI document are all derived from the result.
"""

from .loader import ActionSchema, SchemaError, SchemaRepo, ServiceSchema, VersionBlock, load_schemas

__all__ = ["ActionSchema", "SchemaError", "SchemaRepo", "ServiceSchema", "VersionBlock", "load_schemas"]
