"""The package's layering, checked over its import graph (tests/support/imports.py).

Lowest first: protocol (the API's vocabulary), config, schema, database, bll, services
and fileserver, web, server (dispatch and the composition root). A package imports only
its own modules and lower layers, the module graph has no cycle, and the graph drawn in
docs/architecture.md is the one the script generates.
"""

from __future__ import annotations

from support import imports

ARCHITECTURE = imports.ROOT / "docs/architecture.md"


def test_every_import_goes_down_the_layers() -> None:
    assert imports.layering_violations() == []


def test_the_module_graph_has_no_cycle() -> None:
    assert imports.cycles(imports.module_graph()) == []


def test_every_top_level_package_has_a_layer() -> None:
    packages = set(imports.package_graph())
    assert {p for p in packages if imports.layer_of(p) is None} == set()


def test_a_violation_is_found() -> None:
    """The check can fail: an upward import and a cycle are reported."""
    graph = {"bll.x": {"server.y"}, "server.y": {"bll.x"}}
    assert imports.layering_violations(graph) == ["bll.x imports server.y"]
    assert imports.cycles(graph) == [["bll.x", "server.y"]]


def test_the_documented_graph_is_the_generated_one() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert imports.mermaid() in text, "regenerate it: python tests/support/imports.py"
