"""Redeeming a claim code: the claim and its award, with no second live copy.

``redeem`` records the learner's claim (``graph.access.reserve_claim``: the code's
limits under its lock, then whether the learner holds the badge live under the lock
of the organisation that defines it, the lock a direct award takes) and awards the
badge (``domain.awards.award``, whose write checks again under that lock). A direct
award or pathway completion of the same badge that lands between the two makes the
award answer that copy: the claim is then undone, so the code is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from colearn.domain import awards
from colearn.graph import access
from colearn.graph.issuing import AwardRequest, Recipient, assertion_id_for
from colearn.graph.store import GraphStore


@dataclass(frozen=True)
class Redemption:
    """What a redeemed code gave.

    Attributes:
        assertion_id: the new award (issued, for the caller to accept), or, when
            ``created`` is False, the learner's live award of the badge held before.
        created: False: the learner held the badge live; nothing was awarded and
            the code was not used.
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
    """``learner_id`` claims ``code`` (``FIND_CLAIM_CODE``'s shape) at ``now`` (epoch s).

    Raises:
        Conflict: the claim is refused (``access.why_refused``, in words).
        NotFound: the learner does not exist. (And ``domain.awards.award``'s errors.)
    """
    key = f"claim-code:{code['id']}:{learner_id}"
    assertion_id = assertion_id_for(code["organisation_id"], key)
    held = access.reserve_claim(store, code, learner_id, assertion_id, now=now)
    if held is not None:
        return Redemption(held, created=False)
    evidence = evidence_for(code, now)
    req = AwardRequest(badge_id=code["badge_id"], recipient=Recipient("url", f"{base_url}/learners/{learner_id}"),
                       learner_id=learner_id, evidence_narrative=evidence, idempotency_key=key)
    made = awards.award(store, code["organisation_id"], req, pepper=pepper, base_url=base_url, now=now)
    if made.id != assertion_id:  # a copy made since the claim: the award answered it
        access.release_claim(store, code["id"], learner_id, assertion_id)
        return Redemption(made.id, created=False)
    return Redemption(made.id, created=True, evidence=evidence)
