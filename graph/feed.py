"""The change feed kept in the graph: its statements, and how a write records itself.

Every write that changes what a recommender knows (an assertion created or
changed state, a catalogue node created, changed or deleted, embeddings
stored) is run as ``recorded(statement)`` with a ``$feed`` map parameter
(``change(...)`` builds it). ``recorded`` puts this in front of the statement::

    MERGE (c:FeedCounter {id: 'feed'}) ON CREATE SET c.seq = 0
    SET c.seq = c.seq + 1
    CREATE (e:FeedEntry {id: toString(c.seq), seq: c.seq}) SET e += $feed
    WITH count(e) AS _feed_recorded
    <the statement>

so the entry and the write are ONE statement: they commit together or not
at all (FalkorDB has no multi-statement transactions; one statement is
atomic on both engines), and the entry is never seen before the write.

Why the sequence has no gaps and commits in order: FalkorDB runs one write
at a time. In Neo4j 5 a ``SET`` whose right-hand side reads the property it
writes takes the node's write lock before reading (Neo4j Operations Manual,
"Concurrent data access: lost updates"), and the lock is held until commit,
so concurrent writers get consecutive numbers and commit in that order. The
unique constraint on ``FeedEntry.id`` (every label's ``id`` is unique,
``graph.schema``) would refuse a repeated number rather than lose it.

An entry says WHAT may have changed, not how: ``kind`` ``awards`` lists
``learners[i]``/``badges[i]`` pairs whose holding may have changed (a
follower reads their current state with ``HELD_PAIRS``, so applying an entry
twice, or an entry whose write matched nothing, is harmless); ``catalogue``
and ``embeddings`` name a ``label`` and ``ids`` (a follower rebuilds its
projections); ``ranker`` says that the ranker file in the data directory
(``recommend.ranker_path``) was saved or may have changed, and names its
training hash in ``ids`` when one was saved (a follower rebuilds, which loads
the file anew): ``colearn train`` records it with ``RANKER_CHANGED``, a
statement that writes nothing in the graph but the entry, run after the file
is in place; ``keys`` names API keys revoked in ``ids`` (``colearn keys
revoke``: a serving process drops the keys it trusted lately, nothing is rebuilt). ``at`` is the writer's clock in epoch milliseconds (for
measuring change-to-visible latency only; order is ``seq``).

Processes that follow the feed keep a ``FeedReader`` node (``READER_HEARTBEAT``)
with their position; entries at or below the lowest live position are
pruned (``PRUNE_ENTRIES``), and readers not seen for a while are removed
(``PRUNE_READERS``): a removed reader that comes back finds a gap and rebuilds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from colearn.graph.queries.portfolio import _COUNTS
from colearn.graph.schema import AssertionStatus, Label, Rel

#: Entry kinds.
AWARDS = "awards"
CATALOGUE = "catalogue"
EMBEDDINGS = "embeddings"
RANKER = "ranker"
KEYS = "keys"
KINDS = (AWARDS, CATALOGUE, EMBEDDINGS, RANKER, KEYS)

_PREFIX = (
    f"MERGE (c:{Label.FEED_COUNTER} {{id: 'feed'}}) ON CREATE SET c.seq = 0 "
    "SET c.seq = c.seq + 1 "
    f"CREATE (e:{Label.FEED_ENTRY} {{id: toString(c.seq), seq: c.seq}}) SET e += $feed "
    "WITH count(e) AS _feed_recorded "
)


@lru_cache(maxsize=512)
def recorded(statement: str) -> str:
    """``statement`` with the feed entry recorded in front of it (see the module docstring).

    Args:
        statement: one write statement that does not use the names ``c``, ``e``
            before defining them itself (the prefix's names end at its ``WITH``).

    Returns:
        The combined statement; it takes the statement's parameters plus
        ``feed`` (a ``change(...)`` map). Its rows are the statement's rows.
    """
    return _PREFIX + statement


def change(kind: str, *, pairs: Iterable[tuple[str, str]] = (), label: str | None = None,
           ids: Iterable[str] = ()) -> dict[str, Any]:
    """The ``$feed`` parameter of a ``recorded`` statement.

    Args:
        kind: ``AWARDS``, ``CATALOGUE``, ``EMBEDDINGS`` or ``RANKER``.
        pairs: ``(learner_id, badge_id)`` whose holding the write may change (``AWARDS``).
        label: the label written (``CATALOGUE``, ``EMBEDDINGS``).
        ids: the node ids written (``RANKER``: the saved ranker's training hash, or none).

    Returns:
        ``{kind, at, learners, badges, label, ids}`` (lists of strings; ``at`` epoch ms).

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"feed kind must be one of {KINDS}, got {kind!r}")
    unique = list(dict.fromkeys((str(learner), str(badge)) for learner, badge in pairs))
    return {"kind": kind, "at": int(time.time() * 1000), "learners": [p[0] for p in unique],
            "badges": [p[1] for p in unique], "label": str(label or ""), "ids": [str(i) for i in ids]}


def award_change(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``change(AWARDS)`` for award rows carrying ``learner_id`` and ``badge_id``."""
    return change(AWARDS, pairs=((r["learner_id"], r["badge_id"]) for r in rows))


#: Only a ``ranker`` entry: the saved ranker file changed (``colearn train`` runs it after
#: the file is in place, or after saving nothing). Params: ``feed`` (``change(RANKER, ...)``).
#: Returns one row ``{recorded}`` (1).
RANKER_CHANGED = recorded("RETURN _feed_recorded AS recorded")


#: The sequence of the last recorded change (0 before the first).
#: Returns one row ``{head}``.
FEED_HEAD = (
    f"OPTIONAL MATCH (c:{Label.FEED_COUNTER} {{id: 'feed'}}) RETURN coalesce(c.seq, 0) AS head"
)

def feed_head(store: Any) -> int:
    """The feed's head (``FEED_HEAD``) on ``store``: 0 before the first change."""
    return int(store.read(FEED_HEAD)[0]["head"])


#: Entries after a position, oldest first. Params: ``after`` (int), ``limit`` (int).
#: Returns rows ``{seq, kind, at, learners, badges, label, ids}``.
FEED_SINCE = (
    f"MATCH (e:{Label.FEED_ENTRY}) WHERE e.seq > $after "
    "RETURN e.seq AS seq, e.kind AS kind, e.at AS at, e.learners AS learners, e.badges AS badges, "
    "e.label AS label, e.ids AS ids ORDER BY seq LIMIT $limit"
)

#: A reader's heartbeat: its position and when it was seen (epoch s).
#: Params: ``id``, ``seq``, ``now``, ``info`` (str: host and pid). Returns ``{id, seq}``.
READER_HEARTBEAT = (
    f"MERGE (r:{Label.FEED_READER} {{id: $id}}) SET r.seq = $seq, r.seen = $now, r.info = $info "
    "RETURN r.id AS id, r.seq AS seq"
)

#: A reader leaving (its process stops). Params: ``id``. Returns no rows.
READER_LEAVE = f"MATCH (r:{Label.FEED_READER} {{id: $id}}) DELETE r"

#: The readers and the feed's head, to decide what may be pruned.
#: Params: ``stale`` (epoch s: readers seen before are not live).
#: Returns one row ``{head, floor, live, stale_readers}``: ``floor`` is the lowest
#: live reader's position (null when none is live).
FEED_READERS = (
    f"OPTIONAL MATCH (c:{Label.FEED_COUNTER} {{id: 'feed'}}) WITH coalesce(c.seq, 0) AS head "
    f"OPTIONAL MATCH (r:{Label.FEED_READER}) "
    "WITH head, min(CASE WHEN r.seen >= $stale THEN r.seq END) AS floor, "
    "count(CASE WHEN r.seen >= $stale THEN 1 END) AS live, "
    "count(CASE WHEN r.seen < $stale THEN 1 END) AS stale_readers "
    "RETURN head, floor, live, stale_readers"
)

#: Remove readers not seen since ``$stale`` (epoch s). Returns one row ``{removed}``.
PRUNE_READERS = (
    f"OPTIONAL MATCH (r:{Label.FEED_READER}) WHERE r.seen < $stale "
    "WITH collect(r) AS gone FOREACH (x IN gone | DELETE x) RETURN size(gone) AS removed"
)

#: Delete up to ``$limit`` entries at or below ``$floor``. Returns one row ``{pruned}``.
PRUNE_ENTRIES = (
    f"OPTIONAL MATCH (e:{Label.FEED_ENTRY}) WHERE e.seq <= $floor "
    "WITH e LIMIT $limit WITH collect(e) AS gone FOREACH (x IN gone | DELETE x) "
    "RETURN size(gone) AS pruned"
)

#: Of ``$pairs`` (``[{learner_id, badge_id}]``), those the learner holds at ``$now``
#: (an accepted, unexpired assertion, not an unverified import: the portfolio's
#: rule, ``_COUNTS`` in ``graph/queries/portfolio.py``), with the earliest such
#: award's ``issued_on``.
#: Returns rows ``{learner_id, badge_id, issued_on}``.
HELD_PAIRS = (
    f"UNWIND $pairs AS p MATCH (l:{Label.LEARNER} {{id: p.learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION}) "
    f"WITH p, a WHERE {_COUNTS} "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) WHERE b.id = p.badge_id "
    "RETURN p.learner_id AS learner_id, p.badge_id AS badge_id, min(a.issued_on) AS issued_on"
)

#: The (learner, badge) pairs of accepted assertions whose ``expires_on`` (epoch seconds)
#: lies in ``($since, $now]``: awards that left their learner's portfolio in that interval
#: with no write to say so (``recommender/expiries.py`` reconciles them with
#: ``HELD_PAIRS``). Starts from the index on ``Assertion.expires_on``.
#: Returns rows ``{learner_id, badge_id}``, each pair once.
EXPIRED_BETWEEN = (
    f"MATCH (a:{Label.ASSERTION}) WHERE a.expires_on > $since AND a.expires_on <= $now "
    f"WITH a WHERE a.status = '{AssertionStatus.ACCEPTED}' "
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN DISTINCT l.id AS learner_id, b.id AS badge_id"
)
