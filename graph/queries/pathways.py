"""Recommended pathways: authoring, pages, steps and the completion badge.
"""

from __future__ import annotations

from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.queries._fragments import (_AUTHOR, _LOCK_DONE, _LOCK_FIRST, _VISIBLE_TO_VIEWER, _filtered,
                                              _live, _sorted_ids)


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

#: One page of pathways. Params: ``q`` (text matched case-insensitively, or null), ``status``,
#: ``destination``, ``organisation`` (null: any), ``viewer`` (an organisation id
#: whose drafts are shown, ``'*'`` for all, null for none), ``offset``, ``limit``.
#: Returns one row ``{total, data: [record]}``; a record has id, title,
#: description, status, kind, organisation, destination, completion_badge and
#: steps ``[{title, required, optional, badges}]`` in order (badges: ids ascending).
PATHWAY_PAGE = (
    _filtered(Label.PATHWAY, {"status": "n.status", "destination": f"(n)-[:{Rel.TOWARDS}]->(x:{Label.DESTINATION})",
                              "organisation": _AUTHOR})
    + _VISIBLE_TO_VIEWER
    + _PATHWAY_STEPS +
    f"WITH n, steps ORDER BY n.id WITH collect({_PATHWAY_RECORD}) AS matched "
    "RETURN size(matched) AS total, matched[$offset..$offset + $limit] AS data"
)

#: One pathway by id. Params: ``id``. Returns 0 or 1 row ``{record}`` (``PATHWAY_PAGE``'s shape).
PATHWAY_GET = (
    f"MATCH (n:{Label.PATHWAY} {{id: $id}}) " + _PATHWAY_STEPS + f"RETURN {_PATHWAY_RECORD} AS record"
)

#: ``PATHWAY_GET`` as ``$viewer`` may see it (``_VISIBLE_TO_VIEWER``: a draft
#: only for its author and admin). Params: ``id``, ``viewer`` (an organisation
#: id, ``'*'`` for all, null for none). Returns 0 or 1 row ``{record}``.
PATHWAY_GET_FOR_VIEWER = (
    f"MATCH (n:{Label.PATHWAY} {{id: $id}}) " + _VISIBLE_TO_VIEWER + _PATHWAY_STEPS
    + f"RETURN {_PATHWAY_RECORD} AS record"
)


#: Every pathway that has a completion badge, whatever its status and kind (a
#: completion badge is earned by completing its pathway, never as a step or by
#: itself). No params. Returns rows ``{record}`` (``PATHWAY_PAGE``'s shape) ordered by id.
COMPLETION_PATHWAYS = (
    f"MATCH (n:{Label.PATHWAY})-[:{Rel.COMPLETES_WITH}]->(:{Label.BADGE}) WITH DISTINCT n "
    + _PATHWAY_STEPS + f"WITH n, steps ORDER BY n.id RETURN {_PATHWAY_RECORD} AS record"
)

