"""Every Cypher statement colearn runs, as named constants and small builders.

All statements are the openCypher that both Neo4j 5 and FalkorDB run (see
FALKORDB.md). Values are always ``$params``; labels and relationship types come
from ``graph.schema`` enums, never from user text. Batched writes are
``UNWIND $rows`` so that one batch is one atomic statement.

FalkorDB miscounts paths through an unreferenced middle node (two awards of
one badge to one learner counted once): every query that counts or lists paths
through an Assertion names it and uses it (``a.id``, ``count(a)``).
"""

from __future__ import annotations

from colearn.graph.schema import AssertionStatus, Label, Rel

# --------------------------------------------------------------------------
# Generic writes
# --------------------------------------------------------------------------


def merge_nodes(label: Label) -> str:
    """Upsert nodes of ``label`` by id.

    Params:
        rows: ``[{"id": str, "props": {str: scalar | list}}]``; ``props`` is
            merged into the node (keys absent from ``props`` are kept).
    Returns rows: none.
    """
    return f"UNWIND $rows AS r MERGE (n:{Label(label)} {{id: r.id}}) SET n += r.props"


def set_links(owner: Label, rel: Rel, other: Label, *, outgoing: bool = True) -> str:
    """Replace the ``rel`` relationships between each owner node and ``other`` nodes.

    For each row, the owner's existing ``rel`` relationships to ``other`` nodes
    are deleted and the listed ones created, in one statement, so that running
    it twice leaves the same graph. Targets must exist (check with
    ``missing_ids`` first); a missing target is skipped by ``MATCH``.

    Args:
        owner: label of the node whose links are replaced (matched by ``r.id``).
        rel: relationship type.
        other: label of the nodes at the far end.
        outgoing: ``(owner)-[rel]->(other)`` when True, else ``(owner)<-[rel]-(other)``.

    Params:
        rows: ``[{"id": str, "targets": [{"id": str, "props": {..}}]}]``.
    """
    owner, rel, other = Label(owner), Rel(rel), Label(other)
    left, right = ("-", "->") if outgoing else ("<-", "-")
    return (
        f"UNWIND $rows AS r "
        f"MATCH (a:{owner} {{id: r.id}}) "
        f"OPTIONAL MATCH (a){left}[old:{rel}]{right}(:{other}) "
        f"DELETE old "
        f"WITH DISTINCT a, r "
        f"UNWIND r.targets AS t "
        f"MATCH (b:{other} {{id: t.id}}) "
        f"MERGE (a){left}[e:{rel}]{right}(b) "
        f"SET e += t.props"
    )


def missing_ids(label: Label) -> str:
    """The ids from ``$ids`` that no node of ``label`` has.

    Params: ``ids``: list of str. Returns rows: ``{id}``.
    """
    return (
        f"UNWIND $ids AS id OPTIONAL MATCH (n:{Label(label)} {{id: id}}) "
        f"WITH id, n WHERE n IS NULL RETURN id"
    )


def count_nodes(label: Label) -> str:
    """Number of nodes of ``label``. Returns one row ``{n}``."""
    return f"MATCH (n:{Label(label)}) RETURN count(n) AS n"


def delete_nodes(label: Label) -> str:
    """Delete the nodes of ``label`` whose ids are in ``$ids`` (with their relationships)."""
    return f"UNWIND $ids AS id MATCH (n:{Label(label)} {{id: id}}) DETACH DELETE n"


# --------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------

#: Upsert awards in one statement per batch: learner created if new; an
#: existing assertion keeps its props (idempotent re-ingest).
#: Params: rows ``[{"id", "organisation_id", "badge_id", "learner_id",
#: "learner_props": {..}, "props": {status, issued_on, expires_on, source, ..}}]``.
MERGE_ASSERTIONS = (
    "UNWIND $rows AS r "
    f"MATCH (o:{Label.ORGANISATION} {{id: r.organisation_id}}) "
    f"MATCH (b:{Label.BADGE} {{id: r.badge_id}}) "
    f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) "
    "ON CREATE SET l += r.learner_props "
    f"MERGE (a:{Label.ASSERTION} {{id: r.id}}) "
    "ON CREATE SET a += r.props "
    f"MERGE (o)-[:{Rel.ISSUED}]->(a) "
    f"MERGE (a)-[:{Rel.OF}]->(b) "
    f"MERGE (a)-[:{Rel.TO}]->(l)"
)

#: Counts for checks: assertions, and the learner-badge-assertion paths.
#: Returns one row ``{assertions, paths}``.
COUNT_ASSERTION_PATHS = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN count(a) AS paths, count(DISTINCT a.id) AS assertions"
)

#: Awards per badge, counting repeated awards to one learner.
#: Returns rows ``{badge_id, awards, learners}``.
AWARDS_PER_BADGE = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN b.id AS badge_id, count(a) AS awards, count(DISTINCT l.id) AS learners "
    "ORDER BY badge_id"
)

_IN_PORTFOLIO = (
    f"a.status = '{AssertionStatus.ACCEPTED}' "
    "AND (a.expires_on IS NULL OR a.expires_on > $now)"
)

