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

import re

from typing import NamedTuple

from colearn.graph.schema import AssertionStatus, Label, Rel

#: Lock before read. Neo4j runs a statement at read-committed isolation: a
#: property read before the node is locked may be stale by the time the
#: statement writes, so a decision taken on it (a status transition, "nothing
#: uses this node, delete it") can undo a concurrent committed write. Writing
#: to the node first takes its exclusive lock (held to commit); reads after
#: that see the latest committed value (Neo4j Operations Manual, "Concurrent
#: data access": lost updates). The statement sets ``_lock`` back to null before
#: it ends, so nothing is left on the node. FalkorDB runs one write at a time and
#: needs no lock; the write is harmless there. Format with ``n=<variable>``.
_LOCK_FIRST = "SET {n}._lock = true "
#: The end of ``_LOCK_FIRST``: removes the property (the lock stays to commit).
_LOCK_DONE = "SET {n}._lock = null "

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


#: The badges among ``$ids`` that organisation ``$organisation`` does not define
#: (unknown ids are not listed: ``missing_ids`` reports those).
#: Returns rows ``{id, issuer}`` (``issuer``: the defining organisation or null).
BADGES_NOT_DEFINED_BY = (
    f"UNWIND $ids AS id MATCH (b:{Label.BADGE} {{id: id}}) "
    f"OPTIONAL MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) "
    "WITH b, collect(o.id) AS issuers WHERE NOT $organisation IN issuers "
    "RETURN b.id AS id, head(issuers) AS issuer"
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

#: What counts (toward recommendations, pathway progress and completions): in
#: the portfolio, and not an import whose origin was not established
#: (``verified: false``, ``openbadges/importing.py``; absent means verified).
#: The feed's ``HELD_PAIRS`` applies the same rule.
_COUNTS = f"{_IN_PORTFOLIO} AND coalesce(a.verified, true) = true"

#: One learner's portfolio assertions ``a`` (``$learner_id``, ``$now``), found
#: from the learner. The ``WITH`` keeps it that way: without it FalkorDB's
#: planner starts from the index on ``Assertion.status`` and filters every
#: accepted assertion in the city (16 ms at 10k awards, growing with the city;
#: 0.5 ms this way, whatever the city's size).
_LEARNER_HELD = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION}) "
    f"WITH a WHERE {_IN_PORTFOLIO}"
)

#: Every portfolio award of every learner (accepted, not revoked, not expired
#: at ``$now``, epoch seconds; unverified imports left out: ``_COUNTS``),
#: oldest first: the recommender's input.
#: Returns rows ``{assertion_id, learner_id, badge_id, issued_on}``.
PORTFOLIO_AWARDS = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE {_COUNTS} "
    "RETURN a.id AS assertion_id, l.id AS learner_id, b.id AS badge_id, a.issued_on AS issued_on "
    "ORDER BY issued_on, assertion_id"
)

#: One learner's portfolio awards. Params: ``learner_id``, ``now``.
#: Returns rows ``{assertion_id, badge_id, issued_on}``, oldest first.
LEARNER_PORTFOLIO = (
    f"{_LEARNER_HELD} "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN a.id AS assertion_id, b.id AS badge_id, a.issued_on AS issued_on "
    "ORDER BY issued_on, assertion_id"
)

#: ``LEARNER_PORTFOLIO`` less the imports whose origin was not established
#: (``verified: false``, ``openbadges/importing.py``): what a pathway completion
#: may count. Params and rows as ``LEARNER_PORTFOLIO``.
LEARNER_VERIFIED_PORTFOLIO = (
    f"{_LEARNER_HELD} AND coalesce(a.verified, true) "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN a.id AS assertion_id, b.id AS badge_id, a.issued_on AS issued_on "
    "ORDER BY issued_on, assertion_id"
)

#: A learner's live awards (issued or accepted) of one badge: a completion badge
#: is never awarded to a learner who holds one. Params: ``learner_id``,
#: ``badge_id``. Returns rows ``{id}``.
LEARNER_LIVE_AWARDS_OF_BADGE = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION})"
    f"-[:{Rel.OF}]->(b:{Label.BADGE} {{id: $badge_id}}) "
    f"WHERE a.status IN ['{AssertionStatus.ISSUED}', '{AssertionStatus.ACCEPTED}'] "
    "RETURN a.id AS id ORDER BY id"
)

#: What each pathway's completion badge needs: the badges of its non-optional
#: steps, for the published pathways and ``$id`` (the one being written).
#: Returns rows ``{pathway_id, completion, needs: [badge id]}``.
PATHWAY_COMPLETION_NEEDS = (
    f"MATCH (p:{Label.PATHWAY})-[:{Rel.COMPLETES_WITH}]->(c:{Label.BADGE}) "
    "WHERE p.status = 'published' OR p.id = $id "
    f"MATCH (p)-[:{Rel.HAS_STEP}]->(s:{Label.STEP})-[:{Rel.ACCEPTS}]->(b:{Label.BADGE}) "
    "WHERE coalesce(s.optional, false) = false "
    "RETURN p.id AS pathway_id, c.id AS completion, collect(DISTINCT b.id) AS needs ORDER BY pathway_id"
)

