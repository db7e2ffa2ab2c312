"""The city's catalogue: spine, badges, opportunities, themes, destinations, places, organisations.

Reads for the recommender's projections and the service (``SPINE_CELLS``,
``BADGE_CATALOGUE``, ``BADGE_OPPORTUNITIES``, ...), and the catalogue API
(``service/catalogue.py``): pages with filters and totals, one-statement upserts
and deletes, built per label from ``CATALOGUE_SHAPES``, ``CATALOGUE_FILTERS`` and
``CATALOGUE_BLOCKERS``.
"""

from __future__ import annotations

from typing import NamedTuple

from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.queries._fragments import _LOCK_DONE, _LOCK_FIRST, _filtered, _in_city, _outermost


#: The spine grid. Returns rows ``{id, layer, domain, layer_rank, domain_rank, name}``
#: ordered by domain then layer.
SPINE_CELLS = (
    f"MATCH (c:{Label.SPINE_CELL}) "
    "RETURN c.id AS id, c.layer AS layer, c.domain AS domain, "
    "c.layer_rank AS layer_rank, c.domain_rank AS domain_rank, c.name AS name "
    "ORDER BY domain_rank, layer_rank"
)

#: Every badge of the city (``_in_city``: not an import's) with its alignments,
#: themes, destinations (through themes) and defining organisation. Returns rows ``{id, name, description, issuer_id,
#: issuer_name, cells: [str], themes: [str], destinations: [str]}`` ordered by id (``issuer_*`` null for no issuer).
BADGE_CATALOGUE = (
    f"MATCH (b:{Label.BADGE}) WHERE {_in_city('b', Label.BADGE)} "
    f"OPTIONAL MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) "
    "RETURN b.id AS id, b.name AS name, b.description AS description, o.id AS issuer_id, "
    "o.name AS issuer_name, "
    f"[(b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) | c.id] AS cells, "
    f"[(b)-[:{Rel.IN_THEME}]->(t:{Label.THEME}) | t.id] AS themes, "
    f"[(b)-[:{Rel.IN_THEME}]->(:{Label.THEME})-[:{Rel.LEADS_TO}]->(d:{Label.DESTINATION}) | d.id] "
    "AS destinations "
    "ORDER BY id"
)

