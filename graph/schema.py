"""Labels, relationship types and the uniqueness rules of the colearn graph.

Queries take labels and relationship types from these enums only, never from
user text. The shape (ARCHITECTURE.md, "The graph")::

    (:Organisation)-[:OFFERS]->(:Opportunity)-[:AWARDS]->(:Badge)
    (:Organisation)-[:DEFINES]->(:Badge)
    (:Badge)-[:ALIGNS_TO]->(:SpineCell)
    (:Badge|:Opportunity)-[:IN_THEME]->(:Theme)-[:LEADS_TO]->(:Destination)
    (:Opportunity)-[:LOCATED_IN]->(:Place)
    (:Organisation)-[:ISSUED]->(:Assertion)-[:OF]->(:Badge)
    (:Assertion)-[:TO]->(:Learner)
    (:Organisation|:Learner)-[:AUTHORED]->(:Pathway)-[:TOWARDS]->(:Destination)
    (:Pathway)-[:HAS_STEP {order}]->(:Step)-[:ACCEPTS]->(:Badge)
    (:Pathway)-[:COMPLETES_WITH]->(:Badge)          // optional completion badge
    (:Place)-[:WITHIN]->(:Place)                     // a venue within a district
    (:Learner)-[:LIVES_IN]->(:Place)                 // home place
    (:Learner)-[:INTERESTED_IN]->(:Theme|:Destination)  // stated interests

Times are stored as integer epoch seconds (UTC) in properties ending ``_on``
(``issued_on``, ``expires_on``, ``revoked_on``); FalkorDB has no ``datetime()``.

An Assertion made by ``graph/issuing.py`` also keeps ``recipient_type``,
``recipient_salt`` and ``recipient_hash`` (never the plaintext identity),
``status_index`` (its bit in the organisation's OB 3.0 status lists, drawn
from the Organisation's ``status_next`` counter), ``revocation_reason``,
``evidence_url`` / ``evidence_narrative`` and ``idempotency_key``. Issuer
keys are files, never properties.
"""

from __future__ import annotations

from enum import StrEnum

# The values of catalogue kinds and statuses are domain terms, shared by every layer;
# they live in ``colearn.records.terms`` and are re-exported here.
from colearn.records.terms import OpportunityMode, PathwayKind, PathwayStatus, ThemeKind

__all__ = ["INDEXES", "UNIQUE_ID_LABELS", "AssertionStatus", "Label", "OpportunityMode", "PathwayKind",
           "PathwayStatus", "Rel", "ThemeKind"]


class Label(StrEnum):
    """Node labels. Every node has a string ``id``, unique per label."""

    SPINE_CELL = "SpineCell"
    THEME = "Theme"
    DESTINATION = "Destination"
    PLACE = "Place"
    ORGANISATION = "Organisation"
    OPPORTUNITY = "Opportunity"
    BADGE = "Badge"
    LEARNER = "Learner"
    ASSERTION = "Assertion"
    PATHWAY = "Pathway"
    STEP = "Step"
    #: An API key's public part and the SHA-256 of its secret (never the secret).
    API_KEY = "ApiKey"
    #: One recorded change of the change feed (``graph/feed.py``): ``seq`` and what changed.
    FEED_ENTRY = "FeedEntry"
    #: The change feed's sequence counter (one node, id ``feed``).
    FEED_COUNTER = "FeedCounter"
    #: A process following the feed: its position and when it was last seen.
    FEED_READER = "FeedReader"
    #: A claim link, sign-in link or refresh token: ``id`` is the SHA-256 of the
    #: secret sent to the learner (never the secret), with ``kind``, ``learner_id``,
    #: ``expires_on`` and ``uses`` (graph/learner_queries.py).
    ACCESS_TOKEN = "AccessToken"
    #: A code an organisation hands out at an offline event; ``code_hash`` is the
    #: SHA-256 of the code (never the code).
    CLAIM_CODE = "ClaimCode"
    #: An organisation's uploaded image of a badge (PNG or sanitised SVG, base64).
    BADGE_IMAGE = "BadgeImage"


class Rel(StrEnum):
    """Relationship types."""

    OFFERS = "OFFERS"
    AWARDS = "AWARDS"
    DEFINES = "DEFINES"
    ALIGNS_TO = "ALIGNS_TO"
    IN_THEME = "IN_THEME"
    LEADS_TO = "LEADS_TO"
    LOCATED_IN = "LOCATED_IN"
    ISSUED = "ISSUED"
    OF = "OF"
    TO = "TO"
    AUTHORED = "AUTHORED"
    TOWARDS = "TOWARDS"
    HAS_STEP = "HAS_STEP"
    ACCEPTS = "ACCEPTS"
    #: ``(:Pathway)-[:COMPLETES_WITH]->(:Badge)``: the badge awarded when every
    #: (non-optional) step of the pathway is met; at most one per pathway.
    COMPLETES_WITH = "COMPLETES_WITH"
    #: ``(:Place)-[:WITHIN]->(:Place)``: a venue lies within a district (any depth, no cycle).
    WITHIN = "WITHIN"
    #: ``(:Learner)-[:LIVES_IN]->(:Place)``: a learner's home place (a district).
    LIVES_IN = "LIVES_IN"
    #: ``(:Learner)-[:INTERESTED_IN]->(:Theme|:Destination)``: a learner's stated interests.
    INTERESTED_IN = "INTERESTED_IN"
    #: ``(:Learner)-[:ENROLLED_IN {on}]->(:Pathway)``: a learner started a pathway.
    ENROLLED_IN = "ENROLLED_IN"
    #: ``(:ClaimCode)-[:GRANTS]->(:Badge)``: the badge a claim code awards.
    GRANTS = "GRANTS"
    #: ``(:ClaimCode)-[:AT]->(:Opportunity)``: where a claim code is handed out.
    AT = "AT"
    #: ``(:Learner)-[:CLAIMED {on, assertion_id}]->(:ClaimCode)``: one claim per learner.
    CLAIMED = "CLAIMED"
    #: ``(:BadgeImage)-[:DEPICTS]->(:Badge)``: an uploaded badge image.
    DEPICTS = "DEPICTS"


#: The ``source`` of what a learner's portfolio import made (``openbadges/importing.py``):
#: the award, and the issuer and badge it named when the graph had no such node
#: (never the city's: ``graph.queries._fragments._in_city``).
IMPORTED = "import"


class AssertionStatus(StrEnum):
    """Lifecycle of an Assertion.

    ``issued`` awaits the learner; ``accepted`` counts toward the portfolio;
    ``declined`` and ``revoked`` stay on record but never count.
    """

    ISSUED = "issued"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


#: Labels whose ``id`` is unique (all of them).
UNIQUE_ID_LABELS: tuple[Label, ...] = tuple(Label)

#: Extra (label, property) range indexes that queries filter on.
INDEXES: tuple[tuple[Label, str], ...] = (
    (Label.ASSERTION, "status"),
    (Label.ASSERTION, "expires_on"),
    (Label.BADGE, "name"),
    (Label.FEED_ENTRY, "seq"),
    (Label.CLAIM_CODE, "code_hash"),
    # an award's claim links, ended when it is answered (every accept and decline), and a
    # learner's links, ended at sign-out: without these each read every token of the city
    (Label.ACCESS_TOKEN, "assertion_id"),
    (Label.ACCESS_TOKEN, "learner_id"),
    # the completions stored without a recipient, named at every start of the API
    # (``queries.UNNAMED_COMPLETIONS``): without it that read every assertion of the city
    (Label.ASSERTION, "source"),
)