#: Withdraw an award for good (the issuer's DELETE): it leaves its learner and its
#: badge, and the recipient and evidence are erased; the node stays, revoked, so
#: that its hosted URL answers 410 and the issuer's revocation lists keep it.
#: Params: ``id``. Returns 0 or 1 row ``{id}``.
ERASE_ASSERTION = (
    f"MATCH (a:{Label.ASSERTION} {{id: $id}}) "
    f"OPTIONAL MATCH (a)-[t:{Rel.TO}]->(:{Label.LEARNER}) DELETE t "
    "WITH DISTINCT a "
    f"OPTIONAL MATCH (a)-[o:{Rel.OF}]->(:{Label.BADGE}) DELETE o "
    "WITH DISTINCT a "
    "REMOVE a.recipient_hash, a.recipient_salt, a.recipient_type, a.evidence_url, a.evidence_narrative "
    "SET a.erased = true RETURN a.id AS id"
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

#: The opportunities that award each of ``$badge_ids`` and have not ended at
#: ``$now`` (epoch seconds; ``ends_on`` null: ongoing), with where and when:
#: the place (``place_id``, ``place_name``) and its district (the place itself
#: when it is a district, else the district it lies ``WITHIN``), epoch-second
#: ``starts_on``/``ends_on`` and the sessions' ``session_starts``/``session_ends``.
#: Returns rows ``{badge_id, opportunities: [{id, name, mode, url, organisation_id,
#: organisation_name, place_id, place_name, district_id, district_name, starts_on,
#: ends_on, session_starts, session_ends}]}``, opportunities by start (ongoing
#: ones first) then id; badges with no current opportunity have no row.
BADGE_OPPORTUNITIES = (
    f"UNWIND $badge_ids AS bid MATCH (b:{Label.BADGE} {{id: bid}})<-[:{Rel.AWARDS}]-(op:{Label.OPPORTUNITY}) "
    "WITH b, op WHERE op.ends_on IS NULL OR op.ends_on > $now "
    f"OPTIONAL MATCH (org:{Label.ORGANISATION})-[:{Rel.OFFERS}]->(op) "
    f"OPTIONAL MATCH (op)-[:{Rel.LOCATED_IN}]->(p:{Label.PLACE}) "
    f"OPTIONAL MATCH (p)-[:{Rel.WITHIN}]->(up:{Label.PLACE}) "
    "WITH b, op, org, p, CASE WHEN up IS NULL AND p.kind = 'district' THEN p ELSE up END AS d "
    "ORDER BY coalesce(op.starts_on, 0), op.id "
    "RETURN b.id AS badge_id, collect({id: op.id, name: op.name, mode: op.mode, url: op.url, "
    "organisation_id: org.id, organisation_name: org.name, place_id: p.id, place_name: p.name, "
    "district_id: d.id, district_name: d.name, starts_on: op.starts_on, ends_on: op.ends_on, "
    "session_starts: op.session_starts, session_ends: op.session_ends}) AS opportunities"
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

# --------------------------------------------------------------------------
# Catalogue API (service/catalogue.py, service/authoring.py): pages with
# filters and totals, one-statement upserts and deletes, pathway authoring
# --------------------------------------------------------------------------


class Link(NamedTuple):
    """A relationship a catalogue record names by id in one of its fields.

    Attributes:
        field: the record's field (``issuer``, ``cells``, ...).
        rel: the relationship type.
        other: the label at the far end.
        outgoing: ``(node)-[rel]->(other)`` when True, else ``(other)-[rel]->(node)``.
        many: the field is a list of ids (else one id or None).
    """

    field: str
    rel: Rel
    other: Label
    outgoing: bool = True
    many: bool = True


#: What the API reads and writes of each catalogue label: its scalar
#: properties and its links, in the record's field names (ingest/catalogue.py).
CATALOGUE_SHAPES: dict[Label, tuple[tuple[str, ...], tuple[Link, ...]]] = {
    Label.ORGANISATION: (("name", "kind", "url", "email", "description"), ()),
    Label.PLACE: (("name", "kind", "lat", "lon"),
                  (Link("within", Rel.WITHIN, Label.PLACE, many=False),)),
    Label.DESTINATION: (("name", "description"), ()),
    Label.SPINE_CELL: (("name", "layer", "domain", "layer_rank", "domain_rank", "description"), ()),
    Label.THEME: (("name", "kind", "description"),
                  (Link("destinations", Rel.LEADS_TO, Label.DESTINATION),)),
    Label.BADGE: (("name", "description", "criteria", "expires_after_days"),
                  (Link("issuer", Rel.DEFINES, Label.ORGANISATION, outgoing=False, many=False),
                   Link("cells", Rel.ALIGNS_TO, Label.SPINE_CELL),
                   Link("themes", Rel.IN_THEME, Label.THEME))),
    Label.OPPORTUNITY: (("name", "description", "kind", "mode", "url", "starts_on", "ends_on",
                         "session_starts", "session_ends"),
                        (Link("organisation", Rel.OFFERS, Label.ORGANISATION, outgoing=False, many=False),
                         Link("place", Rel.LOCATED_IN, Label.PLACE, many=False),
                         Link("themes", Rel.IN_THEME, Label.THEME),
                         Link("badges", Rel.AWARDS, Label.BADGE))),
}

#: Per label, the list filters it takes: ``{param: what it matches}``. A value
#: ``n.<prop>`` compares a property; a pattern from ``(n)`` to ``(x)`` matches
#: when ``$param`` is the id of one of the ``x`` it reaches. A null parameter
#: leaves the filter out. ``q`` (always taken) is lower-case text matched in
#: the name (or title) and the description.
CATALOGUE_FILTERS: dict[Label, dict[str, str]] = {
    Label.ORGANISATION: {"kind": "n.kind"},
    Label.PLACE: {"kind": "n.kind", "within": f"(n)-[:{Rel.WITHIN}]->(x:{Label.PLACE})"},
    Label.DESTINATION: {},
    Label.SPINE_CELL: {"layer": "n.layer", "domain": "n.domain"},
    Label.THEME: {"kind": "n.kind", "destination": f"(n)-[:{Rel.LEADS_TO}]->(x:{Label.DESTINATION})"},
    Label.BADGE: {
        "theme": f"(n)-[:{Rel.IN_THEME}]->(x:{Label.THEME})",
        "destination": f"(n)-[:{Rel.IN_THEME}]->(:{Label.THEME})-[:{Rel.LEADS_TO}]->(x:{Label.DESTINATION})",
        "spine_cell": f"(n)-[:{Rel.ALIGNS_TO}]->(x:{Label.SPINE_CELL})",
        "place": f"(n)<-[:{Rel.AWARDS}]-(:{Label.OPPORTUNITY})-[:{Rel.LOCATED_IN}]->(x:{Label.PLACE})",
        "district": f"(n)<-[:{Rel.AWARDS}]-(:{Label.OPPORTUNITY})-[:{Rel.LOCATED_IN}]->(:{Label.PLACE})"
                    f"-[:{Rel.WITHIN}*0..1]->(x:{Label.PLACE})",
        "organisation": f"(n)<-[:{Rel.DEFINES}]-(x:{Label.ORGANISATION})",
    },
    Label.OPPORTUNITY: {
        "theme": f"(n)-[:{Rel.IN_THEME}]->(x:{Label.THEME})",
        "destination": f"(n)-[:{Rel.IN_THEME}]->(:{Label.THEME})-[:{Rel.LEADS_TO}]->(x:{Label.DESTINATION})",
        "spine_cell": f"(n)-[:{Rel.AWARDS}]->(:{Label.BADGE})-[:{Rel.ALIGNS_TO}]->(x:{Label.SPINE_CELL})",
        "place": f"(n)-[:{Rel.LOCATED_IN}]->(x:{Label.PLACE})",
        "district": f"(n)-[:{Rel.LOCATED_IN}]->(:{Label.PLACE})-[:{Rel.WITHIN}*0..1]->(x:{Label.PLACE})",
        "mode": "n.mode",
        "organisation": f"(n)<-[:{Rel.OFFERS}]-(x:{Label.ORGANISATION})",
    },
}

_TEXT_MATCH = ("toLower(coalesce(n.name, n.title, '')) CONTAINS $q "
               "OR toLower(coalesce(n.description, '')) CONTAINS $q")


def _link_pattern(link: Link, node: str = "n", var: str = "x") -> str:
    left, right = ("-", "->") if link.outgoing else ("<-", "-")
    return f"({node}){left}[:{Rel(link.rel)}]{right}({var}:{Label(link.other)})"


def _projection(label: Label) -> str:
    scalars, links = CATALOGUE_SHAPES[Label(label)]
    parts = [".id", *(f".{s}" for s in scalars)]
    for i, link in enumerate(links):
        ids = f"[{_link_pattern(link, var=f'x{i}')} | x{i}.id]"
        parts.append(f"{link.field}: {ids if link.many else f'head({ids})'}")
    return "n {" + ", ".join(parts) + "}"


def _filtered(label: Label, filters: dict[str, str]) -> str:
    """``MATCH (n:label)`` kept by ``q`` and ``filters``.

    A link filter is a pattern predicate on the far node's id, behind
    ``$param IS NULL OR``: FalkorDB skips it for a filter not given. (Lists of
    linked ids built by pattern comprehensions for every node, used before,
    cost 30 us a node and filter even when nothing was filtered: 350 ms for a
    page of 800 opportunities, linear in the city.)
    """
    preds = [f"($q IS NULL OR {_TEXT_MATCH})"]
    for p, on in filters.items():
        test = f"{on} = ${p}" if on.startswith("n.") else re.sub(r"\(x:(\w+)\)$", rf"(:\1 {{id: ${p}}})", on)
        preds.append(f"(${p} IS NULL OR {test})")
    return f"MATCH (n:{Label(label)}) WHERE {' AND '.join(preds)} WITH n "


def _order(label: Label) -> str:
    return "n.domain_rank, n.layer_rank, n.id" if label == Label.SPINE_CELL else "n.id"


def catalogue_page(label: Label) -> str:
    """One page of a catalogue label's nodes, filtered, with the total before paging.

    Params: ``q`` (lower-case text or null), one param per ``CATALOGUE_FILTERS[label]``
    (null: not filtered), ``offset``, ``limit``.
    Returns one row ``{total, data: [record]}``; a record has ``id``, the label's
    scalars and its links' fields (lists of ids, or one id or null).
    """
    label = Label(label)
    # Only the page is projected (its links read), not every node that matched.
    return (f"{_filtered(label, CATALOGUE_FILTERS[label])}ORDER BY {_order(label)} "
            "WITH collect(n) AS matched "
            "WITH size(matched) AS total, matched[$offset..$offset + $limit] AS page "
            # One row per node of the page (a null row keeps the total of an empty page).
            # Not a subquery (Neo4j deprecates CALL { WITH }, FalkorDB lacks CALL (x) { }),
            # nor [n IN page | projection]: FalkorDB evaluates its pattern comprehensions
            # for the first element only.
            "UNWIND CASE WHEN size(page) = 0 THEN [null] ELSE page END AS n "
            f"RETURN total, collect(CASE WHEN n IS NULL THEN null ELSE {_projection(label)} END) AS data")


def catalogue_get(label: Label) -> str:
    """One catalogue node by id, in ``catalogue_page``'s record shape.

    Params: ``id``. Returns 0 or 1 row ``{record}``.
    """
    return f"MATCH (n:{Label(label)} {{id: $id}}) RETURN {_projection(label)} AS record"


def catalogue_upsert(label: Label, *, create: bool) -> str:
    """Write one catalogue node and replace its links, in one statement.

    ``create=True`` makes a new node (a reused id fails with a uniqueness
    conflict and nothing is written); ``create=False`` updates an existing one
    (0 rows for an unknown id). Every link of the label is replaced by the
    listed targets; targets that do not exist are skipped, so check them first.

    Params: ``id``, ``props`` (every scalar: null removes it), and ``l<i>``
    (list of target ids) for the i-th link of ``CATALOGUE_SHAPES[label]``.
    Returns rows: ``{id}``.
    """
    label = Label(label)
    _, links = CATALOGUE_SHAPES[label]
    parts = [f"{'CREATE' if create else 'MATCH'} (n:{label} {{id: $id}}) SET n += $props WITH n"]
    for i, link in enumerate(links):
        left, right = ("-", "->") if link.outgoing else ("<-", "-")
        parts.append(f"OPTIONAL MATCH (n){left}[old{i}:{link.rel}]{right}(:{link.other}) "
                     f"DELETE old{i} WITH DISTINCT n")
    for i, link in enumerate(links):
        kept = "".join(f", xs{j}" for j in range(i))
        parts.append(f"OPTIONAL MATCH (x{i}:{link.other}) WHERE x{i}.id IN $l{i} "
                     f"WITH n{kept}, collect(x{i}) AS xs{i}")
    for i, link in enumerate(links):
        left, right = ("-", "->") if link.outgoing else ("<-", "-")
        parts.append(f"FOREACH (x IN xs{i} | MERGE (n){left}[:{link.rel}]{right}(x))")
    parts.append("RETURN n.id AS id")
    return " ".join(parts)


#: Per label: what keeps a node from being deleted (``(name, pattern from n)``):
#: deleting it would leave an award, a pathway step, a badge without a cell,
#: or an offline opportunity without its place. Other links go with the node.
CATALOGUE_BLOCKERS: dict[Label, tuple[tuple[str, str], ...]] = {
    Label.ORGANISATION: (
        ("badges", f"(n)-[:{Rel.DEFINES}]->(x:{Label.BADGE})"),
        ("opportunities", f"(n)-[:{Rel.OFFERS}]->(x:{Label.OPPORTUNITY})"),
        ("pathways", f"(n)-[:{Rel.AUTHORED}]->(x:{Label.PATHWAY})"),
        ("assertions", f"(n)-[:{Rel.ISSUED}]->(x:{Label.ASSERTION})"),
    ),
    # a badge goes when nothing live refers to it: its revoked and declined awards
    # stay on record without it (hosted 410, RevocationList, status list bit)
    Label.BADGE: (
        ("live assertions", f"(n)<-[:{Rel.OF}]-(x:{Label.ASSERTION}) "
                            f"WHERE x.status IN ['{AssertionStatus.ISSUED}', '{AssertionStatus.ACCEPTED}']"),
        ("pathway steps", f"(n)<-[:{Rel.ACCEPTS}]-(x:{Label.STEP})"),
        ("pathway completions", f"(n)<-[:{Rel.COMPLETES_WITH}]-(x:{Label.PATHWAY})"),
    ),
    Label.OPPORTUNITY: (),
    Label.THEME: (),
    Label.DESTINATION: (("pathways", f"(n)<-[:{Rel.TOWARDS}]-(x:{Label.PATHWAY})"),),
    Label.PLACE: (("opportunities", f"(n)<-[:{Rel.LOCATED_IN}]-(x:{Label.OPPORTUNITY})"),
                  ("places within it", f"(n)<-[:{Rel.WITHIN}]-(x:{Label.PLACE})")),
    Label.SPINE_CELL: (("badges", f"(n)<-[:{Rel.ALIGNS_TO}]-(x:{Label.BADGE})"),),
}


def _uses(label: Label) -> list[str]:
    return [f"size([{pattern} | x])" for _, pattern in CATALOGUE_BLOCKERS[Label(label)]]


def catalogue_usage(label: Label) -> str:
    """How many nodes keep a catalogue node from being deleted, per ``CATALOGUE_BLOCKERS`` entry.

    Params: ``id``. Returns 0 rows (unknown id) or one row ``{id, uses: [int]}``
    in ``CATALOGUE_BLOCKERS[label]`` order.
    """
    return f"MATCH (n:{Label(label)} {{id: $id}}) RETURN n.id AS id, [{', '.join(_uses(label))}] AS uses"


def catalogue_delete(label: Label) -> str:
    """Delete a catalogue node with its links, only if nothing blocks it (one
    statement that locks the node before it counts the blockers, ``_LOCK_FIRST``:
    an award or a pathway step linked to it meanwhile either is counted or waits
    and then finds the node gone).

    Params: ``id``. Returns one row ``{deleted}``: 1 if deleted, 0 if unknown or in use.
    """
    uses = " + ".join(_uses(label)) or "0"
    return (f"OPTIONAL MATCH (n:{Label(label)} {{id: $id}}) "
            f"FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | {_LOCK_FIRST.format(n='x')}) "
            f"WITH n, {uses} AS used "
            f"FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | {_LOCK_DONE.format(n='x')}) "
            "WITH collect(CASE WHEN n IS NOT NULL AND used = 0 THEN n END) AS gone "
            "FOREACH (x IN gone | DETACH DELETE x) RETURN size(gone) AS deleted")


#: The origins of every active partner key (CORS). Returns rows ``{origin}``.
PARTNER_ORIGINS = (
    f"MATCH (k:{Label.API_KEY} {{role: 'partner'}}) WHERE k.revoked_on IS NULL "
    "UNWIND k.origins AS origin RETURN DISTINCT origin"
)

def _sorted_ids(ids: str) -> str:
    """``ids`` (a list expression of strings) sorted ascending, in plain Cypher
    (an insertion sort with ``reduce``). The order of a pattern comprehension is
    the engine's: FalkorDB lists relationships oldest first, Neo4j newest first."""
    return f"reduce(acc = [], x IN {ids} | [y IN acc WHERE y < x] + [x] + [y IN acc WHERE y >= x])"


_AUTHOR = f"(n)<-[:{Rel.AUTHORED}]-(x:{Label.ORGANISATION})"
_PATHWAY_RECORD = (
    "{id: n.id, title: n.title, description: n.description, status: n.status, kind: n.kind, "
    f"organisation: head([(n)<-[:{Rel.AUTHORED}]-(o:{Label.ORGANISATION}) | o.id]), "
    f"destination: head([(n)-[:{Rel.TOWARDS}]->(d:{Label.DESTINATION}) | d.id]), "
    f"completion_badge: head([(n)-[:{Rel.COMPLETES_WITH}]->(b:{Label.BADGE}) | b.id]), "
    "steps: steps}"
)
_PATHWAY_STEPS = (
    f"OPTIONAL MATCH (n)-[h:{Rel.HAS_STEP}]->(s:{Label.STEP}) "
    "WITH n, h, s ORDER BY n.id, h.order "
    "WITH n, collect(CASE WHEN s IS NULL THEN NULL ELSE {title: s.title, required: s.required, "
    f"optional: s.optional, badges: {_sorted_ids(f'[(s)-[:{Rel.ACCEPTS}]->(b:{Label.BADGE}) | b.id]')}}} END) AS steps "
)

#: One page of pathways. Params: ``q`` (lower-case or null), ``status``,
#: ``destination``, ``organisation`` (null: any), ``viewer`` (an organisation id
#: whose drafts are shown, ``'*'`` for all, null for none), ``offset``, ``limit``.
#: Returns one row ``{total, data: [record]}``; a record has id, title,
#: description, status, kind, organisation, destination, completion_badge and
#: steps ``[{title, required, optional, badges}]`` in order (badges: ids ascending).
PATHWAY_PAGE = (
    _filtered(Label.PATHWAY, {"status": "n.status", "destination": f"(n)-[:{Rel.TOWARDS}]->(x:{Label.DESTINATION})",
                              "organisation": _AUTHOR})
    + f"WITH n, [{_AUTHOR.replace('(x:', '(v:')} | v.id] AS authors WHERE n.status <> 'draft' OR $viewer = '*' OR $viewer IN authors "
    + _PATHWAY_STEPS +
    f"WITH n, steps ORDER BY n.id WITH collect({_PATHWAY_RECORD}) AS matched "
    "RETURN size(matched) AS total, matched[$offset..$offset + $limit] AS data"
)

#: One pathway by id. Params: ``id``. Returns 0 or 1 row ``{record}`` (``PATHWAY_PAGE``'s shape).
PATHWAY_GET = (
    f"MATCH (n:{Label.PATHWAY} {{id: $id}}) " + _PATHWAY_STEPS + f"RETURN {_PATHWAY_RECORD} AS record"
)


def pathway_upsert(*, create: bool) -> str:
    """Write a recommended pathway whole, in one statement: its properties, its
    author, destination and completion badge, and its steps (old steps deleted,
    new ``Step`` nodes ``HAS_STEP {order}`` with their ``ACCEPTS`` badges).

    ``create=True`` fails with a uniqueness conflict on a reused id;
    ``create=False`` answers no row for an unknown id. The organisation,
    destination and badges must exist (check first).

    Params: ``id``, ``props`` ({title, description, status, kind, ...}),
    ``organisation``, ``destination``, ``completion_badge`` (or null), ``steps``
    ``[{id, order, props: {title, required, optional}, badges: [ids]}]`` (at least one).
    Returns rows: ``{id}``.
    """
    return (
        f"{'CREATE' if create else 'MATCH'} (p:{Label.PATHWAY} {{id: $id}}) SET p += $props WITH p "
        f"OPTIONAL MATCH (p)-[:{Rel.HAS_STEP}]->(old:{Label.STEP}) DETACH DELETE old WITH DISTINCT p "
        f"OPTIONAL MATCH (p)-[r:{Rel.AUTHORED}|{Rel.TOWARDS}|{Rel.COMPLETES_WITH}]-() DELETE r "
        "WITH DISTINCT p "
        f"MATCH (o:{Label.ORGANISATION} {{id: $organisation}}) MERGE (o)-[:{Rel.AUTHORED}]->(p) WITH p "
        f"MATCH (d:{Label.DESTINATION} {{id: $destination}}) MERGE (p)-[:{Rel.TOWARDS}]->(d) WITH p "
        f"OPTIONAL MATCH (cb:{Label.BADGE} {{id: $completion_badge}}) "
        f"FOREACH (b IN CASE WHEN cb IS NULL THEN [] ELSE [cb] END | MERGE (p)-[:{Rel.COMPLETES_WITH}]->(b)) "
        "WITH p UNWIND $steps AS st "
        f"CREATE (s:{Label.STEP} {{id: st.id}}) SET s += st.props "
        f"CREATE (p)-[:{Rel.HAS_STEP} {{order: st.order}}]->(s) "
        f"WITH p, s, st MATCH (b:{Label.BADGE}) WHERE b.id IN st.badges CREATE (s)-[:{Rel.ACCEPTS}]->(b) "
        "RETURN DISTINCT p.id AS id"
    )


#: Move a pathway to another status. Params: ``id``, ``status``, ``now`` (epoch s,
#: kept as ``status_on``). Returns 0 rows (unknown id) or ``{id, status}``.
SET_PATHWAY_STATUS = (
    f"MATCH (p:{Label.PATHWAY} {{id: $id}}) SET p.status = $status, p.status_on = $now "
    "RETURN p.id AS id, p.status AS status"
)

#: The spine layers of badges: for each of ``$ids`` that exists, the layer ranks
#: and names of its cells. Returns rows ``{id, cells: [{layer, layer_rank}]}``.
BADGE_LAYERS = (
    f"UNWIND $ids AS bid MATCH (b:{Label.BADGE} {{id: bid}}) "
    f"RETURN b.id AS id, [(b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) | "
    "{layer: c.layer, layer_rank: c.layer_rank}] AS cells"
)

#: The organisation that defines a badge (the issuer of its awards).
#: Params: ``id``. Returns 0 or 1 row ``{issuer}`` (null when it has none).
BADGE_ISSUER = (
    f"MATCH (b:{Label.BADGE} {{id: $id}}) "
    f"RETURN head([(o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) | o.id]) AS issuer"
)

#: Award a pathway's completion badge to a learner, once: the assertion id is
#: derived from pathway and learner, so running it again changes nothing (one
#: MERGE statement). Params: ``id`` (assertion id), ``pathway_id``, ``learner_id``,
#: ``props`` ({status, issued_on, source, ...}, set on creation only).
#: Only a badge the pathway's own organisation defines is awarded: the award is
#: issued in that organisation's name, never another's.
#: Returns 0 rows (no such pathway, completion badge of the pathway's
#: organisation, or learner) or ``{id, badge_id, issued_on, created}``.
AWARD_PATHWAY_COMPLETION = (
    f"MATCH (p:{Label.PATHWAY} {{id: $pathway_id}})-[:{Rel.COMPLETES_WITH}]->(b:{Label.BADGE})"
    f"<-[:{Rel.DEFINES}]-(o:{Label.ORGANISATION})-[:{Rel.AUTHORED}]->(p) "
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) "
    # the recipient as the learner's latest award colearn issued names them (an
    # IdentityObject is per person, its salt per award): the completion is then
    # published like any award (OB 2.0 hosted, OB 3.0 with a status list bit)
    f"OPTIONAL MATCH (l)<-[:{Rel.TO}]-(r:{Label.ASSERTION}) WHERE r.recipient_hash IS NOT NULL "
    "WITH p, b, o, l, r ORDER BY r.issued_on DESC "
    "WITH p, b, o, l, head(collect(r)) AS r "
    f"MERGE (a:{Label.ASSERTION} {{id: $id}}) ON CREATE SET a += $props, a.created_now = true, "
    "a.recipient_type = r.recipient_type, a.recipient_hash = r.recipient_hash, "
    "a.recipient_salt = r.recipient_salt, a.status_index = coalesce(o.status_next, 0), "
    "o.status_next = coalesce(o.status_next, 0) + 1 "
    "ON MATCH SET a.created_now = false "
    f"MERGE (o)-[:{Rel.ISSUED}]->(a) MERGE (a)-[:{Rel.OF}]->(b) MERGE (a)-[:{Rel.TO}]->(l) "
    "WITH a, b, a.created_now AS created REMOVE a.created_now "
    "RETURN a.id AS id, b.id AS badge_id, a.issued_on AS issued_on, created"
)

# --------------------------------------------------------------------------
# Issuing: award, accept, decline, revoke, portfolio (graph/issuing.py)
# --------------------------------------------------------------------------

#: Award badges of ONE organisation, idempotently, in one statement per batch.
#:
#: The organisation's ``status_next`` counter is raised by the batch size first
#: (in Neo4j the ``SET`` that reads the property takes the node's write lock, so
#: concurrent batches of one organisation get disjoint blocks; FalkorDB runs
#: one write at a time), and a new assertion takes ``status_index`` = its slot
#: in that block: the bit of the OB 3.0 status list that revokes it. Slots of
#: rows that already existed stay unused (gaps are harmless).
#:
#: A row whose badge the organisation does not DEFINE matches nothing and is
#: dropped. ``MERGE`` on the assertion id (derived from organisation +
#: idempotency key by the caller) makes a retried row a no-op: the assertion
#: created by the first attempt keeps its properties and relationships, and
#: ``created`` is true only for rows this call created (its ``request_id``).
#: Expiry: ``props.expires_on`` if given, else ``issued_on`` plus the badge's
#: ``expires_after_days``.
#:
#: Params: ``organisation_id``, ``request_id`` (str, unique per call), ``rows``
#: ``[{"id", "badge_id", "learner_id", "learner_props": {..}, "props": {status,
#: issued_on, expires_on?, recipient_type, recipient_hash, recipient_salt, ..}}]``.
#: Returns rows ``{id, created, badge_id, learner_id, status, status_index,
#: issued_on, expires_on}``, one per row whose badge the organisation defines.
AWARD_ASSERTIONS = (
    f"MATCH (o:{Label.ORGANISATION} {{id: $organisation_id}}) "
    "SET o.status_next = coalesce(o.status_next, 0) + size($rows) "
    "WITH o, o.status_next - size($rows) AS base "
    "UNWIND range(0, size($rows) - 1) AS i "
    "WITH o, base + i AS slot, $rows[i] AS r "
    f"MATCH (o)-[:{Rel.DEFINES}]->(b:{Label.BADGE} {{id: r.badge_id}}) "
    f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) ON CREATE SET l += r.learner_props "
    f"MERGE (a:{Label.ASSERTION} {{id: r.id}}) "
    "ON CREATE SET a += r.props, a.status_index = slot, a.request_id = $request_id, "
    "a.expires_on = coalesce(r.props.expires_on, CASE WHEN b.expires_after_days IS NULL THEN null "
    "ELSE r.props.issued_on + b.expires_after_days * 86400 END) "
    "WITH o, b, l, a, a.request_id = $request_id AS created "
    "FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END | "
    f"MERGE (o)-[:{Rel.ISSUED}]->(a) MERGE (a)-[:{Rel.OF}]->(b) MERGE (a)-[:{Rel.TO}]->(l)) "
    "WITH a, created "
    f"MATCH (a)-[:{Rel.OF}]->(ab:{Label.BADGE}), (a)-[:{Rel.TO}]->(al:{Label.LEARNER}) "
    "RETURN a.id AS id, created, ab.id AS badge_id, al.id AS learner_id, a.status AS status, "
    "a.status_index AS status_index, a.issued_on AS issued_on, a.expires_on AS expires_on"
)

