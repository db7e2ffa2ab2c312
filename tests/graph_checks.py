"""Cypher the tests use to check what a write left in the graph (no product code runs these),
and the list of the product's statements that the contract and portability checks walk.

Labels and relationship types come from ``graph.schema`` enums, as in ``graph/queries/``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from types import ModuleType

from colearn.graph import queries
from colearn.graph.schema import Label, Rel

#: Awards per badge, counting repeated awards to one learner.
#: Returns rows ``{badge_id, awards, learners}``.
AWARDS_PER_BADGE = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN b.id AS badge_id, count(a) AS awards, count(DISTINCT l.id) AS learners "
    "ORDER BY badge_id"
)


def count_relationships(rel: Rel) -> str:
    """Number of relationships of type ``rel``. Returns one row ``{n}``."""
    return f"MATCH ()-[e:{Rel(rel)}]->() RETURN count(e) AS n"


def delete_nodes(label: Label) -> str:
    """Delete the nodes of ``label`` whose ids are in ``$ids`` (with their relationships)."""
    return f"UNWIND $ids AS id MATCH (n:{Label(label)} {{id: id}}) DETACH DELETE n"


def statement_modules() -> list[ModuleType]:
    """Every module of the ``colearn.graph.queries`` package (private ones included), imported."""
    return [importlib.import_module(f"{queries.__name__}.{info.name}")
            for info in pkgutil.iter_modules(queries.__path__)]


def public_statements() -> dict[str, str | Callable[..., str]]:
    """Every public statement of ``graph/queries/``: name -> constant or builder.

    A statement is an UPPER_CASE string constant or a function defined in one of the
    package's modules, whose name does not start with ``_`` (fragments do). A name
    defined in two modules is an error (the package re-exports them all in one namespace).
    """
    found: dict[str, str | Callable[..., str]] = {}
    for module in statement_modules():
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if (isinstance(value, str) and name.isupper()
                    or inspect.isfunction(value) and value.__module__ == module.__name__):
                assert name not in found, f"{name} is defined in two modules of graph/queries/"
                found[name] = value
    return found
