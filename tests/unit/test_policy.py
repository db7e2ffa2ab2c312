"""The access policy on its own (``domain/policy.py``): every action x every kind of
caller, against a table written out here by hand (the route-level table is
``tests/integration/test_role_matrix.py``)."""

from __future__ import annotations

import pytest

from colearn.domain import policy
from colearn.domain.policy import Action, Principal, Resource, Role
from colearn.errors import Forbidden, NotShared
from colearn.domain.awards import AssertionRecord
from colearn.graph.schema import Label

OWNER, OTHER, SELF, OTHER_LEARNER = "college", "library", "l1", "l2"
#: The resource every row acts on: owned by OWNER, belonging to SELF.
TARGET = Resource("the target", owners=(OWNER,), learner=SELF)

CALLERS: dict[str, Principal | None] = {
    "none": None,
    "admin": Principal(Role.ADMIN, key_id="k0"),
    "org-owner": Principal(Role.ORGANISATION, key_id="k1", organisation_id=OWNER),
    "org-other": Principal(Role.ORGANISATION, key_id="k2", organisation_id=OTHER),
    "partner": Principal(Role.PARTNER, key_id="k3", origins=("https://p.example",)),
    "learner-self": Principal(Role.LEARNER, learner_id=SELF),
    "learner-other": Principal(Role.LEARNER, learner_id=OTHER_LEARNER),
}

#: 1: allowed on TARGET; 0: refused. Columns in CALLERS' order.
TABLE = """
| action                    | none | admin | org-owner | org-other | partner | learner-self | learner-other |
| READ_CATALOGUE            | 0    | 1     | 1         | 1         | 1       | 1            | 1             |
| READ_LEARNER              | 0    | 1     | 0         | 0         | 1       | 1            | 0             |
| KEEP_PORTFOLIO            | 0    | 1     | 0         | 0         | 0       | 1            | 0             |
| ACT_AS_LEARNER            | 0    | 0     | 0         | 0         | 0       | 1            | 1             |
| CLAIM_LEARNER_AWARD       | 0    | 0     | 0         | 0         | 0       | 1            | 0             |
| READ_INSIGHTS             | 0    | 1     | 1         | 1         | 0       | 0            | 0             |
| CURATE_CITY               | 0    | 1     | 0         | 0         | 0       | 0            | 0             |
| CHANGE_OWN                | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| SEE_DRAFT                 | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| COMPLETE_PATHWAY          | 0    | 1     | 1         | 0         | 0       | 1            | 0             |
| AWARD                     | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| ISSUE_BADGE               | 0    | 0     | 1         | 0         | 0       | 0            | 0             |
| MANAGE_CLAIM_CODES        | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| READ_ORGANISATION_RECORDS | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| READ_ASSERTION            | 0    | 1     | 1         | 0         | 0       | 1            | 0             |
| RESPOND_TO_ASSERTION      | 0    | 1     | 0         | 0         | 0       | 1            | 0             |
| REVOKE_ASSERTION          | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| WITHDRAW_ASSERTION        | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
| SEND_NOTICE               | 0    | 1     | 1         | 0         | 0       | 0            | 0             |
"""