#: Badges with what issuing and publishing need: properties, the organisation
#: that DEFINES each, its spine cells and themes.
#: Params: ``badge_ids`` (list of str). Returns rows ``{id, props, organisation_id,
#: cells: [{id, name, layer, domain, layer_rank, domain_rank}], themes: [{id, name}]}``
#: for the badges that exist.
ISSUING_BADGES = (
    f"UNWIND $badge_ids AS bid MATCH (b:{Label.BADGE} {{id: bid}}) "
    f"OPTIONAL MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) "
    "RETURN b.id AS id, properties(b) AS props, o.id AS organisation_id, "
    f"[(b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) | c {{.id, .name, .layer, .domain, "
    ".layer_rank, .domain_rank}] AS cells, "
    f"[(b)-[:{Rel.IN_THEME}]->(t:{Label.THEME}) | t {{.id, .name}}] AS themes"
)

#: One organisation's properties. Params: ``id``. Returns 0 or 1 row ``{id, props}``.
GET_ORGANISATION = f"MATCH (o:{Label.ORGANISATION} {{id: $id}}) RETURN o.id AS id, properties(o) AS props"

#: One assertion with its badge, learner, issuer and the badge's defining
#: organisation. Params: ``id``. Returns 0 or 1 row ``{id, props, badge_id,
#: learner_id, issuer_id, badge_organisation_id}``.
GET_ASSERTION = (
    f"MATCH (a:{Label.ASSERTION} {{id: $id}}) "
    f"OPTIONAL MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"OPTIONAL MATCH (a)-[:{Rel.TO}]->(l:{Label.LEARNER}) "
    f"OPTIONAL MATCH (i:{Label.ORGANISATION})-[:{Rel.ISSUED}]->(a) "
    f"OPTIONAL MATCH (d:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) "
    "RETURN a.id AS id, properties(a) AS props, b.id AS badge_id, l.id AS learner_id, "
    "i.id AS issuer_id, d.id AS badge_organisation_id"
)

