"""The graph: storage only, no domain rules.

- ``store``: the ``GraphStore`` protocol and ``open_store(settings)`` (Neo4j when
  ``NEO4J_URI`` is set, otherwise the embedded FalkorDB); ``neo4j_store`` and
  ``falkordb_store`` implement it, each keeping its engine's differences.
- ``schema``: labels, relationship types, statuses and uniqueness rules.
- ``queries`` (and ``learner_queries``): every Cypher statement, as named
  constants and small builders.
- ``feed``: the change feed kept in the graph, and how a write records itself.
- ``issuing``: assertions as stored (records, identities, reads);
  ``access``: claim links, sign-in links, refresh tokens and claim codes.
- ``cached``: a ``GraphStore`` that keeps each badge's opportunities for a while.
- ``references``: which ids a write refers to name no node, in one read.
"""

from colearn.graph.store import GraphStore, open_store

__all__ = ["GraphStore", "open_store"]
