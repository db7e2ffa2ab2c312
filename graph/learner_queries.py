"""Cypher for learners getting in: claim links, sign-in links and refresh tokens,
claim codes, a learner's own profile, pathway enrolments and uploaded badge images.

Every statement runs on FalkorDB and Neo4j 5 (tests/integration/
test_learner_access_contract.py runs each one on both, and fails for a
statement here that it does not cover). Secrets never reach the graph: an
``AccessToken``'s ``id`` and a ``ClaimCode``'s ``code_hash`` are SHA-256 hex
digests of what the learner holds. Times are epoch seconds.

Single use under concurrency: a consuming statement first raises a counter on
the node (``SET t.uses = t.uses + 1``), which takes the node's write lock in
Neo4j (FalkorDB runs one write at a time), and only then checks it, so two
racing requests cannot both pass (the pattern ``AWARD_ASSERTIONS`` uses for
``status_next``). The new value is carried as an alias (``WITH t, t.uses AS
uses WHERE uses <= ...``): measured on FalkorDB, ``WITH t WHERE t.uses <= 1``
right after the ``SET`` still passed a row whose ``uses`` had become 2.
"""

from __future__ import annotations

from colearn.graph.queries._fragments import _award_one
from colearn.graph.queries.portfolio import _COUNTS
from colearn.graph.schema import Label, Rel

# --------------------------------------------------------------------------
# Access tokens: claim links, sign-in (magic) links, refresh tokens
# --------------------------------------------------------------------------

#: Store new tokens, in one statement (a bulk award's claim links). Params: ``rows``
#: ``[{id (SHA-256 hex of the secret), props: {kind, learner_id, assertion_id?,
#: created_on, expires_on, max_uses}}]``. Returns ``{id}`` per row.
CREATE_ACCESS_TOKEN = (
    f"UNWIND $rows AS r CREATE (t:{Label.ACCESS_TOKEN} {{id: r.id}}) SET t += r.props, t.uses = 0 "
    "RETURN t.id AS id"
)

#: A token as stored, without using it. Params: ``id``, ``kind``. Returns 0 or 1
#: row ``{learner_id, assertion_id, expires_on, uses, max_uses, used_on, ended_on,
#: ended_why}`` (``used_on``: when it was last used with success, null if never;
#: ``ended_on``: when it was ended early, ``ended_why`` ``answered`` when its award
#: was answered another way, else null).
PEEK_ACCESS_TOKEN = (
    f"MATCH (t:{Label.ACCESS_TOKEN} {{id: $id}}) WHERE t.kind = $kind "
    "RETURN t.learner_id AS learner_id, t.assertion_id AS assertion_id, t.expires_on AS expires_on, "
    "t.uses AS uses, t.max_uses AS max_uses, t.used_on AS used_on, t.ended_on AS ended_on, "
    "t.ended_why AS ended_why"
)

#: Use a token once: counts the use (under the node's write lock), and answers
#: a row only if this use is within ``max_uses`` and the token has not expired
#: at ``$now``. Params: ``id``, ``kind``, ``now``. Returns 0 or 1 row
#: ``{learner_id, assertion_id, expires_on}``.
CONSUME_ACCESS_TOKEN = (
    f"MATCH (t:{Label.ACCESS_TOKEN} {{id: $id}}) WHERE t.kind = $kind "
    "SET t.uses = coalesce(t.uses, 0) + 1 "
    "WITH t, t.uses AS uses WHERE uses <= coalesce(t.max_uses, 1) AND t.expires_on > $now "
    "SET t.used_on = $now "
    "RETURN t.learner_id AS learner_id, t.assertion_id AS assertion_id, t.expires_on AS expires_on"
)

#: Give a single-use token back after a use whose action failed: unused again (``uses``
#: 0, ``used_on`` null), if it is single-use. Params: ``id``, ``kind``. Returns 0 or 1 row ``{uses}``.
RELEASE_ACCESS_TOKEN = (
    f"MATCH (t:{Label.ACCESS_TOKEN} {{id: $id}}) WHERE t.kind = $kind AND coalesce(t.max_uses, 1) = 1 "
    "SET t.uses = 0, t.used_on = null RETURN t.uses AS uses"
)

#: End a learner's tokens of some kinds early (e.g. every refresh token at sign-out).
#: Params: ``learner_id``, ``kinds``, ``now``. Returns ``{ended}``.
END_ACCESS_TOKENS = (
    f"MATCH (t:{Label.ACCESS_TOKEN}) WHERE t.learner_id = $learner_id AND t.kind IN $kinds "
    "AND t.expires_on > $now SET t.expires_on = $now, t.ended_on = $now RETURN count(t) AS ended"
)