#: Move an assertion to status ``$to`` if its status is one of ``$from``, in
#: one statement that locks the assertion before it reads the status
#: (``_LOCK_FIRST``), so two racing transitions cannot both apply; stamping
#: ``accepted_on`` / ``declined_on`` / ``revoked_on`` (and ``revocation_reason``)
#: with ``$now``. The assertion stays on record whatever its status.
#: Params: ``id``, ``from`` (list of statuses), ``to``, ``now`` (epoch s),
#: ``reason`` (str or null). Returns 0 rows for an unknown id, else
#: ``{id, before, status, changed}``.
SET_ASSERTION_STATUS = (
    f"MATCH (a:{Label.ASSERTION} {{id: $id}}) "
    f"{_LOCK_FIRST.format(n='a')}"
    "WITH a, a.status AS before "
    "WITH a, before, before IN $from AS changed "
    f"{_LOCK_DONE.format(n='a')}SET a.status = CASE WHEN changed THEN $to ELSE a.status END, "
    f"a.accepted_on = CASE WHEN changed AND $to = '{AssertionStatus.ACCEPTED}' THEN $now "
    "ELSE a.accepted_on END, "
    f"a.declined_on = CASE WHEN changed AND $to = '{AssertionStatus.DECLINED}' THEN $now "
    "ELSE a.declined_on END, "
    f"a.revoked_on = CASE WHEN changed AND $to = '{AssertionStatus.REVOKED}' THEN $now "
    "ELSE a.revoked_on END, "
    f"a.revocation_reason = CASE WHEN changed AND $to = '{AssertionStatus.REVOKED}' THEN $reason "
    "ELSE a.revocation_reason END "
    "RETURN a.id AS id, before, a.status AS status, changed"
)

