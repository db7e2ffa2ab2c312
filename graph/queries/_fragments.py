"""Cypher fragments the statement modules of ``graph.queries`` share (not statements).

Lock before read (``_LOCK_FIRST``), what "held live" means (``_live``), what is the city's
(``_in_city``: not made by a learner's import) and what was awarded here (``_MADE_HERE``), the
catalogue's text and link filters (``_filtered``), a portable sort of a list of ids (``_sorted_ids``), who
may see a draft pathway (``_VISIBLE_TO_VIEWER``), and the district a place lies
in (``_outermost``).
"""

from __future__ import annotations

import re

from colearn.graph.schema import IMPORTED as _IMPORTED, AssertionStatus, Label, PathwayStatus, Rel


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

#: The labels whose nodes an import may make.
_IMPORT_MADE = (Label.BADGE, Label.ORGANISATION)


def _in_city(n: str, label: Label) -> str:
    """The one rule of what belongs to the city: a predicate on node ``n`` of ``label``
    that is false for an issuer or badge a learner's import made (``source: import``).
    Someone else's issuer and badge, named by whoever imports an award, are kept for
    that learner's portfolio only: never listed, found, counted, referred to or
    recommended as the city's. ``colearn ingest openbadges`` (an admin's) makes them
    the city's (it sets ``source``). ``true`` for the labels an import never makes."""
    if Label(label) not in _IMPORT_MADE:
        return "true"
    return f"coalesce({n}.source, '') <> '{_IMPORTED}'"


#: An award ``a`` made in the city (by an organisation here, a claim code, a pathway,
#: or a city's loaded history), not a learner's import: what insights count.
_MADE_HERE = f"coalesce(a.source, '') <> '{_IMPORTED}'"


def _live(a: str) -> str:
    """The one "held live" test of an assertion ``a``: issued or accepted (not
    declined, not revoked) and not expired at ``$now`` (epoch s). No second live
    award of a badge is made to a learner (``AWARD_ASSERTIONS``,
    ``AWARD_PATHWAY_COMPLETION``, ``learner_queries.REDEEM_CLAIM_CODE``)."""
    return (f"{a}.status IN ['{AssertionStatus.ISSUED}', '{AssertionStatus.ACCEPTED}'] "
            f"AND ({a}.expires_on IS NULL OR {a}.expires_on > $now)")


def _award_one(keep: str = "") -> str:
    """The award of one row ``r`` by organisation ``o`` of badge ``b`` to learner ``l``,
    in status slot ``slot``, after ``o`` is locked (``AWARD_ASSERTIONS``,
    ``learner_queries.REDEEM_CLAIM_CODE``): starts with ``WITH o, b, l, slot, r`` plus
    ``keep`` (``", c"``: more variables to carry) and ends binding ``o, b, l, a, r,
    held, created`` (and ``keep``). An ``r.id`` that names an assertion is that
    assertion (``created`` false: a retry); else a live award of ``b`` to ``l``
    (``_live``, the smallest id) is ``a`` (``held`` true); else a new assertion
    ``r.id`` with ``r.props``, ``status_index`` ``slot``, ``request_id``
    ``$request_id``, its expiry (``r.props.expires_on``, else ``issued_on`` plus the
    badge's ``expires_after_days``) and ``ISSUED``, ``OF`` and ``TO`` (``created`` true)."""
    return (
        f"WITH o, b, l, slot, r{keep} "
        f"OPTIONAL MATCH (known:{Label.ASSERTION} {{id: r.id}}) "
        # an OPTIONAL MATCH, not a pattern comprehension: FalkorDB caches a statement's plan,
        # and a comprehension planned before the graph had a TO relationship never matched after
        f"OPTIONAL MATCH (l)<-[:{Rel.TO}]-(h:{Label.ASSERTION})-[:{Rel.OF}]->(b) WHERE known IS NULL AND {_live('h')} "
        f"WITH o, b, l, slot, r{keep}, min(h.id) AS holder "
        f"WITH o, b, l, slot, r{keep}, holder, coalesce(holder, r.id) AS aid "
        f"MERGE (a:{Label.ASSERTION} {{id: aid}}) "
        "ON CREATE SET a += r.props, a.status_index = slot, a.request_id = $request_id, "
        "a.expires_on = coalesce(r.props.expires_on, CASE WHEN b.expires_after_days IS NULL THEN null "
        "ELSE r.props.issued_on + b.expires_after_days * 86400 END) "
        f"WITH o, b, l, a, r{keep}, holder IS NOT NULL AS held "
        f"WITH o, b, l, a, r{keep}, held, NOT held AND coalesce(a.request_id = $request_id, false) AS created "
        "FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END | "
        f"MERGE (o)-[:{Rel.ISSUED}]->(a) MERGE (a)-[:{Rel.OF}]->(b) MERGE (a)-[:{Rel.TO}]->(l)) "
    )


