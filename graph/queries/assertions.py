"""Assertions (awards): ingest upserts, issuing, status changes, erasure, an issuer's lists.

Readers that write awards (``ingest/``) use the ``MERGE_*`` statements; the award
lifecycle (issue, accept, decline, revoke, erase) uses ``AWARD_ASSERTIONS``,
``SET_ASSERTION_STATUS``, ``ANSWER_ASSERTION`` and ``ERASE_ASSERTION``; the Open Badges documents read
``GET_ASSERTION``, ``ISSUING_BADGES`` and ``REVOKED_ASSERTIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.queries._fragments import _LOCK_DONE, _LOCK_FIRST, _award_one, _live


#: Write new awards in one statement per batch, idempotently: a row whose
#: assertion id already exists is skipped whole (the assertion keeps its props
#: and its relationships, so re-ingesting a file changes nothing); for a new
#: one the learner is created if new, and the assertion is created with its
#: ``ISSUED``, ``OF`` and ``TO`` relationships. A row whose organisation or
#: badge does not exist matches nothing and is dropped.
#:
#: Ids must be unique within one call's rows (``ingest.common.first_per_id``
#: keeps the first row of each): a repeated id is refused as a ``Conflict``
#: (the unique constraint on ``Assertion.id``) and nothing of the call lands.
#: Checking for the assertion first and then ``CREATE`` (rather than ``MERGE``
#: on the assertion and its three relationships) makes a re-ingested row cost
#: one index lookup, and a new row no relationship ``MERGE`` (FalkorDB's
#: ``GRAPH.PROFILE``: perf/engine.py). On Neo4j two writers racing to create
#: the same id meet the unique constraint: one of them gets a ``Conflict``.
#:
#: Params: rows ``[{"id", "organisation_id", "badge_id", "learner_id",
#: "learner_props": {..}, "props": {status, issued_on, expires_on, source, ..}}]``.
#: Returns rows: none.
MERGE_ASSERTIONS = (
    "UNWIND $rows AS r "
    f"OPTIONAL MATCH (known:{Label.ASSERTION} {{id: r.id}}) "
    "WITH r WHERE known IS NULL "
    f"MATCH (o:{Label.ORGANISATION} {{id: r.organisation_id}}) "
    f"MATCH (b:{Label.BADGE} {{id: r.badge_id}}) "
    f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) "
    "ON CREATE SET l += r.learner_props "
    f"CREATE (o)-[:{Rel.ISSUED}]->(a:{Label.ASSERTION} {{id: r.id}})-[:{Rel.OF}]->(b), (a)-[:{Rel.TO}]->(l) "
    "SET a += r.props"
)

#: A property name ``merge_assertions`` writes into its statement's text.
_PROPERTY_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _create_props(keys: Sequence[str]) -> str:
    """``", k: r.props.k"`` for each of ``keys``: the rest of an assertion's ``CREATE`` map.

    Raises:
        ValueError: a key that is not a plain name (letters, digits, ``_``), is
            ``id``, or is repeated.
    """
    for key in keys:
        if not isinstance(key, str) or not _PROPERTY_KEY.fullmatch(key) or key == "id":
            raise ValueError(f"an assertion property key must be a plain name other than 'id', got {key!r}")
    if len(set(keys)) != len(keys):
        raise ValueError(f"repeated assertion property keys: {list(keys)}")
    return "".join(f", {k}: r.props.{k}" for k in keys)


def merge_assertions(keys: Sequence[str]) -> str:
    """``MERGE_ASSERTIONS`` for rows grouped by organisation and badge, with the assertion's
    properties written in its ``CREATE`` map.

    The same rows give the same graph as ``MERGE_ASSERTIONS`` (a row whose
    assertion id exists is skipped whole; a row whose organisation or badge does
    not exist is dropped; ids unique within one call's rows, else a
    ``Conflict`` and nothing lands), with less work for the engine, measured
    with ``GRAPH.PROFILE`` on FalkorDB at city L (perf/engine.py):

    - the rows come grouped (``assertion_groups``), so each organisation and
      badge of a batch is looked up once, not once per row (a 5,000-row batch
      of city L names about 475 organisations and 2,460 badges);
    - the new assertion is created as ``(a:Assertion {id: r.id, k: r.props.k,
      ...})`` for each ``k`` of ``keys`` instead of ``SET a += r.props``: the
      ``SET`` is a separate "Update" operation over every created node.

    A key a row's ``props`` lacks, or holds as null, is not written (both
    engines leave a null out of a ``CREATE`` map, as ``SET +=`` does); a key of
    ``props`` not in ``keys`` is NOT written either, so pass every key the rows
    may carry.

    Args:
        keys: the property names (not ``id``), e.g. ``("status", "issued_on",
            "expires_on", "source")``.

    Returns:
        The statement. Params: ``groups``, the ``MERGE_ASSERTIONS`` rows grouped by
        ``assertion_groups``. Returns rows: none.

    Raises:
        ValueError: a key that is not a plain name (letters, digits, ``_``), is
            ``id``, or is repeated.
    """
    props = _create_props(keys)
    return (
        "UNWIND $groups AS g "
        f"MATCH (o:{Label.ORGANISATION} {{id: g.organisation_id}}) "
        "UNWIND g.badges AS gb "
        f"MATCH (b:{Label.BADGE} {{id: gb.badge_id}}) "
        "UNWIND gb.rows AS r "
        f"OPTIONAL MATCH (known:{Label.ASSERTION} {{id: r.id}}) "
        "WITH o, b, r WHERE known IS NULL "
        f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) "
        "ON CREATE SET l += r.learner_props "
        f"CREATE (o)-[:{Rel.ISSUED}]->(a:{Label.ASSERTION} {{id: r.id{props}}})-[:{Rel.OF}]->(b), "
        f"(a)-[:{Rel.TO}]->(l)"
    )


def assertion_groups(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of a ``merge_assertions`` statement for ``MERGE_ASSERTIONS`` rows.

    Args:
        rows: ``[{"id", "organisation_id", "badge_id", "learner_id", "learner_props": {..},
            "props": {..}}]``.

    Returns:
        ``{"groups": [{"organisation_id", "badges": [{"badge_id", "rows": [{"id",
        "learner_id", "learner_props", "props"}]}]}]}``: organisations in the order
        they first appear, each one's badges likewise, each badge's rows in the
        order given.

    Raises:
        KeyError: a row without one of those keys.
    """
    by_org: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in rows:
        by_org.setdefault(r["organisation_id"], {}).setdefault(r["badge_id"], []).append(
            {"id": r["id"], "learner_id": r["learner_id"], "learner_props": r["learner_props"],
             "props": r["props"]})
    return {"groups": [{"organisation_id": org, "badges": [{"badge_id": badge, "rows": group}
                                                            for badge, group in badges.items()]}
                       for org, badges in by_org.items()]}


