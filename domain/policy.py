"""Who may do what to which resource: the one place colearn's access rules live.

Callers are ``Principal``s of four roles (``service/auth.py`` authenticates them):

- ``admin``: an operator's API key; the command line acts as one (``OPERATOR``).
- ``organisation``: an API key bound to one organisation; it changes only what
  that organisation owns.
- ``partner``: a read-only API key bound to web origins (``require_origin``).
- ``learner``: a signed token of one learner; their own records only.

An anonymous caller is ``None`` here: no action is granted to it (the service
answers 401 before asking, or gives it the role ``COLEARN_ANONYMOUS_ROLE`` names).
Public routes (the Open Badges documents, ``POST /verify``, badge images, the
pages, sign-in and claim links, whose token is itself the credential) ask nothing.

A resource is described by a ``Resource``: the organisations that own it and the
learner it belongs to. Each ``Action`` grants some ``Grant``s (``RULES``); a caller
may do it when one of its grants applies. ``docs/roles.md`` is the same rules
per route, checked route by route in ``tests/integration/test_role_matrix.py``.

Domain operations called with an organisation or learner id (``domain.awards``,
the command line's ``--org``) act as ``acting_for(...)``: None is the operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Literal

from colearn.errors import Forbidden, NotShared
from colearn.graph.schema import Label

if TYPE_CHECKING:
    from colearn.graph.issuing import AssertionRecord


class Role(StrEnum):
    """The four kinds of caller."""

    ADMIN = "admin"
    ORGANISATION = "organisation"
    PARTNER = "partner"
    LEARNER = "learner"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    Attributes:
        role: what kind of caller.
        key_id: the API key's id (None for learner tokens and anonymous callers).
        organisation_id: for ``organisation`` keys, the organisation it acts for.
        learner_id: for learner tokens, the learner.
        origins: for ``partner`` keys, the web origins allowed to use it.
    """

    role: Role
    key_id: str | None = None
    organisation_id: str | None = None
    learner_id: str | None = None
    origins: tuple[str, ...] = field(default_factory=tuple)


#: The command line and domain operations called without an organisation: they act for the city.
OPERATOR = Principal(role=Role.ADMIN)


@dataclass(frozen=True)
class Resource:
    """What an action is done to, as far as access goes.

    Attributes:
        noun: how refusals name it (``"badge 'web'"``).
        owners: the organisations that own it (a badge: its issuer; an assertion:
            the organisation that defines its badge, and for a withdrawal also the
            one that issued it; an organisation's records: the organisation).
        learner: the learner it belongs to (their recommendations, portfolio,
            an assertion awarded to them).
        partners_allowed: whether ``learner`` lets partner sites read their
            recommendations (their ``partner_access``, else the city's
            ``COLEARN_PARTNER_ACCESS_DEFAULT``: ``graph.profiles.partner_access``).
    """

    noun: str = "this"
    owners: tuple[str, ...] = ()
    learner: str | None = None
    partners_allowed: bool = True


class Grant(Enum):
    """A reason a caller may act: each ``Action`` lists the grants that let it."""

    ADMIN = "admin"
    #: any organisation key, whatever the resource
    ANY_ORGANISATION = "any organisation"
    #: an organisation key of one of the resource's ``owners``
    OWNING_ORGANISATION = "owning organisation"
    PARTNER = "partner"
    #: a partner key, on a resource whose learner lets partner sites read it (``partners_allowed``)
    PARTNER_OF_LEARNER = "partner the learner allows"
    #: any learner token
    ANY_LEARNER = "any learner"
    #: the token of the resource's ``learner``
    THE_LEARNER = "the learner"


