"""Stored text embeddings on badges and opportunities (``recommender/text.py``,
``recommender/projections.py``).
"""

from __future__ import annotations

from colearn.graph.queries._fragments import _in_city
from colearn.graph.schema import Label


def node_texts(label: Label) -> str:
    """Every node of ``label`` of the city (``_in_city``: not an import's badge) with its
    text and its stored text embedding, if any.

    Returns rows ``{id, name, description, vector: [float] | null, model, hash}``
    ordered by id (``model``: e.g. ``all-MiniLM-L6-v2``; ``hash``: of the text embedded).
    """
    return (
        f"MATCH (n:{Label(label)}) WHERE {_in_city('n', label)} "
        "RETURN n.id AS id, n.name AS name, n.description AS description, n.embedding AS vector, "
        "n.embedding_model AS model, n.embedding_hash AS hash ORDER BY id"
    )

#: How many of the city's badges (``_in_city``) and opportunities have no stored text vector of ``$model``
#: (none, or one from another model). Returns one row ``{badges, opportunities}``.
NODES_WITHOUT_VECTORS = (
    f"OPTIONAL MATCH (b:{Label.BADGE}) WHERE {_in_city('b', Label.BADGE)} "
    "AND (b.embedding IS NULL OR b.embedding_model <> $model) "
    "WITH count(b) AS badges "
    f"OPTIONAL MATCH (o:{Label.OPPORTUNITY}) WHERE o.embedding IS NULL OR o.embedding_model <> $model "
    "RETURN badges, count(o) AS opportunities"
)


def set_embeddings(label: Label) -> str:
    """Store text embeddings on nodes of ``label`` (missing ids are skipped).

    Params:
        rows: ``[{"id": str, "vector": [float], "model": str, "hash": str}]``.
    Returns rows: none.
    """
    return (
        f"UNWIND $rows AS r MATCH (n:{Label(label)} {{id: r.id}}) "
        "SET n.embedding = r.vector, n.embedding_model = r.model, n.embedding_hash = r.hash"
    )