#: Every portfolio award of every learner (accepted, not revoked, not expired
#: at ``$now``, epoch seconds), oldest first: the recommender's input.
#: Returns rows ``{assertion_id, learner_id, badge_id, issued_on}``.
PORTFOLIO_AWARDS = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE {_IN_PORTFOLIO} "
    "RETURN a.id AS assertion_id, l.id AS learner_id, b.id AS badge_id, a.issued_on AS issued_on "
    "ORDER BY issued_on, assertion_id"
)

#: One learner's portfolio awards. Params: ``learner_id``, ``now``.
#: Returns rows ``{assertion_id, badge_id, issued_on}``, oldest first.
LEARNER_PORTFOLIO = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION})"
    f"-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE {_IN_PORTFOLIO} "
    "RETURN a.id AS assertion_id, b.id AS badge_id, a.issued_on AS issued_on "
    "ORDER BY issued_on, assertion_id"
)

#: Whether a learner exists. Params: ``learner_id``. Returns 0 or 1 row ``{id}``.
GET_LEARNER = f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) RETURN l.id AS id, l.name AS name"

# --------------------------------------------------------------------------
# Catalogue reads (recommender projections, service)
# --------------------------------------------------------------------------

#: The spine grid. Returns rows ``{id, layer, domain, layer_rank, domain_rank, name}``
#: ordered by domain then layer.
SPINE_CELLS = (
    f"MATCH (c:{Label.SPINE_CELL}) "
    "RETURN c.id AS id, c.layer AS layer, c.domain AS domain, "
    "c.layer_rank AS layer_rank, c.domain_rank AS domain_rank, c.name AS name "
    "ORDER BY domain_rank, layer_rank"
)

#: Every badge with its alignments, themes, destinations (through themes) and
#: defining organisation. Returns rows ``{id, name, description, issuer_id,
#: cells: [str], themes: [str], destinations: [str]}`` ordered by id.
BADGE_CATALOGUE = (
    f"MATCH (b:{Label.BADGE}) "
    f"OPTIONAL MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) "
    "RETURN b.id AS id, b.name AS name, b.description AS description, o.id AS issuer_id, "
    f"[(b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) | c.id] AS cells, "
    f"[(b)-[:{Rel.IN_THEME}]->(t:{Label.THEME}) | t.id] AS themes, "
    f"[(b)-[:{Rel.IN_THEME}]->(:{Label.THEME})-[:{Rel.LEADS_TO}]->(d:{Label.DESTINATION}) | d.id] "
    "AS destinations "
    "ORDER BY id"
)

#: The opportunities that award each of ``$badge_ids``.
#: Returns rows ``{badge_id, opportunities: [{id, name, mode, url, organisation_id, place_id}]}``.
BADGE_OPPORTUNITIES = (
    f"UNWIND $badge_ids AS bid MATCH (op:{Label.OPPORTUNITY})-[:{Rel.AWARDS}]->(b:{Label.BADGE} {{id: bid}}) "
    f"OPTIONAL MATCH (org:{Label.ORGANISATION})-[:{Rel.OFFERS}]->(op) "
    f"OPTIONAL MATCH (op)-[:{Rel.LOCATED_IN}]->(p:{Label.PLACE}) "
    "WITH b, op, org, p ORDER BY op.id "
    "RETURN b.id AS badge_id, collect({id: op.id, name: op.name, mode: op.mode, url: op.url, "
    "organisation_id: org.id, place_id: p.id}) AS opportunities"
)

# --------------------------------------------------------------------------
# City catalogue writes (ingest/catalogue.py)
# --------------------------------------------------------------------------

#: Before a pathway's steps are written again: delete the ``Step`` nodes the
#: pathway has that are no longer among its steps (a re-ingested pathway with
#: fewer steps leaves none behind).
#: Params: rows ``[{"id": pathway_id, "step_ids": [str]}]``. Returns rows: none.
DELETE_STALE_STEPS = (
    "UNWIND $rows AS r "
    f"MATCH (p:{Label.PATHWAY} {{id: r.id}})-[:{Rel.HAS_STEP}]->(s:{Label.STEP}) "
    "WHERE NOT s.id IN r.step_ids "
    "DETACH DELETE s"
)


def count_relationships(rel: Rel) -> str:
    """Number of relationships of type ``rel``. Returns one row ``{n}``."""
    return f"MATCH ()-[e:{Rel(rel)}]->() RETURN count(e) AS n"


# --------------------------------------------------------------------------
# Open Badges documents (ingest/openbadges.py)
# --------------------------------------------------------------------------


def merge_stub_nodes(label: Label) -> str:
    """Create placeholder nodes of ``label`` that do not exist yet; never touch existing ones.

    Used for objects a document only points to by URL (a BadgeClass or an
    issuer Profile that is neither in the batch nor in the graph): the stub
    carries ``stub: true`` and ``source_url``; a later ingest of the real
    object overwrites it with ``merge_nodes``.

    Params:
        rows: ``[{"id": str, "props": {..}}]``; ``props`` is set only when the
            node is created.
    Returns rows: none.
    """
    return (
        f"UNWIND $rows AS r MERGE (n:{Label(label)} {{id: r.id}}) "
        "ON CREATE SET n += r.props"
    )