class Action(StrEnum):
    """What a caller asks to do (one per kind of request of the API)."""

    #: the catalogue, published pathways, recommendations for a visitor
    READ_CATALOGUE = "read the catalogue"
    #: a learner's recommendations and interest pathways
    READ_LEARNER = "read a learner's recommendations"
    #: a learner's portfolio, and imports into it
    KEEP_PORTFOLIO = "keep a learner's portfolio"
    #: ``/me``, redeeming a claim code, signing out: for the signed-in learner only
    ACT_AS_LEARNER = "act as the signed-in learner"
    #: accept a claim link's award made to a learner account (the link alone does not sign in)
    CLAIM_LEARNER_AWARD = "claim an award made to a learner account"
    READ_INSIGHTS = "read the city's insights"
    #: organisations (create, delete), themes, destinations, places, spine cells
    CURATE_CITY = "curate the city's catalogue"
    #: an organisation's own badges, opportunities, profile, pathways and badge images
    CHANGE_OWN = "change what an organisation owns"
    #: a draft pathway (others are told it does not exist)
    SEE_DRAFT = "see a draft pathway"
    COMPLETE_PATHWAY = "claim a pathway completion"
    #: award in an organisation's name (single, list, CSV)
    AWARD = "award an organisation's badges"
    #: a badge is awarded only in the name of the organisation that defines it, whoever asks
    ISSUE_BADGE = "issue a badge"
    MANAGE_CLAIM_CODES = "manage an organisation's claim codes"
    #: the awards it issued, its pathways' funnels and uptake
    READ_ORGANISATION_RECORDS = "read an organisation's records"
    READ_ASSERTION = "read an assertion"
    RESPOND_TO_ASSERTION = "accept or decline an assertion"
    REVOKE_ASSERTION = "revoke an assertion"
    WITHDRAW_ASSERTION = "withdraw an assertion"
    #: an award's notice (claim link) sent again, to the address it was made to
    SEND_NOTICE = "send an award's notice"


@dataclass(frozen=True)
class Rule:
    """Who may take an action, and what a refused caller is told (``{noun}`` is the resource's;
    None: worded from ``grants`` for the caller, by ``refusal``)."""

    grants: frozenset[Grant]
    refusal: str | None


def _rule(refusal: str | None, *grants: Grant) -> Rule:
    return Rule(frozenset(grants), refusal)


G = Grant
#: The rules: every action's grants. The role matrix (``docs/roles.md``) is this table per route.
RULES: dict[Action, Rule] = {
    Action.READ_CATALOGUE: _rule("credentials are needed to read the catalogue",
                                 G.ADMIN, G.ANY_ORGANISATION, G.PARTNER, G.ANY_LEARNER),
    # worded from its grants: "only the learner themself may read this" told an organisation key
    # something untrue (a partner or admin key may read it too)
    Action.READ_LEARNER: _rule(None, G.ADMIN, G.PARTNER_OF_LEARNER, G.THE_LEARNER),
    Action.KEEP_PORTFOLIO: _rule("only the learner themself (or an admin) may do this", G.ADMIN, G.THE_LEARNER),
    Action.ACT_AS_LEARNER: _rule("sign in as a learner to do this (these routes act for the signed-in learner "
                                 "only)", G.ANY_LEARNER),
    Action.CLAIM_LEARNER_AWARD: _rule("this badge was awarded to a learner account: sign in to it first, then "
                                      "follow the link", G.THE_LEARNER),
    Action.READ_INSIGHTS: _rule("only admin and organisation keys may read the city's insights",
                                G.ADMIN, G.ANY_ORGANISATION),
    Action.CURATE_CITY: _rule("only admin may change {noun}", G.ADMIN),
    Action.CHANGE_OWN: _rule("only the organisation that owns {noun} (or an admin) may change it",
                             G.ADMIN, G.OWNING_ORGANISATION),
    Action.SEE_DRAFT: _rule("{noun} is a draft of another organisation", G.ADMIN, G.OWNING_ORGANISATION),
    Action.COMPLETE_PATHWAY: _rule("only admin, the pathway's organisation or the learner themself may claim a "
                                   "completion", G.ADMIN, G.OWNING_ORGANISATION, G.THE_LEARNER),
    Action.AWARD: _rule("only {noun} (or an admin) may award its badges", G.ADMIN, G.OWNING_ORGANISATION),
    Action.ISSUE_BADGE: _rule("{noun} is defined by another organisation; only its own organisation may award it",
                              G.OWNING_ORGANISATION),
    Action.MANAGE_CLAIM_CODES: _rule("only {noun} (or an admin) may manage its claim codes",
                                     G.ADMIN, G.OWNING_ORGANISATION),
    Action.READ_ORGANISATION_RECORDS: _rule("only {noun} (or an admin) may see its own awards and pathways",
                                            G.ADMIN, G.OWNING_ORGANISATION),
    Action.READ_ASSERTION: _rule("only the learner, the organisation that issued it or defines its badge, or an "
                                 "admin may read this assertion", G.ADMIN, G.OWNING_ORGANISATION, G.THE_LEARNER),
    Action.RESPOND_TO_ASSERTION: _rule("only the learner it was awarded to (or an admin) may accept or decline an "
                                       "assertion", G.ADMIN, G.THE_LEARNER),
    Action.REVOKE_ASSERTION: _rule("only the organisation that issued the assertion (or an admin) may revoke it",
                                   G.ADMIN, G.OWNING_ORGANISATION),
    Action.WITHDRAW_ASSERTION: _rule("only the organisation that issued the assertion (or an admin) may withdraw it",
                                     G.ADMIN, G.OWNING_ORGANISATION),
    Action.SEND_NOTICE: _rule("only the organisation that issued the assertion (or an admin) may send its notice",
                              G.ADMIN, G.OWNING_ORGANISATION),
}
del G

