"""Run with a client's own Python: writes the request and response schemas of every
action the client's bundled API package declares (``<package> <out.json>``).

Only what a comparison needs is kept: each class's service, action, version and JSON
schema as the client validates it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys


def dump(package: str) -> dict[str, dict[str, object]]:
    root = importlib.import_module(package)
    found: dict[str, dict[str, object]] = {}
    for info in pkgutil.iter_modules(root.__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            service, action = getattr(cls, "_service", None), getattr(cls, "_action", None)
            if not service or not action or cls.__module__ != module.__name__:
                continue
            kind = "request" if name.endswith("Request") else "response" if name.endswith("Response") else ""
            if kind:
                entry = found.setdefault(f"{service}.{action}", {})
                entry[kind] = {"version": str(getattr(cls, "_version", "")), "schema": getattr(cls, "_schema", None)}
    return found


if __name__ == "__main__":
    with open(sys.argv[2], "w") as out:
        json.dump(dump(sys.argv[1]), out, default=str)