#: ``MERGE_ASSERTIONS`` for awards whose issuer may be unknown (an OB 2.0
#: Assertion names only its BadgeClass, and the BadgeClass may be a stub): the
#: ``ISSUED`` relationship is made only when ``organisation_id`` names an
#: existing Organisation. Learner created if new; an existing assertion keeps
#: its props (idempotent re-ingest).
#: Params: rows ``[{"id", "organisation_id": str | None, "badge_id", "learner_id",
#: "learner_props": {..}, "props": {..}}]``. Returns rows: none.
MERGE_ASSERTIONS_OPTIONAL_ISSUER = (
    "UNWIND $rows AS r "
    f"MATCH (b:{Label.BADGE} {{id: r.badge_id}}) "
    f"OPTIONAL MATCH (o:{Label.ORGANISATION} {{id: r.organisation_id}}) "
    f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) "
    "ON CREATE SET l += r.learner_props "
    f"MERGE (a:{Label.ASSERTION} {{id: r.id}}) "
    "ON CREATE SET a += r.props "
    f"MERGE (a)-[:{Rel.OF}]->(b) "
    f"MERGE (a)-[:{Rel.TO}]->(l) "
    f"FOREACH (org IN CASE WHEN o IS NULL THEN [] ELSE [o] END | MERGE (org)-[:{Rel.ISSUED}]->(a))"
)

#: Give every assertion of ``$badge_ids`` that has no issuer the organisation
#: that defines its badge (OB 2.0: an Assertion's issuer is its BadgeClass's
#: issuer), e.g. once the real BadgeClass of a stub has been ingested.
#: Params: ``badge_ids``: list of str. Returns one row ``{linked}``.
LINK_ASSERTIONS_TO_BADGE_ISSUER = (
    "UNWIND $badge_ids AS bid "
    f"MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b:{Label.BADGE} {{id: bid}})"
    f"<-[:{Rel.OF}]-(a:{Label.ASSERTION}) "
    f"WHERE NOT (a)<-[:{Rel.ISSUED}]-(:{Label.ORGANISATION}) "
    f"MERGE (o)-[:{Rel.ISSUED}]->(a) "
    "RETURN count(a) AS linked"
)

#: The badge and learner of each existing assertion in ``$ids`` (to refuse a
#: document that reuses an assertion id for another award).
#: Returns rows ``{id, badge_id, learner_id}`` for the ids that exist.
ASSERTION_ENDPOINTS = (
    f"UNWIND $ids AS aid MATCH (a:{Label.ASSERTION} {{id: aid}}) "
    f"OPTIONAL MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"OPTIONAL MATCH (a)-[:{Rel.TO}]->(l:{Label.LEARNER}) "
    "RETURN a.id AS id, b.id AS badge_id, l.id AS learner_id"
)

# --------------------------------------------------------------------------
# API keys (service/auth.py)
# --------------------------------------------------------------------------

#: Create an API key record. Params: ``id``, ``hash`` (hex SHA-256 of the
#: secret), ``role``, ``organisation_id`` (or null), ``origins`` (list of str),
#: ``name``, ``created_on`` (epoch s). Fails with a uniqueness conflict on a reused id.
CREATE_API_KEY = (
    f"CREATE (k:{Label.API_KEY} {{id: $id, hash: $hash, role: $role, organisation_id: $organisation_id, "
    "origins: $origins, name: $name, created_on: $created_on}) RETURN k.id AS id"
)

_API_KEY_FIELDS = (
    "k.id AS id, k.hash AS hash, k.role AS role, k.organisation_id AS organisation_id, "
    "k.origins AS origins, k.name AS name, k.created_on AS created_on, k.revoked_on AS revoked_on"
)

#: One API key by id. Params: ``id``. Returns 0 or 1 row with the key's fields.
GET_API_KEY = f"MATCH (k:{Label.API_KEY} {{id: $id}}) RETURN {_API_KEY_FIELDS}"

#: Every API key, oldest first. Returns rows with the key's fields.
LIST_API_KEYS = f"MATCH (k:{Label.API_KEY}) RETURN {_API_KEY_FIELDS} ORDER BY created_on, id"

#: Revoke an API key (kept on record). Params: ``id``, ``revoked_on``.
#: Returns 0 rows for an unknown id, else ``{id, revoked_on}``.
REVOKE_API_KEY = (
    f"MATCH (k:{Label.API_KEY} {{id: $id}}) SET k.revoked_on = coalesce(k.revoked_on, $revoked_on) "
    "RETURN k.id AS id, k.revoked_on AS revoked_on"
)

#: Whether an organisation exists. Params: ``id``. Returns 0 or 1 row ``{id}``.
GET_ORGANISATION_ID = f"MATCH (o:{Label.ORGANISATION} {{id: $id}}) RETURN o.id AS id"