#: Catalogue labels only the city (admin) writes; an organisation's own nodes are the rest.
CITY_LABELS = frozenset({Label.THEME, Label.DESTINATION, Label.PLACE, Label.SPINE_CELL})


def _grants(principal: Principal | None, resource: Resource | None) -> set[Grant]:
    """The grants ``principal`` holds on ``resource`` (None: on whichever resource suits it best)."""
    if principal is None:
        return set()
    if principal.role == Role.ADMIN:
        return {Grant.ADMIN}
    if principal.role == Role.PARTNER:
        allows = resource is None or resource.partners_allowed
        return {Grant.PARTNER} | ({Grant.PARTNER_OF_LEARNER} if allows else set())
    if principal.role == Role.ORGANISATION and principal.organisation_id:
        owns = resource is None or principal.organisation_id in resource.owners
        return {Grant.ANY_ORGANISATION} | ({Grant.OWNING_ORGANISATION} if owns else set())
    if principal.role == Role.LEARNER and principal.learner_id:
        own = resource is None or principal.learner_id == resource.learner
        return {Grant.ANY_LEARNER} | ({Grant.THE_LEARNER} if own else set())
    return set()


#: How a worded refusal names the callers each grant lets in ({noun}: the resource's).
_GRANTED_TO = {Grant.ADMIN: "an admin key", Grant.ANY_ORGANISATION: "an organisation key",
               Grant.OWNING_ORGANISATION: "the key of the organisation that owns {noun}",
               Grant.PARTNER: "a partner key", Grant.PARTNER_OF_LEARNER: "a partner key the learner allows",
               Grant.ANY_LEARNER: "a learner's token",
               Grant.THE_LEARNER: "the learner's own token"}
_CALLER = {Role.ADMIN: "an admin key", Role.ORGANISATION: "an organisation key", Role.PARTNER: "a partner key",
           Role.LEARNER: "a learner's token"}


def _withheld_from_partner(principal: Principal | None, action: Action) -> bool:
    """Whether ``principal`` is a partner whose role is granted ``action`` only where the
    learner allows partner sites (a refusal of it is the learner's choice)."""
    return (principal is not None and principal.role == Role.PARTNER
            and Grant.PARTNER_OF_LEARNER in RULES[action].grants)