#: Which of these pathway completion awards were ever made (``AWARD_PATHWAY_COMPLETION``'s
#: ids, ``issuing.completion_assertion_id``), in any state: issued, accepted, declined,
#: revoked or withdrawn (a withdrawn one keeps no ``TO``, only its id, and is revoked).
#: One made is never made again for that pathway and learner. Params: ``ids``. Returns
#: rows ``{id, status}`` by id.
COMPLETIONS_MADE = (
    f"UNWIND $ids AS aid MATCH (a:{Label.ASSERTION} {{id: aid}}) RETURN a.id AS id, a.status AS status ORDER BY id"
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

#: How many live completion awards ``DELETE_PATHWAY`` names.
NAMED_COMPLETIONS = 5

#: Delete a pathway with its steps (and its learners' enrolments), unless learners
#: hold live completion awards of it (issued or accepted: a completion keeps its
#: ``pathway_id``, and revoking a step badge revokes the completions its pathway's
#: steps no longer support, which needs the pathway); revoked and declined ones stay
#: on record without it. Locks the pathway before it counts (``_LOCK_FIRST``).
#: Params: ``id``. Returns one row ``{deleted, completions, named}``: ``deleted``
#: true when it went; ``completions`` the number of live completion awards (then it
#: stays) and ``named`` up to ``NAMED_COMPLETIONS`` of their ids.
DELETE_PATHWAY = (
    f"OPTIONAL MATCH (n:{Label.PATHWAY} {{id: $id}}) "
    f"FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | {_LOCK_FIRST.format(n='x')}) "
    f"WITH n OPTIONAL MATCH (a:{Label.ASSERTION}) WHERE n IS NOT NULL AND a.pathway_id = n.id "
    f"AND a.status IN ['{AssertionStatus.ISSUED}', '{AssertionStatus.ACCEPTED}'] "
    "WITH n, collect(a.id) AS live "
    f"FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | {_LOCK_DONE.format(n='x')}) "
    f"WITH n, live, CASE WHEN n IS NULL THEN [] ELSE [(n)-[:{Rel.HAS_STEP}]->(s:{Label.STEP}) | s] END AS steps "
    "WITH live, CASE WHEN n IS NOT NULL AND size(live) = 0 THEN [n] + steps ELSE [] END AS gone "
    "FOREACH (x IN gone | DETACH DELETE x) "
    f"RETURN size(gone) > 0 AS deleted, size(live) AS completions, live[..{NAMED_COMPLETIONS}] AS named"
)

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

#: Award a pathway's completion badge to a learner, once, unless they hold it live.
#:
#: The pathway is locked first (``_LOCK_FIRST``: ``DELETE_PATHWAY`` and
#: ``pathway_upsert`` write it too) and read again after the lock, so a pathway
#: deleted meanwhile awards nothing; then the organisation that defines the
#: completion badge is locked, as ``AWARD_ASSERTIONS`` locks it (its
#: ``status_next``), and only then is the learner's live award of the badge
#: looked for (``_live``: issued or accepted, not expired at ``$now``; one of
#: another pathway, a direct award, a claim code), so a completion racing a
#: direct award, or another pathway's completion, of the same badge to the same
#: learner cannot make a second live copy on Neo4j either. Held live under
#: another id: nothing is written and the answer is that award (``held`` true).
#: Otherwise the assertion is ``MERGE``d on ``$id`` (derived from pathway and
#: learner): created with its ``ISSUED``, ``OF`` and ``TO`` relationships, or
#: found as it is (a revoked or withdrawn completion is never linked again).
#: Only a badge the pathway's own organisation defines is awarded: the award is
#: issued in that organisation's name, never another's.
#:
#: Params: ``id`` (assertion id), ``pathway_id``, ``learner_id``, ``now`` (epoch
#: s), ``props`` ({status, issued_on, source, ...}, set on creation only),
#: ``recipient`` ({recipient_type, recipient_salt, recipient_hash}: the learner's
#: page, ``issuing.hashed_recipient``; used on creation when the learner has no
#: award issued here whose recipient names them).
#: Returns 0 rows (no such pathway, completion badge of the pathway's
#: organisation, or learner) or ``{id, badge_id, status, issued_on, created,
#: held}`` (``id`` the held award's when ``held``).
AWARD_PATHWAY_COMPLETION = (
    f"MATCH (locked:{Label.PATHWAY} {{id: $pathway_id}}) "
    f"{_LOCK_FIRST.format(n='locked')}{_LOCK_DONE.format(n='locked')}"
    f"WITH locked MATCH (p:{Label.PATHWAY} {{id: $pathway_id}}) WHERE p = locked "
    f"MATCH (p)-[:{Rel.COMPLETES_WITH}]->(b:{Label.BADGE})<-[:{Rel.DEFINES}]-(o:{Label.ORGANISATION})"
    f"-[:{Rel.AUTHORED}]->(p) "
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) "
    f"{_LOCK_FIRST.format(n='o')}{_LOCK_DONE.format(n='o')}"
    "WITH p, b, o, l "
    f"OPTIONAL MATCH (l)<-[:{Rel.TO}]-(h:{Label.ASSERTION})-[:{Rel.OF}]->(b) WHERE h.id <> $id AND {_live('h')} "
    "WITH p, b, o, l, min(h.id) AS holder "
    # the recipient as the learner's latest award colearn issued names them (an
    # IdentityObject is per person, its salt per award), else $recipient (their page
    # here): every completion is published like any award (OB 2.0 hosted, OB 3.0 with
    # a status list bit)
    f"OPTIONAL MATCH (l)<-[:{Rel.TO}]-(r:{Label.ASSERTION}) WHERE holder IS NULL AND r.recipient_hash IS NOT NULL "
    "WITH p, b, o, l, holder, r ORDER BY r.issued_on DESC "
    "WITH p, b, o, l, holder, head(collect(r)) AS r "
    "WITH b, o, l, holder, r, coalesce(holder, $id) AS aid "
    f"MERGE (a:{Label.ASSERTION} {{id: aid}}) ON CREATE SET a += $props, a.created_now = true, "
    "a.recipient_type = coalesce(r.recipient_type, $recipient.recipient_type), "
    "a.recipient_hash = coalesce(r.recipient_hash, $recipient.recipient_hash), "
    "a.recipient_salt = coalesce(r.recipient_salt, $recipient.recipient_salt), "
    "a.status_index = coalesce(o.status_next, 0), "
    "o.status_next = coalesce(o.status_next, 0) + 1 "
    "WITH b, o, l, a, holder IS NOT NULL AS held, coalesce(a.created_now, false) AS created "
    "REMOVE a.created_now "
    "FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END | "
    f"MERGE (o)-[:{Rel.ISSUED}]->(a) MERGE (a)-[:{Rel.OF}]->(b) MERGE (a)-[:{Rel.TO}]->(l)) "
    "RETURN a.id AS id, b.id AS badge_id, a.status AS status, a.issued_on AS issued_on, created, held"
)


#: Completion awards stored with no recipient (made before every completion named its
#: learner: a learner with no award issued here got none), still held by a learner
#: (a withdrawn one has no ``TO``). Params: ``source`` (``completions.COMPLETION_SOURCE``).
#: Returns ``{id, learner_id}`` rows, by id.
UNNAMED_COMPLETIONS = (
    f"MATCH (a:{Label.ASSERTION} {{source: $source}})-[:{Rel.TO}]->(l:{Label.LEARNER}) "
    "WHERE a.recipient_hash IS NULL RETURN a.id AS id, l.id AS learner_id ORDER BY id"
)

#: Give each listed completion that still has no recipient its hashed recipient
#: (an OB 2.0 IdentityObject: ``recipient_type``, ``recipient_salt``, ``recipient_hash``);
#: one already named is left as it is. Params: ``rows``: ``[{id, recipient_type,
#: recipient_salt, recipient_hash}]``. Returns ``{named}``: how many were named.
NAME_COMPLETIONS = (
    "UNWIND $rows AS r "
    f"MATCH (a:{Label.ASSERTION} {{id: r.id}}) WHERE a.recipient_hash IS NULL "
    "SET a.recipient_type = r.recipient_type, a.recipient_salt = r.recipient_salt, "
    "a.recipient_hash = r.recipient_hash "
    "RETURN count(a) AS named"
)