#: The opportunities that award each of ``$badge_ids`` and have not ended at
#: ``$now`` (epoch seconds; ``ends_on`` null: ongoing), with where and when:
#: the place (``place_id``, ``place_name``), every place it lies ``WITHIN`` at any
#: depth (``within_ids``, unordered) and its district (the place itself when it is a
#: district that lies within nothing, else the outermost place it lies within:
#: ``_outermost``), epoch-second ``starts_on``/``ends_on`` and the sessions'
#: ``session_starts``/``session_ends``.
#: The organisation that runs an opportunity (``organisation_*``, ``OFFERS``) need not be
#: the badge's issuer (``issuer_*``: the organisation that ``DEFINES`` it, null for none).
#: Returns rows ``{badge_id, opportunities: [{id, name, mode, url, organisation_id,
#: organisation_name, issuer_id, issuer_name, place_id, place_name, within_ids, district_id,
#: district_name, starts_on, ends_on, session_starts, session_ends}]}``, opportunities by start (ongoing
#: ones first) then id; badges with no current opportunity have no row.
BADGE_OPPORTUNITIES = (
    f"UNWIND $badge_ids AS bid MATCH (b:{Label.BADGE} {{id: bid}})<-[:{Rel.AWARDS}]-(op:{Label.OPPORTUNITY}) "
    "WITH b, op WHERE op.ends_on IS NULL OR op.ends_on > $now "
    f"OPTIONAL MATCH (b)<-[:{Rel.DEFINES}]-(iss:{Label.ORGANISATION}) "
    f"OPTIONAL MATCH (org:{Label.ORGANISATION})-[:{Rel.OFFERS}]->(op) "
    f"OPTIONAL MATCH (op)-[:{Rel.LOCATED_IN}]->(p:{Label.PLACE}) "
    + _outermost("p")
    + f"OPTIONAL MATCH (p)-[:{Rel.WITHIN}*1..]->(a:{Label.PLACE}) "
    "WITH b, op, org, iss, p, up, collect(a.id) AS within_ids "
    "WITH b, op, org, iss, p, within_ids, CASE WHEN up IS NULL AND p.kind = 'district' THEN p ELSE up END AS d "
    "ORDER BY coalesce(op.starts_on, 0), op.id "
    "RETURN b.id AS badge_id, collect({id: op.id, name: op.name, mode: op.mode, url: op.url, "
    "organisation_id: org.id, organisation_name: org.name, issuer_id: iss.id, issuer_name: iss.name, "
    "place_id: p.id, place_name: p.name, "
    "within_ids: within_ids, district_id: d.id, district_name: d.name, "
    "starts_on: op.starts_on, ends_on: op.ends_on, "
    "session_starts: op.session_starts, session_ends: op.session_ends}) AS opportunities"
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

#: The organisation that defines each of ``$badge_ids`` (bulk award checks).
#: Returns rows ``{badge_id, issuer_id}`` for badges that have one.
BADGE_ISSUERS = (
    f"UNWIND $badge_ids AS bid MATCH (o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b:{Label.BADGE} {{id: bid}}) "
    "RETURN b.id AS badge_id, o.id AS issuer_id"
)

#: The organisation that defines a badge (the issuer of its awards).
#: Params: ``id``. Returns 0 or 1 row ``{issuer}`` (null when it has none).
BADGE_ISSUER = (
    f"MATCH (b:{Label.BADGE} {{id: $id}}) "
    f"RETURN head([(o:{Label.ORGANISATION})-[:{Rel.DEFINES}]->(b) | o.id]) AS issuer"
)

#: The spine layers of badges: for each of ``$ids`` that exists, the layer ranks
#: and names of its cells. Returns rows ``{id, cells: [{layer, layer_rank}]}``.
BADGE_LAYERS = (
    f"UNWIND $ids AS bid MATCH (b:{Label.BADGE} {{id: bid}}) "
    f"RETURN b.id AS id, [(b)-[:{Rel.ALIGNS_TO}]->(c:{Label.SPINE_CELL}) | "
    "{layer: c.layer, layer_rank: c.layer_rank}] AS cells"
)

#: Every theme with its kind and the destinations it leads to.
#: Returns rows ``{id, kind, destinations: [id]}`` ordered by id.
THEME_LINKS = (
    f"MATCH (t:{Label.THEME}) "
    f"RETURN t.id AS id, t.kind AS kind, [(t)-[:{Rel.LEADS_TO}]->(d:{Label.DESTINATION}) | d.id] AS destinations "
    "ORDER BY id"
)

#: Every ``WITHIN`` link between places (a city has hundreds of places at most).
#: Returns rows ``{id, within}`` ordered by id.
PLACES_WITHIN = (
    f"MATCH (p:{Label.PLACE})-[:{Rel.WITHIN}]->(up:{Label.PLACE}) RETURN p.id AS id, up.id AS within ORDER BY id"
)

#: One organisation's properties. Params: ``id``. Returns 0 or 1 row ``{id, props}``.
GET_ORGANISATION = f"MATCH (o:{Label.ORGANISATION} {{id: $id}}) RETURN o.id AS id, properties(o) AS props"

#: Whether an organisation of the city exists (``_in_city``: not an import's issuer).
#: Params: ``id``. Returns 0 or 1 row ``{id}``.
GET_ORGANISATION_ID = (f"MATCH (o:{Label.ORGANISATION} {{id: $id}}) WHERE {_in_city('o', Label.ORGANISATION)} "
                       "RETURN o.id AS id")


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
#: leaves the filter out. ``district`` follows ``WITHIN`` to any depth (a room
#: within a venue within the district). ``q`` (always taken) is text matched case-insensitively in
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
                    f"-[:{Rel.WITHIN}*0..]->(x:{Label.PLACE})",
        "organisation": f"(n)<-[:{Rel.DEFINES}]-(x:{Label.ORGANISATION})",
    },
    Label.OPPORTUNITY: {
        "theme": f"(n)-[:{Rel.IN_THEME}]->(x:{Label.THEME})",
        "destination": f"(n)-[:{Rel.IN_THEME}]->(:{Label.THEME})-[:{Rel.LEADS_TO}]->(x:{Label.DESTINATION})",
        "spine_cell": f"(n)-[:{Rel.AWARDS}]->(:{Label.BADGE})-[:{Rel.ALIGNS_TO}]->(x:{Label.SPINE_CELL})",
        "place": f"(n)-[:{Rel.LOCATED_IN}]->(x:{Label.PLACE})",
        "district": f"(n)-[:{Rel.LOCATED_IN}]->(:{Label.PLACE})-[:{Rel.WITHIN}*0..]->(x:{Label.PLACE})",
        "mode": "n.mode",
        "organisation": f"(n)<-[:{Rel.OFFERS}]-(x:{Label.ORGANISATION})",
    },
}


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


def _order(label: Label) -> str:
    return "n.domain_rank, n.layer_rank, n.id" if label == Label.SPINE_CELL else "n.id"