#: The revoked assertions an organisation issued, for its OB 2.0
#: RevocationList and its OB 3.0 status lists. Params: ``organisation_id``.
#: Returns rows ``{id, status_index, reason, revoked_on}`` ordered by id.
REVOKED_ASSERTIONS = (
    f"MATCH (o:{Label.ORGANISATION} {{id: $organisation_id}})-[:{Rel.ISSUED}]->(a:{Label.ASSERTION}) "
    f"WHERE a.status = '{AssertionStatus.REVOKED}' "
    "RETURN a.id AS id, a.status_index AS status_index, a.revocation_reason AS reason, "
    "a.revoked_on AS revoked_on ORDER BY id"
)

#: A learner's portfolio (accepted, not revoked, not expired at ``$now``)
#: grouped by spine cell; a badge aligned to two cells is in both groups, and
#: badges aligned to none are under ``cell_id`` null.
#: Params: ``learner_id``, ``now``. Returns rows ``{cell_id, awards: [{assertion_id,
#: badge_id, name, issued_on, expires_on}]}``.
PORTFOLIO_BY_CELL = (
    f"{_LEARNER_HELD} "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"OPTIONAL MATCH (b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) "
    "WITH c, a, b ORDER BY a.issued_on, a.id "
    "RETURN c.id AS cell_id, collect({assertion_id: a.id, badge_id: b.id, name: b.name, "
    "issued_on: a.issued_on, expires_on: a.expires_on}) AS awards"
)

