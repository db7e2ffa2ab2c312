"""The graph: the store interface, its two backends, the schema and every Cypher query.

``open_store(settings)`` gives a ``GraphStore``: Neo4j when ``NEO4J_URI`` is set,
otherwise the embedded FalkorDB.
"""

from colearn.graph.store import GraphStore, open_store

__all__ = ["GraphStore", "open_store"]