def merge_assertions_optional_issuer(keys: Sequence[str]) -> str:
    """``MERGE_ASSERTIONS`` for awards whose issuer may be unknown, with the assertion's
    properties written in its ``CREATE`` map (as ``merge_assertions``).

    An OB 2.0 Assertion names only its BadgeClass, and the BadgeClass may be a
    stub: the ``ISSUED`` relationship is made only when ``organisation_id``
    names an existing Organisation (``LINK_ASSERTIONS_TO_BADGE_ISSUER`` links
    the others once their badge's issuer is known). As ``MERGE_ASSERTIONS``: a
    row whose assertion id exists is skipped whole, a row whose badge does not
    exist is dropped, and ids are unique within one call's rows (else a
    ``Conflict`` and nothing lands). A key a row's ``props`` lacks, or holds as
    null, is not written; a key of ``props`` not in ``keys`` is NOT written
    either (``ingest.openbadges.results.OBAssertion`` refuses such a key when
    it is built).

    Args:
        keys: the property names (not ``id``), e.g.
            ``ingest.openbadges.results.ASSERTION_PROPS``.

    Returns:
        The statement. Params: rows ``[{"id", "organisation_id": str | None,
        "badge_id", "learner_id", "learner_props": {..}, "props": {..}}]``.
        Returns rows: none.

    Raises:
        ValueError: a key that is not a plain name (letters, digits, ``_``), is
            ``id``, or is repeated.
    """
    props = _create_props(keys)
    return (
        "UNWIND $rows AS r "
        f"OPTIONAL MATCH (known:{Label.ASSERTION} {{id: r.id}}) "
        "WITH r WHERE known IS NULL "
        f"MATCH (b:{Label.BADGE} {{id: r.badge_id}}) "
        f"OPTIONAL MATCH (o:{Label.ORGANISATION} {{id: r.organisation_id}}) "
        f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) "
        "ON CREATE SET l += r.learner_props "
        f"CREATE (a:{Label.ASSERTION} {{id: r.id{props}}})-[:{Rel.OF}]->(b), (a)-[:{Rel.TO}]->(l) "
        f"FOREACH (org IN CASE WHEN o IS NULL THEN [] ELSE [o] END | CREATE (org)-[:{Rel.ISSUED}]->(a))"
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
#: document that reuses an assertion id for another award), and the recipient an
#: imported one was awarded to (``recipient_learner``, see
#: ``ingest.openbadges.results.ASSERTION_PROPS``; null for any other award); with
#: what an award's answer shows of it (``domain.award_rows.award_of``), and
#: ``withdrawn`` (``ERASE_ASSERTION``: then ``badge_id`` and ``learner_id`` are null).
#: Returns rows ``{id, badge_id, learner_id, recipient_learner, withdrawn, status,
#: status_index, issued_on, expires_on, revocation_reason}`` for the ids that exist.
ASSERTION_ENDPOINTS = (
    f"UNWIND $ids AS aid MATCH (a:{Label.ASSERTION} {{id: aid}}) "
    f"OPTIONAL MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"OPTIONAL MATCH (a)-[:{Rel.TO}]->(l:{Label.LEARNER}) "
    "RETURN a.id AS id, b.id AS badge_id, l.id AS learner_id, a.recipient_learner AS recipient_learner, "
    "coalesce(a.erased, false) AS withdrawn, a.status AS status, a.status_index AS status_index, "
    "a.issued_on AS issued_on, a.expires_on AS expires_on, a.revocation_reason AS revocation_reason"
)