#: A learner's assertions outside the portfolio: awaiting acceptance
#: (``issued``), declined, revoked, or expired at ``$now``, oldest first.
#: Params: ``learner_id``, ``now``. Returns rows ``{assertion_id, badge_id, name,
#: status, issued_on, expires_on}``.
LEARNER_OTHER_ASSERTIONS = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION})"
    f"-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE NOT ({_IN_PORTFOLIO}) "
    "RETURN a.id AS assertion_id, b.id AS badge_id, b.name AS name, a.status AS status, "
    "a.issued_on AS issued_on, a.expires_on AS expires_on ORDER BY issued_on, assertion_id"
)

# --------------------------------------------------------------------------
# Insights: citywide aggregates (insights/, service/routers/insights.py)
# --------------------------------------------------------------------------
# Every insight counts the awards a learner has accepted (``status =
# 'accepted'``: pending, declined and revoked awards are left out; expiry is
# not, since an expired badge was still learned). Queries return learner ids
# per group so that colearn.insights can count distinct learners over unions
# of groups and suppress small cells; the ids never leave the service.
# Places are counted by district: a venue counts as the place it is WITHIN.

_INSIGHT_AWARDS = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE a.status = '{AssertionStatus.ACCEPTED}' "
)

#: The district of a learner ``l``'s home (``d``; null when none is recorded).
_LEARNER_DISTRICT = (
    f"OPTIONAL MATCH (l)-[:{Rel.LIVES_IN}]->(home:{Label.PLACE}) "
    f"OPTIONAL MATCH (home)-[:{Rel.WITHIN}]->(up:{Label.PLACE}) "
    "WITH l, a, b, coalesce(up.id, home.id) AS d "
)