#: Forget tokens that expired before ``$before`` (epoch s). Returns ``{deleted}``.
DELETE_EXPIRED_ACCESS_TOKENS = (
    f"MATCH (t:{Label.ACCESS_TOKEN}) WHERE t.expires_on < $before DELETE t RETURN count(*) AS deleted"
)

#: Make sure a learner exists (the first sign-in of someone never awarded yet).
#: Params: ``id``, ``props`` (set on creation only). Returns ``{id, created}``.
ENSURE_LEARNER = (
    f"MERGE (l:{Label.LEARNER} {{id: $id}}) ON CREATE SET l += $props, l.created_now = true "
    "WITH l, coalesce(l.created_now, false) AS created REMOVE l.created_now "
    "RETURN l.id AS id, created"
)

# --------------------------------------------------------------------------
# Claim codes for offline events
# --------------------------------------------------------------------------

#: Create a claim code of an organisation for one of its opportunities, granting
#: a badge it defines that the opportunity awards and that is no pathway's
#: completion badge (a completion is earned by meeting the steps). Params: ``id``,
#: ``organisation_id``, ``badge_id``, ``opportunity_id``, ``props`` ``{code_hash,
#: hint, session, valid_from, valid_until, max_claims, created_on,
#: organisation_id}``. Returns 0 rows (explain with ``CLAIM_CODE_BADGE_FIT``) or ``{id}``.
CREATE_CLAIM_CODE = (
    f"MATCH (o:{Label.ORGANISATION} {{id: $organisation_id}})-[:{Rel.DEFINES}]->(b:{Label.BADGE} {{id: $badge_id}}) "
    f"MATCH (o)-[:{Rel.OFFERS}]->(op:{Label.OPPORTUNITY} {{id: $opportunity_id}})-[:{Rel.AWARDS}]->(b) "
    f"WITH b, op, [(b)<-[:{Rel.COMPLETES_WITH}]-(p:{Label.PATHWAY}) | p.id] AS completes "
    "WHERE size(completes) = 0 "
    f"CREATE (c:{Label.CLAIM_CODE} {{id: $id}}) SET c += $props "
    f"CREATE (c)-[:{Rel.GRANTS}]->(b) CREATE (c)-[:{Rel.AT}]->(op) "
    "RETURN c.id AS id"
)

#: Why a badge may not be handed out with claim codes at an opportunity (both
#: exist: check first). Params: ``badge_id``, ``opportunity_id``. Returns 0 or 1
#: row ``{definers, offerers, awarded, completes}``: the organisations that define
#: the badge and that offer the opportunity, the badges the opportunity awards and
#: the pathways that complete with the badge (ids; lists unordered). Each pattern
#: has its own variable names: FalkorDB answered an empty list for the second of
#: two comprehensions that both named their node ``o``.
CLAIM_CODE_BADGE_FIT = (
    f"MATCH (op:{Label.OPPORTUNITY} {{id: $opportunity_id}}) MATCH (b:{Label.BADGE} {{id: $badge_id}}) "
    f"RETURN [(b)<-[:{Rel.DEFINES}]-(d:{Label.ORGANISATION}) | d.id] AS definers, "
    f"[(op)<-[:{Rel.OFFERS}]-(o:{Label.ORGANISATION}) | o.id] AS offerers, "
    f"[(op)-[:{Rel.AWARDS}]->(x:{Label.BADGE}) | x.id] AS awarded, "
    f"[(b)<-[:{Rel.COMPLETES_WITH}]-(p:{Label.PATHWAY}) | p.id] AS completes"
)

_CODE_RECORD = (
    "c {.id, .organisation_id, .hint, .session, .valid_from, .valid_until, .max_claims, .created_on, "
    ".revoked_on, badge_id: b.id, badge_name: b.name, opportunity_id: op.id, opportunity_name: op.name, "
    f"claims: size([(x:{Label.LEARNER})-[:{Rel.CLAIMED}]->(c) | x.id]), "
    f"completes: [(b)<-[:{Rel.COMPLETES_WITH}]-(p:{Label.PATHWAY}) | p.id], "
    f"awarded_at: size([(op)-[:{Rel.AWARDS}]->(b) | 1]) > 0, "
    f"offerers: [(op)<-[:{Rel.OFFERS}]-(g:{Label.ORGANISATION}) | g.id]}}"
)