def refusal(principal: Principal | None, action: Action, noun: str = "it") -> str:
    """What ``principal`` (None: anonymous) is told when refused ``action`` on ``noun``: the
    rule's own refusal, or, for a rule without one, what is true for this caller, worded from
    the rule's grants ("an organisation key may not read a learner's recommendations; an admin
    key, a partner key the learner allows or the learner's own token may"). A learner refused where the learner's
    own token is granted is "another learner's token", an organisation refused where the
    owner's key is granted "another organisation's key". A partner refused where a partner the
    learner allows is granted is told that ``noun`` does not let partner sites read them."""
    rule = RULES[action]
    if rule.refusal is not None:
        return rule.refusal.format(noun=noun)
    if _withheld_from_partner(principal, action):
        # the partner may read other learners': the learner chose (PATCH /me partner_access)
        return f"{noun} does not let partner sites read their recommendations"
    if principal is None:
        caller = "a request without credentials"
    elif principal.role == Role.LEARNER and Grant.THE_LEARNER in rule.grants:
        caller = "another learner's token"
    elif principal.role == Role.ORGANISATION and Grant.OWNING_ORGANISATION in rule.grants:
        caller = "another organisation's key"
    else:
        caller = _CALLER[principal.role]
    who = [_GRANTED_TO[g].format(noun=noun) for g in Grant if g in rule.grants]
    may = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} or {who[-1]}"
    return f"{caller} may not {action.value}; {may} may"


def allowed(principal: Principal | None, action: Action, resource: Resource = Resource()) -> bool:
    """Whether ``principal`` (None: anonymous) may take ``action`` on ``resource``.

    A resource left out is nobody's: only grants that need no ownership apply.
    """
    return bool(RULES[action].grants & _grants(principal, resource))


def require(principal: Principal | None, action: Action, resource: Resource = Resource()) -> None:
    """Refuse unless ``allowed(principal, action, resource)``.

    Raises:
        Forbidden: the action's ``refusal`` for the caller, naming ``resource.noun``;
            ``NotShared`` when it is a partner the resource's learner does not allow.
    """
    if not allowed(principal, action, resource):
        error = NotShared if _withheld_from_partner(principal, action) else Forbidden
        raise error(refusal(principal, action, resource.noun))


def require_role(principal: Principal | None, action: Action) -> None:
    """Refuse a caller whose role may never take ``action``, before the resource is read
    (its owner is checked after, with ``require``): an organisation may revoke, a
    partner never.

    Raises:
        Forbidden: the action's ``refusal`` for the caller.
    """
    if not RULES[action].grants & _grants(principal, None):
        raise Forbidden(refusal(principal, action))


def require_origin(principal: Principal, origin: str | None) -> None:
    """A partner key works only from the web origins listed on it: it is meant for
    browsers on those origins (``service.limits.PartnerCORS``), which send ``Origin``
    with every cross-origin request. A request carrying one without an ``Origin``
    (``origin`` None) is refused too.

    Raises:
        Forbidden: a partner key sent from another origin, or with no origin.
    """
    if principal.role != Role.PARTNER or not principal.key_id:
        return
    if origin is None:
        raise Forbidden("a partner key is for browsers on the origins it lists: this request has no Origin "
                        "header (use an organisation or admin key from a server)")
    if origin not in principal.origins:
        raise Forbidden(f"this partner key is not allowed from origin {origin}")


def require_own_organisation(principal: Principal | None, organisation: str | None, *, noun: str,
                             change: Literal["create", "update"], field: str) -> None:
    """An organisation key writes for its own organisation only: it creates records
    in its own name and cannot hand what it owns to another organisation (asked
    after ``require``, which says whether it may change the record at all).

    Args:
        principal: the caller (only an organisation key is refused here).
        organisation: the organisation the written record names as its owner.
        noun: the record, as refusals name it (``opportunity 'nu-opp'``; a plural on
            create: ``badges``).
        change: a new record, or a change to one the caller owns.
        field: the request's field naming ``organisation`` (``body.issuer``).

    Raises:
        Forbidden: ``organisation`` is another organisation than the key's (naming ``field``).
    """
    if principal is None or principal.role != Role.ORGANISATION or organisation == principal.organisation_id:
        return
    own = principal.organisation_id
    if change == "create":
        message = (f"an organisation key creates {noun} for its own organisation only: {field} must be "
                   f"'{own}', not '{organisation}'")
    else:
        message = (f"an organisation key may not hand {noun} to another organisation ('{organisation}'); "
                   f"only admin may move it away from '{own}'")
    raise Forbidden(message, field=field)