#: Dimension -> (the pattern that finds each award's groups, the group expression).
_ISSUED_DIMENSIONS: dict[str, tuple[str, str]] = {
    "theme": (f"MATCH (b)-[:{Rel.IN_THEME}]->(g:{Label.THEME}) ", "g.id"),
    "theme_kind": (f"MATCH (b)-[:{Rel.IN_THEME}]->(g:{Label.THEME}) ", "g.kind"),
    "destination": (f"MATCH (b)-[:{Rel.IN_THEME}]->(:{Label.THEME})-[:{Rel.LEADS_TO}]->(g:{Label.DESTINATION}) ",
                    "g.id"),
    "cell": (f"MATCH (b)-[:{Rel.ALIGNS_TO}]->(g:{Label.SPINE_CELL}) ", "g.id"),
    "place": (_LEARNER_DISTRICT, "d"),
    "organisation": (f"MATCH (g:{Label.ORGANISATION})-[:{Rel.ISSUED}]->(a) ", "g.id"),
}

#: The dimensions ``issued_by_day`` breaks awards down by.
ISSUED_DIMENSIONS: tuple[str, ...] = tuple(_ISSUED_DIMENSIONS)


def issued_by_day(dimension: str | None = None) -> str:
    """Accepted awards per UTC day, per group of ``dimension`` (or in all when None).

    Args:
        dimension: one of ``ISSUED_DIMENSIONS``: ``theme``, ``theme_kind``,
            ``destination``, ``cell`` (spine cell), ``place`` (the learner's
            home district; null group when none) or ``organisation`` (the
            issuer). An award counts once in each of its groups (a badge in two
            themes counts in both).

    Returns rows ``{grp, day, assertions, learners: [learner id]}``; ``day`` is
    ``issued_on`` // 86400 (days since 1970-01-01 UTC); ``grp`` is null when
    ``dimension`` is None.

    Raises:
        ValueError: an unknown dimension.
    """
    if dimension is None:
        pattern, group = "", "null"
    elif dimension in _ISSUED_DIMENSIONS:
        pattern, group = _ISSUED_DIMENSIONS[dimension]
    else:
        raise ValueError(f"unknown dimension '{dimension}'; expected one of {', '.join(ISSUED_DIMENSIONS)}")
    return (
        f"{_INSIGHT_AWARDS}{pattern}"
        f"RETURN {group} AS grp, a.issued_on / 86400 AS day, count(DISTINCT a.id) AS assertions, "
        "collect(DISTINCT l.id) AS learners"
    )


#: Per learner, spine domain and layer: when they were awarded badges there
#: (a badge on two cells counts on both). Returns rows ``{learner, domain,
#: layer_rank, times: [epoch s]}``.
LEARNER_LAYER_TIMES = (
    f"{_INSIGHT_AWARDS}MATCH (b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) "
    "RETURN l.id AS learner, c.domain AS domain, c.layer_rank AS layer_rank, collect(a.issued_on) AS times"
)

#: Every recommended pathway's steps in order. Returns rows ``{pathway_id,
#: title, status, step, step_title, required, optional, badges: [id] ascending}``.
RECOMMENDED_PATHWAY_STEPS = (
    f"MATCH (p:{Label.PATHWAY} {{kind: 'recommended'}})-[h:{Rel.HAS_STEP}]->(s:{Label.STEP}) "
    "RETURN p.id AS pathway_id, p.title AS title, p.status AS status, h.order AS step, "
    "s.title AS step_title, s.required AS required, s.optional AS optional, "
    f"{_sorted_ids(f'[(s)-[:{Rel.ACCEPTS}]->(b:{Label.BADGE}) | b.id]')} AS badges "
    "ORDER BY pathway_id, step"
)

#: The learners who meet each step of each recommended pathway: they hold
#: (accepted) at least ``required`` distinct badges of the step.
#: Returns rows ``{pathway_id, step, learners: [learner id]}``.
PATHWAY_STEP_LEARNERS = (
    f"MATCH (p:{Label.PATHWAY} {{kind: 'recommended'}})-[h:{Rel.HAS_STEP}]->(s:{Label.STEP})"
    f"-[:{Rel.ACCEPTS}]->(b:{Label.BADGE})<-[:{Rel.OF}]-(a:{Label.ASSERTION})-[:{Rel.TO}]->(l:{Label.LEARNER}) "
    f"WHERE a.status = '{AssertionStatus.ACCEPTED}' "
    "WITH p, h, s, l, count(DISTINCT b.id) AS held "
    "WHERE held >= coalesce(s.required, 1) "
    "RETURN p.id AS pathway_id, h.order AS step, collect(l.id) AS learners"
)

#: Opportunities per theme and district (null district: online, or no place).
#: Returns rows ``{theme, place, opportunities: [opportunity id], venues: [place id]}``.
OPPORTUNITY_SUPPLY = (
    f"MATCH (o:{Label.OPPORTUNITY})-[:{Rel.IN_THEME}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (o)-[:{Rel.LOCATED_IN}]->(v:{Label.PLACE}) "
    f"OPTIONAL MATCH (v)-[:{Rel.WITHIN}]->(up:{Label.PLACE}) "
    "RETURN t.id AS theme, coalesce(up.id, v.id) AS place, collect(DISTINCT o.id) AS opportunities, "
    "collect(DISTINCT v.id) AS venues"
)

#: Learners' stated theme interests per theme and home district (null: none recorded).
#: Returns rows ``{theme, place, learners: [learner id]}``.
INTEREST_DEMAND = (
    f"MATCH (l:{Label.LEARNER})-[:{Rel.INTERESTED_IN}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (l)-[:{Rel.LIVES_IN}]->(home:{Label.PLACE}) "
    f"OPTIONAL MATCH (home)-[:{Rel.WITHIN}]->(up:{Label.PLACE}) "
    "RETURN t.id AS theme, coalesce(up.id, home.id) AS place, collect(DISTINCT l.id) AS learners"
)

#: Unseen talent: learners whose accepted badges all sit below layer rank
#: ``$upper_rank`` (no cell of any of their badges is at or above it), who hold
#: at least ``$min_badges`` distinct badges earned over at least ``$min_span``
#: seconds (first to last), counted per district and per theme of their badges.
#: Returns rows ``{place, theme, learners: [learner id]}``.
UNSEEN_TALENT = (
    f"{_INSIGHT_AWARDS}MATCH (b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) "
    "WITH l, a, b, max(c.layer_rank) AS top "
    "WITH l, max(top) AS top_rank, count(DISTINCT b.id) AS n_badges, min(a.issued_on) AS first_on, "
    "max(a.issued_on) AS last_on, collect(DISTINCT b.id) AS badge_ids "
    "WHERE top_rank < $upper_rank AND n_badges >= $min_badges AND last_on - first_on >= $min_span "
    "UNWIND badge_ids AS bid "
    f"MATCH (:{Label.BADGE} {{id: bid}})-[:{Rel.IN_THEME}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (l)-[:{Rel.LIVES_IN}]->(home:{Label.PLACE}) "
    f"OPTIONAL MATCH (home)-[:{Rel.WITHIN}]->(up:{Label.PLACE}) "
    "RETURN coalesce(up.id, home.id) AS place, t.id AS theme, collect(DISTINCT l.id) AS learners"
)

