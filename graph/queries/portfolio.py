"""Learners and their portfolios: what a learner holds (accepted, not revoked, not expired).

The portfolio rule is written once here (``_IN_PORTFOLIO``), with what counts toward
recommendations, pathway progress and completions (``_COUNTS``: less the imports
whose origin was not established). ``graph.feed.HELD_PAIRS`` applies ``_COUNTS``.
"""

from __future__ import annotations

from colearn.graph.schema import IMPORTED as _IMPORTED, AssertionStatus, Label, Rel


_IN_PORTFOLIO = (
    f"a.status = '{AssertionStatus.ACCEPTED}' "
    "AND (a.expires_on IS NULL OR a.expires_on > $now)"
)

#: What counts (toward recommendations, pathway progress and completions): in
#: the portfolio, and not an import whose origin was not established
#: (``verified: false``, ``openbadges/importing.py``; absent means verified).
#: The feed's ``HELD_PAIRS`` (graph/feed.py) applies it too.
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
#: may count. Params as ``LEARNER_PORTFOLIO``; rows as its, plus ``expires_on``
#: (epoch seconds or null: until when the row holds, for a cache of the answer).
LEARNER_VERIFIED_PORTFOLIO = (
    f"{_LEARNER_HELD} AND coalesce(a.verified, true) "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN a.id AS assertion_id, b.id AS badge_id, a.issued_on AS issued_on, a.expires_on AS expires_on "
    "ORDER BY issued_on, assertion_id"
)

#: The badges awarded to a learner that await their answer (``issued``: not yet
#: accepted, declined or revoked), not expired at ``$now``: "what next" does not
#: offer a badge the learner has already been awarded. Params: ``learner_id``,
#: ``now``. Returns rows ``{badge_id, expires_on}`` (epoch seconds or null).
LEARNER_AWAITING_BADGES = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION}) "
    f"WITH a WHERE a.status = '{AssertionStatus.ISSUED}' AND (a.expires_on IS NULL OR a.expires_on > $now) "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    "RETURN b.id AS badge_id, a.expires_on AS expires_on ORDER BY badge_id"
)

#: Where an award ``a`` came from and whether its origin was established, as a
#: portfolio shows them: ``imported`` (true for a learner's import, false for an award
#: made here) and ``verified`` (true for an award made here; an import's check).
_PROVENANCE = f"imported: coalesce(a.source = '{_IMPORTED}', false), verified: coalesce(a.verified, true)"

#: A learner's portfolio (accepted, not revoked, not expired at ``$now``)
#: grouped by spine cell; a badge aligned to two cells is in both groups, and
#: badges aligned to none are under ``cell_id`` null.
#: Params: ``learner_id``, ``now``. Returns rows ``{cell_id, awards: [{assertion_id,
#: badge_id, name, status, issued_on, expires_on, imported, verified}]}`` (``_PROVENANCE``).
PORTFOLIO_BY_CELL = (
    f"{_LEARNER_HELD} "
    f"MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"OPTIONAL MATCH (b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) "
    "WITH c, a, b ORDER BY a.issued_on, a.id "
    "RETURN c.id AS cell_id, collect({assertion_id: a.id, badge_id: b.id, name: b.name, status: a.status, "
    f"issued_on: a.issued_on, expires_on: a.expires_on, {_PROVENANCE}}}) AS awards"
)

#: A learner's assertions outside the portfolio: awaiting acceptance
#: (``issued``), declined, revoked, or expired at ``$now``, oldest first.
#: Params: ``learner_id``, ``now``. Returns rows ``{assertion_id, badge_id, name,
#: status, issued_on, expires_on, imported, verified}`` (``_PROVENANCE``).
LEARNER_OTHER_ASSERTIONS = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION})"
    f"-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE NOT ({_IN_PORTFOLIO}) "
    "RETURN a.id AS assertion_id, b.id AS badge_id, b.name AS name, a.status AS status, "
    "a.issued_on AS issued_on, a.expires_on AS expires_on, "
    f"coalesce(a.source = '{_IMPORTED}', false) AS imported, coalesce(a.verified, true) AS verified "
    "ORDER BY issued_on, assertion_id"
)

#: How many awards a learner has imported (``source: import``), in any state: an
#: import is refused past a cap (``openbadges/importing.py``). Params: ``learner_id``.
#: Returns one row ``{n}``.
LEARNER_IMPORT_COUNT = (
    f"OPTIONAL MATCH (:{Label.LEARNER} {{id: $learner_id}})<-[:{Rel.TO}]-(a:{Label.ASSERTION}) "
    f"WHERE a.source = '{_IMPORTED}' RETURN count(a) AS n"
)

#: Whether a learner exists. Params: ``learner_id``. Returns 0 or 1 row ``{id}``.
GET_LEARNER = f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) RETURN l.id AS id, l.name AS name"