def catalogue_page(label: Label) -> str:
    """One page of a catalogue label's nodes, filtered, with the total before paging.

    Params: ``q`` (text matched case-insensitively, or null), one param per ``CATALOGUE_FILTERS[label]``
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
    """One catalogue node by id, in ``catalogue_page``'s record shape; none for a node
    that is not the city's (``_in_city``: an import's issuer or badge).

    Params: ``id``. Returns 0 or 1 row ``{record}``.
    """
    return (f"MATCH (n:{Label(label)} {{id: $id}}) WHERE {_in_city('n', label)} "
            f"RETURN {_projection(label)} AS record")


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

#: A claim code not revoked (``rel``: ``GRANTS`` its badge, ``AT`` its opportunity):
#: without either it is no longer listed nor redeemable. Revoke it first (a revoked
#: code is then no longer listed either: it is refused anyway).
_LIVE_CODES = f"(n)<-[:{{rel}}]-(x:{Label.CLAIM_CODE}) WHERE x.revoked_on IS NULL"

#: The claim codes not revoked that are handed out at some opportunities, with the
#: badge each grants: what a change of an opportunity's badges or organisation must
#: not strand (a code would go on awarding a badge the opportunity no longer awards,
#: or in the name of the organisation it no longer belongs to). Params: ``ids``.
#: Returns rows ``{opportunity_id, id, badge_id, organisation_id}`` ordered by
#: opportunity, then code id.
LIVE_CLAIM_CODES_AT = (
    f"MATCH (op:{Label.OPPORTUNITY})<-[:{Rel.AT}]-(c:{Label.CLAIM_CODE})-[:{Rel.GRANTS}]->(b:{Label.BADGE}) "
    "WHERE op.id IN $ids AND c.revoked_on IS NULL "
    "RETURN op.id AS opportunity_id, c.id AS id, b.id AS badge_id, c.organisation_id AS organisation_id "
    "ORDER BY opportunity_id, id"
)

#: Take a badge off an opportunity (its ``AWARDS`` link), unless a claim code not revoked
#: grants that badge at that opportunity (it would be stranded: revoke it first).
#: Params: ``opportunity_id``, ``badge_id``. Returns one row ``{detached: 1}`` when the
#: link was deleted; no row when there was no such link or a live code keeps it.
DETACH_BADGE = (
    f"MATCH (op:{Label.OPPORTUNITY} {{id: $opportunity_id}})-[r:{Rel.AWARDS}]->(b:{Label.BADGE} {{id: $badge_id}}) "
    f"OPTIONAL MATCH (op)<-[:{Rel.AT}]-(c:{Label.CLAIM_CODE})-[:{Rel.GRANTS}]->(b) WHERE c.revoked_on IS NULL "
    "WITH r, count(c) AS live WHERE live = 0 "
    "DELETE r RETURN 1 AS detached"
)


class Blocker(NamedTuple):
    """What keeps a catalogue node from being deleted.

    Attributes:
        name: what it is, plural (``pathway steps``); how counts are keyed.
        one: the same, singular (``pathway step``).
        pattern: a pattern from the node ``n`` to each blocking node ``x`` (may end
            in ``WHERE``).
        named: the id that names a blocking node in messages (``x.id``; a step: its
            pathway's, ``p.id``, bound by the pattern).
    """

    name: str
    one: str
    pattern: str
    named: str = "x.id"


#: Per label: what keeps a node from being deleted: deleting it would leave an
#: award, a pathway step, an opportunity without a badge it awards, a badge without a cell, its theme or its place, a theme
#: without its destination, or a claim code without the badge it grants or the
#: opportunity it is handed out at. Other links go with the node: its own outgoing
#: links, and a learner's stated interests (``INTERESTED_IN``) and home place
#: (``LIVES_IN``), which are the learner's, not the city's, and never keep the city
#: from changing its catalogue.
CATALOGUE_BLOCKERS: dict[Label, tuple[Blocker, ...]] = {
    Label.ORGANISATION: (
        Blocker("badges", "badge", f"(n)-[:{Rel.DEFINES}]->(x:{Label.BADGE})"),
        Blocker("opportunities", "opportunity", f"(n)-[:{Rel.OFFERS}]->(x:{Label.OPPORTUNITY})"),
        Blocker("pathways", "pathway", f"(n)-[:{Rel.AUTHORED}]->(x:{Label.PATHWAY})"),
        Blocker("assertions", "assertion", f"(n)-[:{Rel.ISSUED}]->(x:{Label.ASSERTION})"),
    ),
    # a badge goes when nothing live refers to it: its revoked and declined awards
    # stay on record without it (hosted 410, RevocationList, status list bit)
    Label.BADGE: (
        Blocker("live assertions", "live assertion",
                f"(n)<-[:{Rel.OF}]-(x:{Label.ASSERTION}) "
                f"WHERE x.status IN ['{AssertionStatus.ISSUED}', '{AssertionStatus.ACCEPTED}']"),
        Blocker("pathway steps", "pathway step",
                f"(n)<-[:{Rel.ACCEPTS}]-(x:{Label.STEP})<-[:{Rel.HAS_STEP}]-(p:{Label.PATHWAY})", "p.id"),
        Blocker("pathway completions", "pathway completion", f"(n)<-[:{Rel.COMPLETES_WITH}]-(x:{Label.PATHWAY})"),
        Blocker("claim codes", "claim code", _LIVE_CODES.format(rel=Rel.GRANTS)),
        # any organisation's opportunity that lists it, the issuer's own too: deleting it
        # silently took it off another organisation's opportunity (and off the issuer's)
        Blocker("opportunities", "opportunity", f"(n)<-[:{Rel.AWARDS}]-(x:{Label.OPPORTUNITY})"),
    ),
    Label.OPPORTUNITY: (Blocker("claim codes", "claim code", _LIVE_CODES.format(rel=Rel.AT)),),
    Label.THEME: (Blocker("badges", "badge", f"(n)<-[:{Rel.IN_THEME}]-(x:{Label.BADGE})"),
                  Blocker("opportunities", "opportunity", f"(n)<-[:{Rel.IN_THEME}]-(x:{Label.OPPORTUNITY})")),
    Label.DESTINATION: (Blocker("pathways", "pathway", f"(n)<-[:{Rel.TOWARDS}]-(x:{Label.PATHWAY})"),
                        Blocker("themes", "theme", f"(n)<-[:{Rel.LEADS_TO}]-(x:{Label.THEME})")),
    Label.PLACE: (Blocker("opportunities", "opportunity", f"(n)<-[:{Rel.LOCATED_IN}]-(x:{Label.OPPORTUNITY})"),
                  Blocker("places within it", "place within it", f"(n)<-[:{Rel.WITHIN}]-(x:{Label.PLACE})")),
    Label.SPINE_CELL: (Blocker("badges", "badge", f"(n)<-[:{Rel.ALIGNS_TO}]-(x:{Label.BADGE})"),),
}

#: How many blocking nodes ``catalogue_usage`` names, per kind.
NAMED_USES = 5


def _uses(label: Label) -> list[str]:
    return [f"size([{b.pattern} | x])" for b in CATALOGUE_BLOCKERS[Label(label)]]


def catalogue_usage(label: Label) -> str:
    """What keeps a catalogue node from being deleted, per ``CATALOGUE_BLOCKERS`` entry:
    how many nodes, and the ids that name up to ``NAMED_USES`` of them (the engine's
    order; a blocker's ``named``: a step is named by its pathway).

    Params: ``id``. Returns 0 rows (unknown id) or one row ``{id, uses: [int],
    named: [[str]]}``, both in ``CATALOGUE_BLOCKERS[label]`` order.
    """
    # One comprehension per blocker: FalkorDB answered [] for a second comprehension
    # of the same pattern and variable in one RETURN.
    named = ", ".join(f"[{b.pattern} | {b.named}]" for b in CATALOGUE_BLOCKERS[Label(label)])
    return (f"MATCH (n:{Label(label)} {{id: $id}}) WITH n, [{named}] AS found "
            f"RETURN n.id AS id, [f IN found | size(f)] AS uses, [f IN found | f[..{NAMED_USES}]] AS named")


def catalogue_delete(label: Label) -> str:
    """Delete a catalogue node with its links, only if nothing blocks it (one
    statement that locks the node before it counts the blockers, ``_LOCK_FIRST``:
    an award or a pathway step linked to it meanwhile either is counted or waits
    and then finds the node gone).

    An organisation deleted takes its API keys with it: each not yet revoked is revoked
    (``revoked_on`` = ``$now``) in the same statement, so none acts for it any more, nor
    for a new organisation given the same id later.

    Params: ``id``; ``now`` (epoch s) for an organisation. Returns one row ``{deleted}``:
    1 if deleted, 0 if unknown or in use.
    """
    uses = " + ".join(_uses(label)) or "0"
    keys = (f"WITH size(gone) AS deleted OPTIONAL MATCH (k:{Label.API_KEY} {{organisation_id: $id}}) "
            "WHERE deleted > 0 AND k.revoked_on IS NULL WITH deleted, collect(k) AS keys "
            "FOREACH (k IN keys | SET k.revoked_on = $now) RETURN deleted"
            if Label(label) == Label.ORGANISATION else "RETURN size(gone) AS deleted")
    return (f"OPTIONAL MATCH (n:{Label(label)} {{id: $id}}) "
            f"FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | {_LOCK_FIRST.format(n='x')}) "
            f"WITH n, {uses} AS used "
            f"FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | {_LOCK_DONE.format(n='x')}) "
            "WITH collect(CASE WHEN n IS NOT NULL AND used = 0 THEN n END) AS gone "
            f"FOREACH (x IN gone | DETACH DELETE x) {keys}")