def catalogue_action(label: Label, change: Literal["create", "update", "delete"]) -> Action:
    """The action writing a catalogue node is: the city curates its organisations (an
    organisation changes only its own profile), themes, destinations, places and
    spine cells; organisations own their badges, opportunities and pathways."""
    if label in CITY_LABELS or (label == Label.ORGANISATION and change != "update"):
        return Action.CURATE_CITY
    return Action.CHANGE_OWN


def of_assertion(record: AssertionRecord, action: Action) -> Resource:
    """An assertion as a resource, belonging to the learner it was awarded to.

    Owners by action:

    - ``REVOKE_ASSERTION``: the organisation that issued it. A revocation is that
      issuer's statement: it is published in the issuer's own signed RevocationList
      and Bitstring Status List (OB 2.0 "Revocation", OB 3.0 "credentialStatus"),
      so an organisation that defines the badge later (its ``issuer`` changed) does
      not speak for past awards. An award whose issuer is not recorded falls back
      to the badge's organisation. ``SEND_NOTICE`` likewise: the issuer's caps count it.
    - ``WITHDRAW_ASSERTION`` and ``READ_ASSERTION``: the badge's organisation and
      the issuer (a withdrawn award has left its badge; its issuer still reads it).
    - otherwise: the badge's organisation.
    """
    if action in (Action.REVOKE_ASSERTION, Action.SEND_NOTICE):
        owners = [record.issuer_id or record.badge_organisation_id]
    elif action in (Action.WITHDRAW_ASSERTION, Action.READ_ASSERTION):
        owners = [record.badge_organisation_id, record.issuer_id]
    else:
        owners = [record.badge_organisation_id]
    return Resource(f"assertion '{record.id}'", owners=tuple(dict.fromkeys(o for o in owners if o)),
                    learner=record.learner_id)


def draft_viewer(principal: Principal | None) -> str | None:
    """Whose draft pathways the caller may see, as the pathway page statement takes it
    (``queries.PATHWAY_PAGE``'s ``$viewer``): ``'*'`` every organisation's, an
    organisation id its own, None nobody's. The same rule as ``SEE_DRAFT``."""
    if allowed(principal, Action.SEE_DRAFT, Resource()):
        return "*"
    return principal.organisation_id if principal is not None and principal.role == Role.ORGANISATION else None


def acting_for(organisation_id: str | None = None, *, learner_id: str | None = None) -> Principal:
    """The principal a domain operation acts as, given the organisation or learner it
    was called for (the command line's ``--org``); neither: the operator."""
    if organisation_id is not None:
        return Principal(role=Role.ORGANISATION, organisation_id=organisation_id)
    if learner_id is not None:
        return Principal(role=Role.LEARNER, learner_id=learner_id)
    return OPERATOR


def scope(principal: Principal) -> tuple[str | None, str | None]:
    """The ``(organisation_id, learner_id)`` a domain operation is called with for
    ``principal`` (the inverse of ``acting_for``): ``(None, None)`` for admin."""
    if principal.role == Role.ADMIN:
        return None, None
    return principal.organisation_id, principal.learner_id


__all__ = ["OPERATOR", "RULES", "Action", "Grant", "Principal", "Resource", "Role", "Rule", "acting_for",
           "allowed", "catalogue_action", "draft_viewer", "of_assertion", "refusal", "require", "require_origin",
           "require_own_organisation", "require_role", "scope"]
