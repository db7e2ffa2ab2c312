"""Every Cypher statement colearn runs, as named constants and small builders, by aggregate.

All statements are the openCypher that both Neo4j 5 and FalkorDB run (see
FALKORDB.md). Values are always ``$params``; labels and relationship types come
from ``graph.schema`` enums, never from user text. Batched writes are
``UNWIND $rows`` so that one batch is one atomic statement.

FalkorDB miscounts paths through an unreferenced middle node (two awards of
one badge to one learner counted once): every query that counts or lists paths
through an Assertion names it and uses it (``a.id``, ``count(a)``).

One module per aggregate; this package re-exports every statement, so callers
write ``from colearn.graph import queries`` and ``queries.NAME``:

- ``nodes``: generic upserts, link replacement and checks on nodes of any label;
- ``catalogue``: spine, badges, opportunities, themes, places, organisations, and
  the catalogue API's pages, upserts and deletes;
- ``pathways``: recommended pathways, their steps and completion badges;
- ``assertions``: awards (ingest upserts, issuing, status changes, erasure);
- ``portfolio``: learners and what they hold (the portfolio rule);
- ``insights``: citywide aggregates;
- ``api_keys``: API key records;
- ``embeddings``: stored text embeddings;
- ``_fragments``: Cypher pieces the modules share (no statements).

Every public statement has a contract test on both engines
(tests/integration/test_contract.py checks that none is missing).
"""

from __future__ import annotations