def _outermost(place: str, district: str = "up") -> str:
    """``OPTIONAL MATCH`` binding ``district`` to the outermost place that ``place``
    lies within, following ``WITHIN`` to any depth (a room within a venue within a
    district: the district); null when ``place`` lies within nothing (then the
    place is its own district, as the caller decides). Places lie within one
    another without cycles (``records.catalogue.within_cycle``), so it is one place."""
    return (f"OPTIONAL MATCH ({place})-[:{Rel.WITHIN}*1..]->({district}:{Label.PLACE}) "
            f"WHERE NOT ({district})-[:{Rel.WITHIN}]->(:{Label.PLACE}) ")


#: ``$q`` is lower-cased here, by the engine that lowers the text it is matched in: a lower-casing
#: in Python differs from an engine's for some letters ("İ" is "i̇" in Python and Java, "i" in
#: FalkorDB), and a badge named "İstanbul" was not found by ``q=İstanbul`` on FalkorDB.
_TEXT_MATCH = ("toLower(coalesce(n.name, n.title, '')) CONTAINS toLower($q) "
               "OR toLower(coalesce(n.description, '')) CONTAINS toLower($q)")


def _filtered(label: Label, filters: dict[str, str]) -> str:
    """``MATCH (n:label)`` kept by ``q`` and ``filters``; a node without an ``id``, or
    not the city's (``_in_city``: an import's issuer or badge), never.

    A link filter is a pattern predicate on the far node's id, behind
    ``$param IS NULL OR``: FalkorDB skips it for a filter not given. (Lists of
    linked ids built by pattern comprehensions for every node, used before,
    cost 30 us a node and filter even when nothing was filtered: 350 ms for a
    page of 800 opportunities, linear in the city.)
    """
    # a node without an id is not one of ours (another application's, or made by hand): not listed
    preds = ["n.id IS NOT NULL", _in_city("n", label), f"($q IS NULL OR {_TEXT_MATCH})"]
    for p, on in filters.items():
        test = f"{on} = ${p}" if on.startswith("n.") else re.sub(r"\(x:(\w+)\)$", rf"(:\1 {{id: ${p}}})", on)
        preds.append(f"(${p} IS NULL OR {test})")
    return f"MATCH (n:{Label(label)}) WHERE {' AND '.join(preds)} WITH n "


def _sorted_ids(ids: str) -> str:
    """``ids`` (a list expression of strings) sorted ascending, in plain Cypher
    (an insertion sort with ``reduce``). The order of a pattern comprehension is
    the engine's: FalkorDB lists relationships oldest first, Neo4j newest first."""
    return f"reduce(acc = [], x IN {ids} | [y IN acc WHERE y < x] + [x] + [y IN acc WHERE y >= x])"


_AUTHOR = f"(n)<-[:{Rel.AUTHORED}]-(x:{Label.ORGANISATION})"

#: Draft visibility, the one rule (``PATHWAY_PAGE``, ``PATHWAY_GET_FOR_VIEWER``):
#: a pathway ``n`` that is not a draft is seen by everyone; a draft only by
#: ``$viewer`` = its authoring organisation's id, or ``'*'`` (admin); a null
#: ``$viewer`` sees no draft. Who the viewer is (from the caller's role) is the
#: service's to say (``service/authoring.py``).
_VISIBLE_TO_VIEWER = (
    f"WITH n, [{_AUTHOR.replace('(x:', '(v:')} | v.id] AS authors "
    f"WHERE n.status <> '{PathwayStatus.DRAFT}' OR $viewer = '*' OR $viewer IN authors "
)