#: An award ingested for whoever holds its recipient identity (``$from``, the learner
#: the identity hash names) passes to the learner who proved the identity by
#: importing it (``$to``): its ``TO`` edge moves and ``$props`` (the import's status,
#: source and checks) are set. Returns ``{id}``, or nothing when the award is not
#: ``$from``'s (another import took it first: the caller refuses).
REASSIGN_INGESTED_ASSERTION = (
    f"MATCH (a:{Label.ASSERTION} {{id: $id}})-[t:{Rel.TO}]->(:{Label.LEARNER} {{id: $from}}) "
    f"MATCH (n:{Label.LEARNER} {{id: $to}}) "
    f"DELETE t MERGE (a)-[:{Rel.TO}]->(n) SET a += $props RETURN a.id AS id"
)

#: Counts for checks: assertions, and the learner-badge-assertion paths.
#: Returns one row ``{assertions, paths}``.
COUNT_ASSERTION_PATHS = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN count(a) AS paths, count(DISTINCT a.id) AS assertions"
)

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
#: No second copy: a row whose id names no assertion yet, for a learner who
#: already holds the badge live (issued or accepted, not expired at ``$now``:
#: ``_live``), creates nothing; its answer is that live award (the smallest id
#: when several), ``held`` true and ``created`` false. The check is made after
#: the organisation's lock is taken, so two racing awards of one badge (whose
#: one defining organisation both lock) cannot both create on Neo4j either.
#: The rows of one call must not repeat a (learner, badge) pair that would be
#: created (``domain.awards.award_many`` answers a repeat with its first row):
#: whether a row sees an assertion an earlier row of the same statement made
#: differs between the engines.
#:
#: Params: ``organisation_id``, ``request_id`` (str, unique per call), ``now``
#: (epoch s), ``rows`` ``[{"id", "badge_id", "learner_id", "learner_props": {..},
#: "props": {status, issued_on, expires_on?, recipient_type, recipient_hash,
#: recipient_salt, ..}}]``.
#: A row whose id names a withdrawn award (``ERASE_ASSERTION``: it has no
#: ``OF`` or ``TO`` left) answers it, ``withdrawn`` true with ``badge_id`` and
#: ``learner_id`` null, as ``GET_ASSERTION`` reads it.
#:
#: Returns rows ``{row, id, created, held, withdrawn, badge_id, learner_id, status,
#: status_index, issued_on, expires_on, revocation_reason}`` (``row`` the row's id,
#: ``id`` the assertion's: another one when ``held``), one per row whose badge the
#: organisation defines, in no particular order.
AWARD_ASSERTIONS = (
    f"MATCH (o:{Label.ORGANISATION} {{id: $organisation_id}}) "
    "SET o.status_next = coalesce(o.status_next, 0) + size($rows) "
    "WITH o, o.status_next - size($rows) AS base "
    "UNWIND range(0, size($rows) - 1) AS i "
    "WITH o, base + i AS slot, $rows[i] AS r "
    f"MATCH (o)-[:{Rel.DEFINES}]->(b:{Label.BADGE} {{id: r.badge_id}}) "
    f"MERGE (l:{Label.LEARNER} {{id: r.learner_id}}) ON CREATE SET l += r.learner_props "
    f"{_award_one()}"
    "WITH a, r, held, created "
    f"OPTIONAL MATCH (a)-[:{Rel.OF}]->(ab:{Label.BADGE}) "
    f"OPTIONAL MATCH (a)-[:{Rel.TO}]->(al:{Label.LEARNER}) "
    "RETURN r.id AS row, a.id AS id, created, held, coalesce(a.erased, false) AS withdrawn, ab.id AS badge_id, "
    "al.id AS learner_id, a.status AS status, a.status_index AS status_index, a.issued_on AS issued_on, "
    "a.expires_on AS expires_on, a.revocation_reason AS revocation_reason"
)

