"""Cypher the recommender's projection reads beside the badge catalogue.

Every statement runs on FalkorDB and Neo4j 5
(tests/integration/test_recommender_queries_contract.py runs each one on both
and fails for a statement here that it does not cover).
"""

from __future__ import annotations

from colearn.graph.schema import Label

#: Every theme's display name, for reasons that name a theme (``Projection.theme_names``).
#: Returns rows ``{id, name}`` ordered by id; ``name`` is null when the theme has none.
THEME_NAMES = f"MATCH (t:{Label.THEME}) RETURN t.id AS id, t.name AS name ORDER BY id"

#: Every destination's display name, for reasons that name a destination
#: (``Projection.destination_names``). Returns rows ``{id, name}`` ordered by id;
#: ``name`` is null when the destination has none.
DESTINATION_NAMES = f"MATCH (d:{Label.DESTINATION}) RETURN d.id AS id, d.name AS name ORDER BY id"
