"""Redeeming a claim code: the claim and its award, with no second live copy.

``redeem`` checks the award as ``domain.awards.award`` does (the organisation may
issue, the request's values) and then records the learner's claim and the award in
ONE statement (``graph.access.redeem_claim``): the code's limits under its lock,
then, under the lock of the code's organisation (the lock a direct award takes),
whether the learner holds the badge live, and only then the award with the claim.
Both land or neither does, so a failed or lost write leaves the code unused. A
learner who holds the badge live (a direct award or pathway completion, even one
landing a moment before) gets that award back: no award is made and the code is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from colearn.domain import award_rows
from colearn.graph import access
from colearn.graph.issuing import AwardRequest, learner_page
from colearn.graph.store import GraphStore


@dataclass(frozen=True)
class Redemption:
    """What a redeemed code gave.

    Attributes:
        assertion_id: the new award (issued, for the caller to accept), or, when
            ``created`` is False, the learner's live award of the badge held before.
        created: False: the learner held the badge live (or, never in practice, the
            award's id already named an assertion: ``assertion_id``); nothing was
            awarded and the code was not used.
        evidence: the new award's evidence narrative (None when not ``created``).
    """

    assertion_id: str
    created: bool
    evidence: str | None = None


def evidence_for(code: dict[str, Any], now: int) -> str:
    """"claimed with code at <opportunity> (<session>) on <date>"."""
    day = datetime.fromtimestamp(now, UTC).strftime("%d %B %Y")
    place = code["opportunity_name"] or code["opportunity_id"]
    return f"claimed with code at {place}" + (f" ({code['session']})" if code.get("session") else "") + f" on {day}"


def redeem(store: GraphStore, code: dict[str, Any], learner_id: str, *, pepper: bytes, base_url: str,
           now: int) -> Redemption:
    """``learner_id`` claims ``code`` (``FIND_CLAIM_CODE``'s shape) at ``now`` (epoch s):
    one write records the claim and awards the badge (issued, to the learner's page
    ``{base_url}/learners/{learner_id}``, with ``evidence_for``), or neither.

    Raises:
        Conflict: the claim is refused (``access.why_refused``, in words), or the code's
            organisation has no email (``award_rows.check_issuer``).
        NotFound: the learner or the code's organisation does not exist.
        InvalidInput: the award request fails
            ``award_rows.check_request`` (e.g. its idempotency key, ``claim-code:<code
            id>:<learner id>``, longer than ``MAX_KEY_LENGTH``).
        Forbidden: the code's organisation no longer defines its badge.
    """
    key = f"claim-code:{code['id']}:{learner_id}"
    evidence = evidence_for(code, now)
    req = AwardRequest(badge_id=code["badge_id"], recipient=learner_page(base_url, learner_id),
                       learner_id=learner_id, evidence_narrative=evidence, idempotency_key=key)
    award_rows.check_issuer(store, code["organisation_id"])
    issued, expires = award_rows.check_request(req, now)
    row = award_rows.award_row(code["organisation_id"], req, issued, expires, pepper, recorded=now)
    got = access.redeem_claim(store, code, row, now=now)
    if not got["created"]:
        return Redemption(got["id"], created=False)
    return Redemption(got["id"], created=True, evidence=evidence)