_CODE_MATCH = (
    f"MATCH (c:{Label.CLAIM_CODE})-[:{Rel.GRANTS}]->(b:{Label.BADGE}) "
    f"MATCH (c)-[:{Rel.AT}]->(op:{Label.OPPORTUNITY}) "
)

#: One claim code by its id. Params: ``id``. Returns 0 or 1 row ``{code}``: id,
#: organisation_id, hint, session, valid_from, valid_until, max_claims, created_on,
#: revoked_on, badge_id, badge_name, opportunity_id, opportunity_name, claims,
#: completes (the pathways that complete with the badge: such a code is never claimed),
#: awarded_at (whether the opportunity still awards the badge) and offerers (the
#: organisations offering the opportunity: a code whose organisation is not among
#: them, or whose opportunity no longer awards its badge, is never claimed).
GET_CLAIM_CODE = _CODE_MATCH + f"WHERE c.id = $id RETURN {_CODE_RECORD} AS code"

#: A claim code by the hash of the code a learner typed (``GET_CLAIM_CODE``'s shape).
#: Params: ``code_hash``.
FIND_CLAIM_CODE = _CODE_MATCH + f"WHERE c.code_hash = $code_hash RETURN {_CODE_RECORD} AS code"

#: An organisation's claim codes, newest first (``GET_CLAIM_CODE``'s shape).
#: Params: ``organisation_id``.
LIST_CLAIM_CODES = (
    _CODE_MATCH + f"WHERE c.organisation_id = $organisation_id "
    f"RETURN {_CODE_RECORD} AS code ORDER BY code.created_on DESC, code.id"
)

#: Revoke a claim code (the first revocation time is kept). Params: ``id``,
#: ``organisation_id`` (null: any), ``now``. Returns 0 or 1 row ``{id, revoked_on}``.
REVOKE_CLAIM_CODE = (
    f"MATCH (c:{Label.CLAIM_CODE} {{id: $id}}) "
    "WHERE $organisation_id IS NULL OR c.organisation_id = $organisation_id "
    "SET c.revoked_on = coalesce(c.revoked_on, $now) RETURN c.id AS id, c.revoked_on AS revoked_on"
)

#: Redeem a code: one learner's claim of it and its award, in one statement, so
#: both land or neither does. The code is locked first (its ``attempts`` counter
#: raised), then the claim is made only if the code is not revoked, ``valid_from
#: <= $now < valid_until``, fewer than ``max_claims`` learners have claimed it,
#: this learner has not, and its badge is no pathway's completion badge (it may
#: have become one since the code was made). Then ``$organisation_id`` (the code's),
#: which must define the code's badge and still offer the code's opportunity, which
#: must still award it (a change of the opportunity made since the code is checked
#: here, whatever the catalogue's checks let through), is locked and given a status slot as
#: ``AWARD_ASSERTIONS`` does, and only then is the award ``$row`` made
#: (``_award_one``): a learner who holds the badge live at ``$now`` gets no second
#: award, and the claim is recorded only with an award this statement created
#: (``CLAIMED {on, assertion_id}``), so a learner holding the badge leaves the
#: code unused. Params: ``id`` (the code), ``learner_id``, ``organisation_id``,
#: ``now``, ``request_id``, ``row`` (``AWARD_ASSERTIONS``'s row shape, for
#: ``learner_id`` and the code's badge). Returns 0 rows (refused: explain with
#: ``GET_CLAIM_CODE``; also an unknown learner, or a badge the organisation does
#: not define) or one ``{id, created, held}``: ``id`` the award made
#: (``created``), or the learner's live award of the badge (``held``), or the
#: assertion ``row.id`` already names (neither).
REDEEM_CLAIM_CODE = (
    f"MATCH (c:{Label.CLAIM_CODE} {{id: $id}}) SET c.attempts = coalesce(c.attempts, 0) + 1 "
    f"WITH c MATCH (l:{Label.LEARNER} {{id: $learner_id}}) "
    f"WITH c, l, [(x:{Label.LEARNER})-[:{Rel.CLAIMED}]->(c) | x.id] AS claimers, "
    f"[(c)-[:{Rel.GRANTS}]->(:{Label.BADGE})<-[:{Rel.COMPLETES_WITH}]-(p:{Label.PATHWAY}) | p.id] AS completes "
    "WHERE c.revoked_on IS NULL AND c.valid_from <= $now AND $now < c.valid_until "
    "AND size(claimers) < c.max_claims AND NOT $learner_id IN claimers AND size(completes) = 0 "
    f"MATCH (c)-[:{Rel.GRANTS}]->(b:{Label.BADGE})<-[:{Rel.DEFINES}]-(o:{Label.ORGANISATION} {{id: $organisation_id}}) "
    f"MATCH (c)-[:{Rel.AT}]->(op:{Label.OPPORTUNITY})-[:{Rel.AWARDS}]->(b) MATCH (o)-[:{Rel.OFFERS}]->(op) "
    "SET o.status_next = coalesce(o.status_next, 0) + 1 "
    "WITH c, l, b, o, o.status_next - 1 AS slot, $row AS r "
    f"{_award_one(', c')}"
    "FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END | "
    f"CREATE (l)-[:{Rel.CLAIMED} {{on: $now, assertion_id: a.id}}]->(c)) "
    "RETURN a.id AS id, created, held"
)