from colearn.graph.queries.nodes import (
    merge_nodes, set_links, missing_ids, existing_ids, missing_refs, property_values, count_nodes, merge_stub_nodes,
)
from colearn.graph.queries.catalogue import (
    SPINE_CELLS, BADGE_CATALOGUE, BADGE_OPPORTUNITIES, BADGES_NOT_DEFINED_BY, BADGE_ISSUERS,
    BADGE_ISSUER, BADGE_LAYERS, THEME_LINKS, GET_ORGANISATION, GET_ORGANISATION_ID, Link,
    CATALOGUE_SHAPES, CATALOGUE_FILTERS, catalogue_page, catalogue_get, catalogue_upsert,
    Blocker, CATALOGUE_BLOCKERS, NAMED_USES, catalogue_usage, catalogue_delete, PLACES_WITHIN,
    LIVE_CLAIM_CODES_AT, DETACH_BADGE,
)
from colearn.graph.queries.pathways import (
    PATHWAY_PAGE, PATHWAY_GET, PATHWAY_GET_FOR_VIEWER, pathway_upsert, SET_PATHWAY_STATUS, DELETE_STALE_STEPS,
    PATHWAY_COMPLETION_NEEDS, PATHWAYS_COMPLETED_BY_BADGE, AWARD_PATHWAY_COMPLETION, DELETE_PATHWAY,
    NAMED_COMPLETIONS, UNNAMED_COMPLETIONS, NAME_COMPLETIONS, COMPLETION_PATHWAYS, COMPLETIONS_MADE,
)
from colearn.graph.queries.assertions import (
    MERGE_ASSERTIONS, merge_assertions, assertion_groups, merge_assertions_optional_issuer, LINK_ASSERTIONS_TO_BADGE_ISSUER,
    ASSERTION_ENDPOINTS, COUNT_ASSERTION_PATHS, AWARD_ASSERTIONS, ISSUING_BADGES, GET_ASSERTION,
    SET_ASSERTION_STATUS, ANSWER_ASSERTION, ERASE_ASSERTION, LIVE_AWARDS_OF_PAIRS, REVOKED_ASSERTIONS,
    ORGANISATION_ASSERTIONS, REASSIGN_INGESTED_ASSERTION,
)
from colearn.graph.queries.portfolio import (
    PORTFOLIO_AWARDS, LEARNER_PORTFOLIO, LEARNER_VERIFIED_PORTFOLIO, PORTFOLIO_BY_CELL,
    LEARNER_OTHER_ASSERTIONS, GET_LEARNER, LEARNER_AWAITING_BADGES, LEARNER_IMPORT_COUNT,
)
from colearn.graph.queries.insights import (
    ISSUED_DIMENSIONS, issued_by_day, LEARNER_LAYER_TIMES, RECOMMENDED_PATHWAY_STEPS,
    PATHWAY_STEP_LEARNERS, OPPORTUNITY_SUPPLY, INTEREST_DEMAND, UNSEEN_TALENT,
    MOVE_UP_OPPORTUNITIES, INSIGHT_LABELS,
)
from colearn.graph.queries.api_keys import (
    CREATE_API_KEY, GET_API_KEY, LIST_API_KEYS, REVOKE_API_KEY, PARTNER_ORIGINS,
)
from colearn.graph.queries.embeddings import (
    node_texts, NODES_WITHOUT_VECTORS, set_embeddings,
)
__all__ = [
    "ASSERTION_ENDPOINTS", "AWARD_ASSERTIONS", "REASSIGN_INGESTED_ASSERTION", "AWARD_PATHWAY_COMPLETION", "BADGES_NOT_DEFINED_BY",
    "BADGE_CATALOGUE", "BADGE_ISSUER", "BADGE_ISSUERS", "BADGE_LAYERS", "BADGE_OPPORTUNITIES",
    "Blocker", "CATALOGUE_BLOCKERS", "CATALOGUE_FILTERS", "CATALOGUE_SHAPES", "COUNT_ASSERTION_PATHS", "COMPLETION_PATHWAYS", "COMPLETIONS_MADE",
    "CREATE_API_KEY", "DELETE_PATHWAY", "DETACH_BADGE", "DELETE_STALE_STEPS", "ERASE_ASSERTION", "GET_API_KEY", "GET_ASSERTION",
    "GET_LEARNER", "GET_ORGANISATION", "GET_ORGANISATION_ID", "INSIGHT_LABELS", "INTEREST_DEMAND",
    "ISSUED_DIMENSIONS", "NAMED_COMPLETIONS", "UNNAMED_COMPLETIONS", "NAME_COMPLETIONS", "NAMED_USES", "ISSUING_BADGES", "LEARNER_LAYER_TIMES",
    "LEARNER_AWAITING_BADGES", "LEARNER_IMPORT_COUNT", "LEARNER_OTHER_ASSERTIONS", "LEARNER_PORTFOLIO", "LEARNER_VERIFIED_PORTFOLIO",
    "LINK_ASSERTIONS_TO_BADGE_ISSUER", "LIVE_AWARDS_OF_PAIRS", "LIVE_CLAIM_CODES_AT", "assertion_groups", "LIST_API_KEYS", "Link", "MERGE_ASSERTIONS",
    "merge_assertions_optional_issuer", "MOVE_UP_OPPORTUNITIES", "NODES_WITHOUT_VECTORS",
    "OPPORTUNITY_SUPPLY", "ORGANISATION_ASSERTIONS", "PARTNER_ORIGINS",
    "PATHWAYS_COMPLETED_BY_BADGE", "PATHWAY_COMPLETION_NEEDS", "PATHWAY_GET", "PATHWAY_GET_FOR_VIEWER", "PATHWAY_PAGE",
    "PATHWAY_STEP_LEARNERS", "PLACES_WITHIN", "PORTFOLIO_AWARDS", "PORTFOLIO_BY_CELL", "RECOMMENDED_PATHWAY_STEPS",
    "REVOKED_ASSERTIONS", "REVOKE_API_KEY", "SET_ASSERTION_STATUS", "ANSWER_ASSERTION", "SET_PATHWAY_STATUS",
    "SPINE_CELLS", "THEME_LINKS", "UNSEEN_TALENT", "catalogue_delete", "catalogue_get",
    "catalogue_page", "catalogue_upsert", "catalogue_usage", "count_nodes", "issued_by_day",
    "merge_assertions", "merge_nodes", "merge_stub_nodes", "missing_ids", "existing_ids", "missing_refs", "node_texts", "pathway_upsert", "property_values",
    "set_embeddings", "set_links",
]