def _table() -> list[tuple[Action, str, bool]]:
    lines = [[c.strip() for c in line.strip().strip("|").split("|")] for line in TABLE.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    return [(Action[r[0]], who, r[1 + i] == "1") for r in rows for i, who in enumerate(header)]


def test_the_table_covers_every_action_and_caller() -> None:
    rows = _table()
    assert {a for a, _, _ in rows} == set(Action)
    assert {w for _, w, _ in rows} == set(CALLERS)


@pytest.mark.parametrize("action, who, expected", _table(), ids=lambda v: str(getattr(v, "name", v)))
def test_who_may_do_what(action: Action, who: str, expected: bool) -> None:
    caller = CALLERS[who]
    assert policy.allowed(caller, action, TARGET) is expected
    if expected:
        policy.require(caller, action, TARGET)
        policy.require_role(caller, action)  # a caller allowed on one resource passes the role check
    else:
        with pytest.raises(Forbidden):
            policy.require(caller, action, TARGET)


@pytest.mark.parametrize("action", list(Action))
def test_a_resource_of_nobody_grants_no_ownership(action: Action) -> None:
    """Left out, the resource is owned by no organisation and no learner: an
    organisation or learner key is allowed only what needs no ownership."""
    org, learner = CALLERS["org-owner"], CALLERS["learner-self"]
    assert policy.allowed(org, action) == policy.allowed(CALLERS["org-other"], action, TARGET)
    assert policy.allowed(learner, action) == policy.allowed(CALLERS["learner-other"], action, TARGET)


@pytest.mark.parametrize("action, who, refused", [
    (Action.REVOKE_ASSERTION, "partner", True), (Action.REVOKE_ASSERTION, "learner-self", True),
    (Action.REVOKE_ASSERTION, "org-other", False), (Action.RESPOND_TO_ASSERTION, "org-owner", True),
    (Action.RESPOND_TO_ASSERTION, "learner-other", False), (Action.ACT_AS_LEARNER, "admin", True),
    (Action.READ_INSIGHTS, "none", True), (Action.CURATE_CITY, "org-owner", True),
])
def test_the_role_check_before_the_resource_is_read(action: Action, who: str, refused: bool) -> None:
    """``require_role`` refuses a role that may never take the action, and lets
    through one whose ownership is still to be checked."""
    if refused:
        with pytest.raises(Forbidden):
            policy.require_role(CALLERS[who], action)
    else:
        policy.require_role(CALLERS[who], action)


def test_refusals_name_the_resource() -> None:
    with pytest.raises(Forbidden, match="badge 'web' is defined by another organisation"):
        policy.require(CALLERS["org-other"], Action.ISSUE_BADGE, Resource("badge 'web'", owners=(OWNER,)))
    with pytest.raises(Forbidden, match="only admin may change theme 'green'"):
        policy.require(CALLERS["org-owner"], Action.CURATE_CITY, Resource("theme 'green'"))


@pytest.mark.parametrize("who, told", [
    ("org-owner", "an organisation key may not read a learner's recommendations; "),
    ("learner-other", "another learner's token may not read a learner's recommendations; "),
    ("none", "a request without credentials may not read a learner's recommendations; ")])
def test_a_refusal_worded_from_the_rule_says_what_is_true_for_the_caller(who: str, told: str) -> None:
    """READ_LEARNER's refusal ("only the learner themself may read this") was untrue for an
    organisation key, since partner and admin keys may read too: it is worded from the grants."""
    may = "an admin key, a partner key the learner allows or the learner's own token may"
    with pytest.raises(Forbidden) as info:
        policy.require(CALLERS[who], Action.READ_LEARNER, TARGET)
    assert str(info.value) == told + may
    with pytest.raises(Forbidden, match="^an organisation key may not read a learner's recommendations; an admin"):
        policy.require_role(CALLERS["org-other"], Action.READ_LEARNER)


def test_a_partner_reads_a_learner_only_where_the_learner_allows() -> None:
    """A learner's ``partner_access`` (``Resource.partners_allowed``) is theirs to withhold from
    partner keys alone: refused, the partner is told it is the learner's choice, with its own
    problem type (``NotShared``); admin and the learner themself still read; the catalogue
    stays open to the partner."""
    withheld = Resource("learner 'l1'", owners=(OWNER,), learner=SELF, partners_allowed=False)
    with pytest.raises(NotShared) as info:
        policy.require(CALLERS["partner"], Action.READ_LEARNER, withheld)
    assert str(info.value) == "learner 'l1' does not let partner sites read their recommendations"
    assert NotShared.status == 403 and NotShared.type_slug == "learner-not-shared"
    for who in ("admin", "learner-self"):
        policy.require(CALLERS[who], Action.READ_LEARNER, withheld)
    with pytest.raises(Forbidden) as other:
        policy.require(CALLERS["learner-other"], Action.READ_LEARNER, withheld)
    assert not isinstance(other.value, NotShared)
    assert policy.allowed(CALLERS["partner"], Action.READ_CATALOGUE, withheld)
    policy.require_role(CALLERS["partner"], Action.READ_LEARNER)  # before the learner is read: may be allowed


@pytest.mark.parametrize("label, change, action", [
    (Label.THEME, "update", Action.CURATE_CITY), (Label.SPINE_CELL, "create", Action.CURATE_CITY),
    (Label.DESTINATION, "delete", Action.CURATE_CITY), (Label.PLACE, "update", Action.CURATE_CITY),
    (Label.ORGANISATION, "create", Action.CURATE_CITY), (Label.ORGANISATION, "delete", Action.CURATE_CITY),
    (Label.ORGANISATION, "update", Action.CHANGE_OWN), (Label.BADGE, "create", Action.CHANGE_OWN),
    (Label.OPPORTUNITY, "delete", Action.CHANGE_OWN), (Label.PATHWAY, "update", Action.CHANGE_OWN),
])
def test_catalogue_writes(label: Label, change: str, action: Action) -> None:
    assert policy.catalogue_action(label, change) == action  # type: ignore[arg-type]


def test_draft_viewer() -> None:
    assert policy.draft_viewer(CALLERS["admin"]) == "*"
    assert policy.draft_viewer(CALLERS["org-owner"]) == OWNER
    for who in ("none", "partner", "learner-self"):
        assert policy.draft_viewer(CALLERS[who]) is None


def test_an_assertion_as_a_resource() -> None:
    record = AssertionRecord(id="a1", props={"status": "issued"}, badge_id="web", learner_id=SELF,
                             issuer_id=OTHER, badge_organisation_id=OWNER)
    revoking = policy.of_assertion(record, Action.REVOKE_ASSERTION)
    assert revoking.owners == (OTHER,) and revoking.learner == SELF
    assert policy.of_assertion(record, Action.WITHDRAW_ASSERTION).owners == (OWNER, OTHER)
    assert policy.of_assertion(record, Action.READ_ASSERTION).owners == (OWNER, OTHER)
    # the issuer revokes (the revocation is published under its name), and may withdraw;
    # the badge's organisation, when another (the badge's issuer changed later), may not revoke
    issuer, definer = CALLERS["org-other"], CALLERS["org-owner"]
    assert policy.allowed(issuer, Action.REVOKE_ASSERTION, revoking)
    assert not policy.allowed(definer, Action.REVOKE_ASSERTION, revoking)
    assert policy.allowed(issuer, Action.WITHDRAW_ASSERTION, policy.of_assertion(record, Action.WITHDRAW_ASSERTION))
    # its notice is the issuer's to send again (the issuer's caps count it), not the badge's organisation's
    noticing = policy.of_assertion(record, Action.SEND_NOTICE)
    assert policy.allowed(issuer, Action.SEND_NOTICE, noticing) and not policy.allowed(definer, Action.SEND_NOTICE, noticing)
    # an award whose issuer is not recorded: the badge's organisation
    unknown = AssertionRecord(id="a2", props={}, badge_id="web", learner_id=SELF, issuer_id=None,
                              badge_organisation_id=OWNER)
    assert policy.of_assertion(unknown, Action.REVOKE_ASSERTION).owners == (OWNER,)


def test_acting_for_and_scope_are_inverse() -> None:
    assert policy.acting_for() == policy.OPERATOR and policy.OPERATOR.role == Role.ADMIN
    assert policy.scope(policy.acting_for(OWNER)) == (OWNER, None)
    assert policy.scope(policy.acting_for(learner_id=SELF)) == (None, SELF)
    assert policy.scope(policy.OPERATOR) == (None, None)


def test_partner_origins() -> None:
    partner = CALLERS["partner"]
    assert partner is not None
    policy.require_origin(partner, "https://p.example")
    with pytest.raises(Forbidden, match="no Origin header"):
        policy.require_origin(partner, None)  # not from a browser on its origins
    with pytest.raises(Forbidden, match="origin https://evil.example"):
        policy.require_origin(partner, "https://evil.example")
    admin = CALLERS["admin"]
    assert admin is not None
    policy.require_origin(admin, "https://evil.example")
    policy.require_origin(admin, None)
