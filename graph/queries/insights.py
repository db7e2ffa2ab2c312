"""Insights: citywide aggregates (``insights/``, ``service/routers/insights.py``).

Every insight counts the awards made in the city that a learner has accepted
(``status = 'accepted'``: pending, declined and revoked awards are left out; expiry
is not, since an expired badge was still learned). A badge a learner imported into
their portfolio was not awarded here and is not counted (``_MADE_HERE``). Queries return learner ids per group so that
``colearn.insights`` can count distinct learners over unions of groups and suppress
small cells; the ids never leave the service. Places are counted by district: a
place counts as the outermost place it lies WITHIN, at any depth (``_outermost``).
"""

from __future__ import annotations

from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.queries._fragments import _MADE_HERE, _VISIBLE_TO_VIEWER, _in_city, _outermost, _sorted_ids


_INSIGHT_AWARDS = (
    f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE a.status = '{AssertionStatus.ACCEPTED}' AND {_MADE_HERE} "
)

#: The district of a learner ``l``'s home (``d``; null when none is recorded).
_LEARNER_DISTRICT = (
    f"OPTIONAL MATCH (l)-[:{Rel.LIVES_IN}]->(home:{Label.PLACE}) "
    + _outermost("home")
    + "WITH l, a, b, coalesce(up.id, home.id) AS d "
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

#: Every recommended pathway's steps in order, drafts only for ``$viewer``
#: (``_VISIBLE_TO_VIEWER``: ``'*'`` all, an organisation id its own, null none).
#: Returns rows ``{pathway_id, title, status, step, step_title, required,
#: optional, badges: [id] ascending}``.
RECOMMENDED_PATHWAY_STEPS = (
    f"MATCH (n:{Label.PATHWAY} {{kind: 'recommended'}}) " + _VISIBLE_TO_VIEWER
    + f"WITH n AS p MATCH (p)-[h:{Rel.HAS_STEP}]->(s:{Label.STEP}) "
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
    f"WHERE a.status = '{AssertionStatus.ACCEPTED}' AND {_MADE_HERE} "
    "WITH p, h, s, l, count(DISTINCT b.id) AS held "
    "WHERE held >= coalesce(s.required, 1) "
    "RETURN p.id AS pathway_id, h.order AS step, collect(l.id) AS learners"
)

#: Opportunities per theme and district (null district: online, or no place).
#: Returns rows ``{theme, place, opportunities: [opportunity id], venues: [place id]}``.
OPPORTUNITY_SUPPLY = (
    f"MATCH (o:{Label.OPPORTUNITY})-[:{Rel.IN_THEME}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (o)-[:{Rel.LOCATED_IN}]->(v:{Label.PLACE}) "
    + _outermost("v")
    + "RETURN t.id AS theme, coalesce(up.id, v.id) AS place, collect(DISTINCT o.id) AS opportunities, "
    "collect(DISTINCT v.id) AS venues"
)

#: Learners' stated theme interests per theme and home district (null: none recorded).
#: Returns rows ``{theme, place, learners: [learner id]}``.
INTEREST_DEMAND = (
    f"MATCH (l:{Label.LEARNER})-[:{Rel.INTERESTED_IN}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (l)-[:{Rel.LIVES_IN}]->(home:{Label.PLACE}) "
    + _outermost("home")
    + "RETURN t.id AS theme, coalesce(up.id, home.id) AS place, collect(DISTINCT l.id) AS learners"
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
    + _outermost("home")
    + "RETURN coalesce(up.id, home.id) AS place, t.id AS theme, collect(DISTINCT l.id) AS learners"
)

#: Opportunities that award a badge with a cell at or above layer rank
#: ``$upper_rank``, per theme of that badge and district of the opportunity
#: (null: online or no place). Returns rows ``{theme, place, id, name, mode}``.
MOVE_UP_OPPORTUNITIES = (
    f"MATCH (o:{Label.OPPORTUNITY})-[:{Rel.AWARDS}]->(b:{Label.BADGE})-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) "
    "WHERE c.layer_rank >= $upper_rank "
    f"MATCH (b)-[:{Rel.IN_THEME}]->(t:{Label.THEME}) "
    f"OPTIONAL MATCH (o)-[:{Rel.LOCATED_IN}]->(v:{Label.PLACE}) "
    + _outermost("v")
    + "RETURN DISTINCT t.id AS theme, coalesce(up.id, v.id) AS place, o.id AS id, o.name AS name, "
    "o.mode AS mode ORDER BY theme, id"
)

#: Names of the things insights group by. Returns rows ``{kind, id, name, extra}``
#: (``kind``: Theme, Destination, Place, Organisation, SpineCell; ``extra``: a
#: theme's kind, a place's kind, a cell's ``layer|domain``).
INSIGHT_LABELS = (
    f"MATCH (n) WHERE n:{Label.THEME} OR n:{Label.DESTINATION} OR n:{Label.PLACE} "
    f"OR (n:{Label.ORGANISATION} AND {_in_city('n', Label.ORGANISATION)}) OR n:{Label.SPINE_CELL} "
    f"RETURN CASE WHEN n:{Label.THEME} THEN 'Theme' WHEN n:{Label.DESTINATION} THEN 'Destination' "
    f"WHEN n:{Label.PLACE} THEN 'Place' WHEN n:{Label.ORGANISATION} THEN 'Organisation' "
    "ELSE 'SpineCell' END AS kind, n.id AS id, coalesce(n.name, n.title, n.id) AS name, "
    f"CASE WHEN n:{Label.SPINE_CELL} THEN n.layer + '|' + n.domain ELSE n.kind END AS extra "
    "ORDER BY kind, id"
)
