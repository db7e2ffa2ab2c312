"""Every ``from colearn... import name`` in ``perf/`` names something that exists, the
imports inside functions too: the benchmarks' child processes import lazily, and mypy
reads ``colearn.*`` as unknown there, so a name that moved was found only by running
the bench (``feed_bench`` imported ``_release_memory`` from the follower after it had
moved to ``recommender.rebuild`` as ``release_memory``)."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

PERF = Path(__file__).resolve().parents[2] / "perf"


def _imports() -> Iterator[tuple[str, str, str]]:
    """``(file, module, name)`` for each name a ``perf/`` module imports from ``colearn``."""
    for path in sorted(PERF.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("colearn"):
                yield from ((path.name, str(node.module), alias.name) for alias in node.names)


def _exists(module: str, name: str) -> bool:
    if hasattr(importlib.import_module(module), name):
        return True
    try:
        importlib.import_module(f"{module}.{name}")  # a submodule
    except ModuleNotFoundError:
        return False
    return True


def test_every_import_in_perf_names_something_that_exists() -> None:
    found = list(_imports())
    assert any(name == "FeedFollower" for _, _, name in found)  # the lazy ones are read too
    assert [f"{file}: from {module} import {name}" for file, module, name in found
            if not _exists(module, name)] == []