#: Whether a learner has claimed a code. Params: ``id``, ``learner_id``.
#: Returns 0 or 1 row ``{on, assertion_id}``.
LEARNER_CLAIM = (
    f"MATCH (:{Label.LEARNER} {{id: $learner_id}})-[r:{Rel.CLAIMED}]->(c:{Label.CLAIM_CODE} {{id: $id}}) "
    "RETURN r.on AS on, r.assertion_id AS assertion_id"
)

# --------------------------------------------------------------------------
# A learner's own profile
# --------------------------------------------------------------------------

#: A learner's profile. Params: ``learner_id``. Returns 0 or 1 row ``{id, name,
#: interests, themes, destinations, home_place, partner_access}`` (lists unsorted;
#: ``partner_access`` true, false, or null when the learner has not chosen).
LEARNER_PROFILE = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) "
    "RETURN l.id AS id, l.name AS name, l.interests_text AS interests, l.partner_access AS partner_access, "
    f"[(l)-[:{Rel.INTERESTED_IN}]->(t:{Label.THEME}) | t.id] AS themes, "
    f"[(l)-[:{Rel.INTERESTED_IN}]->(d:{Label.DESTINATION}) | d.id] AS destinations, "
    f"head([(l)-[:{Rel.LIVES_IN}]->(p:{Label.PLACE}) | p.id]) AS home_place"
)

#: Whether a learner lets partner sites read their recommendations. Params:
#: ``learner_id``. Returns 0 rows (unknown learner) or ``{partner_access}`` (true,
#: false, or null when the learner has not chosen).
LEARNER_PARTNER_ACCESS = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) RETURN l.partner_access AS partner_access"
)

#: The districts a place lies within: the outermost places up its ``WITHIN`` chain
#: (``queries._fragments._outermost``; a district lies within none, as the insights
#: and the recommender's reach filter read a learner's home). Params: ``id``. Returns
#: 0 rows (a district, or no such place) or rows ``{id, name}``.
PLACE_DISTRICT = (
    f"MATCH (:{Label.PLACE} {{id: $id}})-[:{Rel.WITHIN}*1..]->(d:{Label.PLACE}) "
    f"WHERE NOT (d)-[:{Rel.WITHIN}]->(:{Label.PLACE}) RETURN DISTINCT d.id AS id, d.name AS name"
)

#: Replace a learner's profile whole, in one statement: name, free-text
#: interests, partner access, the themes and destinations they are INTERESTED_IN
#: and the place they LIVE_IN (ids that do not exist are skipped: check first).
#: Params: ``learner_id``, ``name``, ``interests``, ``themes``, ``destinations``,
#: ``home_place`` (or null), ``choose_partner_access`` (false: ``partner_access`` is
#: left as stored, so a save of other fields never undoes a choice made meanwhile)
#: and ``partner_access`` (or null: not chosen). Returns 0 rows (unknown learner) or
#: ``{id}``.
SET_LEARNER_PROFILE = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) "
    f"OPTIONAL MATCH (l)-[r:{Rel.INTERESTED_IN}|{Rel.LIVES_IN}]->() DELETE r "
    "WITH DISTINCT l SET l.name = $name, l.interests_text = $interests, "
    "l.partner_access = CASE WHEN $choose_partner_access THEN $partner_access ELSE l.partner_access END "
    f"WITH l OPTIONAL MATCH (t:{Label.THEME}) WHERE t.id IN $themes "
    f"FOREACH (x IN CASE WHEN t IS NULL THEN [] ELSE [t] END | MERGE (l)-[:{Rel.INTERESTED_IN}]->(x)) "
    f"WITH DISTINCT l OPTIONAL MATCH (d:{Label.DESTINATION}) WHERE d.id IN $destinations "
    f"FOREACH (x IN CASE WHEN d IS NULL THEN [] ELSE [d] END | MERGE (l)-[:{Rel.INTERESTED_IN}]->(x)) "
    f"WITH DISTINCT l OPTIONAL MATCH (p:{Label.PLACE} {{id: $home_place}}) "
    f"FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END | MERGE (l)-[:{Rel.LIVES_IN}]->(x)) "
    "RETURN DISTINCT l.id AS id"
)