#: The live awards (``_live`` at ``$now``) of each (learner, badge) pair of
#: ``$pairs``, in one statement for a whole bulk award's preview.
#: Params: ``pairs`` ``[{"learner_id", "badge_id"}]``, ``now`` (epoch s).
#: Returns rows ``{learner_id, badge_id, id, status, status_index, issued_on,
#: expires_on}`` ordered by learner, badge and id; none for a pair held by nothing.
#: The live test comes after a ``WITH``: in the ``MATCH``'s own ``WHERE``, FalkorDB
#: started each pair from the index on ``Assertion.status`` (every live award of
#: the city, for each pair: 12 s for 1,000 pairs on the demo city, past the
#: service's store timeout); now each pair starts from its learner's (or badge's) id.
LIVE_AWARDS_OF_PAIRS = (
    "UNWIND $pairs AS p "
    f"MATCH (:{Label.LEARNER} {{id: p.learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION})"
    f"-[:{Rel.OF}]->(:{Label.BADGE} {{id: p.badge_id}}) "
    f"WITH p, a WHERE {_live('a')} "
    "RETURN p.learner_id AS learner_id, p.badge_id AS badge_id, a.id AS id, a.status AS status, "
    "a.status_index AS status_index, a.issued_on AS issued_on, a.expires_on AS expires_on "
    "ORDER BY learner_id, badge_id, id"
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
#: ``{id, before, status, changed}``. (``_SET_STATUS`` is its part before the ``RETURN``.)
_SET_STATUS = (
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
)
SET_ASSERTION_STATUS = _SET_STATUS + "RETURN a.id AS id, before, a.status AS status, changed"

#: A learner's answer to an award (accepted or declined, as ``SET_ASSERTION_STATUS``)
#: and the end of that assertion's unused claim links (a claim link is a sign-in
#: credential and must not outlive its purpose), in ONE statement, so that the
#: answer and the ending land together or not at all: no crash between two writes
#: can leave an answered award with a usable link. The links end when the answer
#: stands (the status changed, or already was ``$to``), not when it is refused (a
#: revoked award). An ended link is marked ``ended_on = $now``, ``ended_why =
#: 'answered'``; a link used already, or of another assertion, stays as it is.
#: Params: those of ``SET_ASSERTION_STATUS`` plus ``kind`` (``access.CLAIM``).
#: Returns 0 rows for an unknown id, else ``{id, before, status, changed, ended}``
#: (``ended``: how many links ended).
ANSWER_ASSERTION = (
    _SET_STATUS + "WITH a, before, changed "
    f"OPTIONAL MATCH (t:{Label.ACCESS_TOKEN}) WHERE t.assertion_id = $id AND t.kind = $kind "
    "AND (changed OR before = $to) AND t.expires_on > $now AND coalesce(t.uses, 0) < coalesce(t.max_uses, 1) "
    "WITH a, before, changed, collect(t) AS links "
    "FOREACH (x IN links | SET x.expires_on = $now, x.ended_on = $now, x.ended_why = 'answered') "
    "RETURN a.id AS id, before, a.status AS status, changed, size(links) AS ended"
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

#: The revoked assertions an organisation issued, for its OB 2.0
#: RevocationList and its OB 3.0 status lists, of the ``source``s this service hosts.
#: Params: ``organisation_id``, ``sources`` (``issuing.PUBLISHED_SOURCES``).
#: Returns rows ``{id, status_index, reason, revoked_on}`` ordered by id.
REVOKED_ASSERTIONS = (
    f"MATCH (o:{Label.ORGANISATION} {{id: $organisation_id}})-[:{Rel.ISSUED}]->(a:{Label.ASSERTION}) "
    f"WHERE a.status = '{AssertionStatus.REVOKED}' AND a.source IN $sources "
    "RETURN a.id AS id, a.status_index AS status_index, a.revocation_reason AS reason, "
    "a.revoked_on AS revoked_on ORDER BY id"
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