#: Opportunities that award a badge with a cell at or above layer rank
#: ``$upper_rank``, per theme of that badge and district of the opportunity
#: (null: online or no place). Returns rows ``{theme, place, id, name, mode}``.
MOVE_UP_OPPORTUNITIES = (
    f"MATCH (o:{Label.OPPORTUNITY})-[:{Rel.AWARDS}]->(b:{Label.BADGE})-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) "
    "WHERE c.layer_rank >= $upper_rank "
    f"MATCH (b)-[:{Rel.IN_THEME}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (o)-[:{Rel.LOCATED_IN}]->(v:{Label.PLACE}) "
    f"OPTIONAL MATCH (v)-[:{Rel.WITHIN}]->(up:{Label.PLACE}) "
    "RETURN DISTINCT t.id AS theme, coalesce(up.id, v.id) AS place, o.id AS id, o.name AS name, "
    "o.mode AS mode ORDER BY theme, id"
)

#: Names of the things insights group by. Returns rows ``{kind, id, name, extra}``
#: (``kind``: Theme, Destination, Place, Organisation, SpineCell; ``extra``: a
#: theme's kind, a place's kind, a cell's ``layer|domain``).
INSIGHT_LABELS = (
    f"MATCH (n) WHERE n:{Label.THEME} OR n:{Label.DESTINATION} OR n:{Label.PLACE} "
    f"OR n:{Label.ORGANISATION} OR n:{Label.SPINE_CELL} "
    f"RETURN CASE WHEN n:{Label.THEME} THEN 'Theme' WHEN n:{Label.DESTINATION} THEN 'Destination' "
    f"WHEN n:{Label.PLACE} THEN 'Place' WHEN n:{Label.ORGANISATION} THEN 'Organisation' "
    "ELSE 'SpineCell' END AS kind, n.id AS id, coalesce(n.name, n.title, n.id) AS name, "
    f"CASE WHEN n:{Label.SPINE_CELL} THEN n.layer + '|' + n.domain ELSE n.kind END AS extra "
    "ORDER BY kind, id"
)

#: The organisation that defines each of ``$badge_ids`` (awards.csv checks).
#: Returns rows ``{badge_id, issuer_id}`` for badges that have one.
BADGE_ISSUERS = (
    f"UNWIND $badge_ids AS bid MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b:{Label.BADGE} {{id: bid}}) "
    "RETURN b.id AS badge_id, o.id AS issuer_id"
)

#: Every theme with its kind and the destinations it leads to.
#: Returns rows ``{id, kind, destinations: [id]}`` ordered by id.
THEME_LINKS = (
    f"MATCH (t:{Label.THEME}) "
    f"RETURN t.id AS id, t.kind AS kind, [(t)-[:{Rel.LEADS_TO}]->(d:{Label.DESTINATION}) | d.id] AS destinations "
    "ORDER BY id"
)


# --------------------------------------------------------------------------
# Recommender: stored text embeddings (recommender/text.py, recommender/projections.py)
# --------------------------------------------------------------------------


def node_texts(label: Label) -> str:
    """Every node of ``label`` with its text and its stored text embedding, if any.

    Returns rows ``{id, name, description, vector: [float] | null, model, hash}``
    ordered by id (``model``: e.g. ``all-MiniLM-L6-v2``; ``hash``: of the text embedded).
    """
    return (
        f"MATCH (n:{Label(label)}) "
        "RETURN n.id AS id, n.name AS name, n.description AS description, n.embedding AS vector, "
        "n.embedding_model AS model, n.embedding_hash AS hash ORDER BY id"
    )


#: How many badges and opportunities have no stored text vector of ``$model``
#: (none, or one from another model). Returns one row ``{badges, opportunities}``.
NODES_WITHOUT_VECTORS = (
    f"OPTIONAL MATCH (b:{Label.BADGE}) WHERE b.embedding IS NULL OR b.embedding_model <> $model "
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

# --------------------------------------------------------------------------
# Pathway completion on award (service/authoring.py)
# --------------------------------------------------------------------------

#: Published pathways that have a completion badge and a step accepting
#: ``$badge_id``: the ones a new award of that badge may complete.
#: Returns rows ``{id}`` ordered by id.
PATHWAYS_COMPLETED_BY_BADGE = (
    f"MATCH (p:{Label.PATHWAY})-[:{Rel.HAS_STEP}]->(s:{Label.STEP})-[:{Rel.ACCEPTS}]->"
    f"(b:{Label.BADGE} {{id: $badge_id}}) "
    "WHERE p.status = 'published' "
    f"MATCH (p)-[:{Rel.COMPLETES_WITH}]->(c:{Label.BADGE}) "
    "RETURN DISTINCT p.id AS id ORDER BY id"
)


#: One page of the assertions an organisation issued (``$org``), newest first,
#: filtered by ``$status``, ``$badge``, ``$learner`` and ``issued_on`` in
#: ``[$from_s, $to_s)`` (epoch seconds; each filter null to leave it out).
#: Returns one row ``{total, data: [{id, badge_id, badge_name, learner_id, status,
#: issued_on, expires_on, revocation_reason}]}``.
ORGANISATION_ASSERTIONS = (
    f"MATCH (o:{Label.ORGANISATION} {{id: $org}})-[:{Rel.ISSUED}]->(a:{Label.ASSERTION})-[:{Rel.OF}]->"
    f"(b:{Label.BADGE}) "
    f"MATCH (a)-[:{Rel.TO}]->(l:{Label.LEARNER}) "
    "WITH a, b, l WHERE ($status IS NULL OR a.status = $status) AND ($badge IS NULL OR b.id = $badge) "
    "AND ($learner IS NULL OR l.id = $learner) AND ($from_s IS NULL OR a.issued_on >= $from_s) "
    "AND ($to_s IS NULL OR a.issued_on < $to_s) "
    "WITH a, b, l ORDER BY a.issued_on DESC, a.id "
    "WITH collect({id: a.id, badge_id: b.id, badge_name: b.name, learner_id: l.id, status: a.status, "
    "issued_on: a.issued_on, expires_on: a.expires_on, revocation_reason: a.revocation_reason}) AS matched "
    "RETURN size(matched) AS total, matched[$offset..$offset + $limit] AS data"
)