# --------------------------------------------------------------------------
# Enrolments in recommended pathways
# --------------------------------------------------------------------------

#: Enrol a learner in a published pathway (again: nothing changes). Params:
#: ``learner_id``, ``pathway_id``, ``now``. Returns 0 rows (unknown learner, or no
#: such published pathway) or ``{pathway_id, on, created}``.
ENROL = (
    f"MATCH (l:{Label.LEARNER} {{id: $learner_id}}) "
    f"MATCH (p:{Label.PATHWAY} {{id: $pathway_id}}) WHERE p.status = 'published' "
    f"MERGE (l)-[e:{Rel.ENROLLED_IN}]->(p) ON CREATE SET e.on = $now, e.created_now = true "
    "WITH p, e, coalesce(e.created_now, false) AS created REMOVE e.created_now "
    "RETURN p.id AS pathway_id, e.on AS on, created"
)

#: Leave a pathway. Params: ``learner_id``, ``pathway_id``. Returns ``{left}`` (0 or 1).
LEAVE_PATHWAY = (
    f"MATCH (:{Label.LEARNER} {{id: $learner_id}})-[e:{Rel.ENROLLED_IN}]->(:{Label.PATHWAY} {{id: $pathway_id}}) "
    "DELETE e RETURN count(*) AS left"
)

#: A learner's enrolments, oldest first. Params: ``learner_id``. Returns rows
#: ``{pathway_id, on}``.
LEARNER_ENROLMENTS = (
    f"MATCH (:{Label.LEARNER} {{id: $learner_id}})-[e:{Rel.ENROLLED_IN}]->(p:{Label.PATHWAY}) "
    "RETURN p.id AS pathway_id, e.on AS on ORDER BY on, pathway_id"
)

#: The name of each badge of ``$ids`` that exists. Returns rows ``{id, name}``.
BADGE_NAMES = f"UNWIND $ids AS id MATCH (b:{Label.BADGE} {{id: id}}) RETURN b.id AS id, b.name AS name"

#: The learners enrolled in an organisation's pathways, each with the badges that
#: count toward their progress (``_COUNTS``: accepted, unexpired at ``$now``, not an
#: import marked ``verified: false``). Params: ``organisation_id``, ``now``.
#: Returns rows ``{pathway_id, learner_id, held: [badge ids]}``, one per enrolment.
ORGANISATION_ENROLMENTS = (
    f"MATCH (:{Label.ORGANISATION} {{id: $organisation_id}})-[:{Rel.AUTHORED}]->(p:{Label.PATHWAY})"
    f"<-[:{Rel.ENROLLED_IN}]-(l:{Label.LEARNER}) "
    f"OPTIONAL MATCH (l)<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(b:{Label.BADGE}) "
    f"WHERE {_COUNTS} "
    "RETURN p.id AS pathway_id, l.id AS learner_id, collect(DISTINCT b.id) AS held "
    "ORDER BY pathway_id, learner_id"
)

# --------------------------------------------------------------------------
# Uploaded badge images
# --------------------------------------------------------------------------

#: Keep (or replace) a badge's uploaded image. Params: ``badge_id``,
#: ``media_type``, ``data`` (base64), ``now``. Returns 0 rows (no such badge) or ``{id}``.
SET_BADGE_IMAGE = (
    f"MATCH (b:{Label.BADGE} {{id: $badge_id}}) MERGE (i:{Label.BADGE_IMAGE} {{id: $badge_id}}) "
    "SET i.media_type = $media_type, i.data = $data, i.updated_on = $now "
    f"MERGE (i)-[:{Rel.DEPICTS}]->(b) RETURN b.id AS id"
)

#: A badge's uploaded image. Params: ``badge_id``. Returns 0 or 1 row ``{media_type, data}``.
GET_BADGE_IMAGE = (
    f"MATCH (i:{Label.BADGE_IMAGE} {{id: $badge_id}})-[:{Rel.DEPICTS}]->(:{Label.BADGE}) "
    "RETURN i.media_type AS media_type, i.data AS data"
)
