"""An award request made into the row the award statement writes, and an award answer
read back from a statement's row (``domain.awards.award_many`` uses both)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from colearn.errors import InvalidInput
from colearn.graph.issuing import (MAX_KEY_LENGTH, RECIPIENT_TYPES, SOURCE, Award, AwardRequest, assertion_id_for,
                                   epoch, identity_hash, learner_id_for)
from colearn.graph.schema import AssertionStatus
from colearn.openbadges.rules import date_problem

__all__ = ["award_of", "award_row", "check_request", "held_detail"]


def check_request(req: AwardRequest, now: int) -> tuple[int, int | None]:
    """The issue and expiry times (epoch s) of an award request, checked: a known recipient
    type, a plausible email or URL, an http(s) evidence URL, a key of 1 to ``MAX_KEY_LENGTH``
    characters, and the dates verifiers require (``openbadges.rules.date_problem``);
    ``issued_on`` defaults to ``now``.

    Raises:
        InvalidInput: naming the field at fault.
    """
    if req.recipient.type not in RECIPIENT_TYPES:
        raise InvalidInput(f"recipient type must be one of {', '.join(RECIPIENT_TYPES)}", field="recipient.type")
    identity = req.recipient.normalised()
    if not identity:
        raise InvalidInput("recipient identity is empty", field="recipient.identity")
    if req.recipient.type == "email" and ("@" not in identity or " " in identity):
        raise InvalidInput(f"'{identity}' is not an email address", field="recipient.identity")
    if req.recipient.type == "url" and not identity.startswith(("http://", "https://")):
        raise InvalidInput(f"'{identity}' is not an http(s) URL", field="recipient.identity")
    if req.evidence_url is not None and not req.evidence_url.startswith(("http://", "https://")):
        raise InvalidInput(f"'{req.evidence_url}' is not an http(s) URL", field="evidence_url")
    if req.idempotency_key is not None and not 0 < len(req.idempotency_key) <= MAX_KEY_LENGTH:
        raise InvalidInput(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters", field="idempotency_key")
    issued = epoch(req.issued_on, name="issued_on")
    issued = now if issued is None else issued
    expires = epoch(req.expires_on, name="expires_on")
    # the date rule verifiers apply to what is published (an expiry after the issue,
    # an issue date no later than now and its clock skew): an award breaking it would
    # be published only to fail its own /verify
    wrong = date_problem(datetime.fromtimestamp(issued, UTC),
                         None if expires is None else datetime.fromtimestamp(expires, UTC),
                         now=datetime.fromtimestamp(now, UTC), issued_field="issued_on", expires_field="expires_on")
    if wrong is not None:
        raise InvalidInput(wrong[1], field=wrong[0])
    return issued, expires


def award_row(organisation_id: str, req: AwardRequest, issued: int, expires: int | None,
              pepper: bytes) -> dict[str, Any]:
    """The row of ``queries.AWARD_ASSERTIONS`` for a checked request: ``{id, badge_id,
    learner_id, learner_props, props}``, the recipient hashed with a fresh salt and the
    learner the request names, else the one its recipient names (``learner_id_for``)."""
    salt = secrets.token_hex(8)
    props: dict[str, Any] = {
        "status": str(AssertionStatus.ISSUED), "issued_on": issued, "source": SOURCE,
        "recipient_type": req.recipient.type, "recipient_salt": salt,
        "recipient_hash": identity_hash(req.recipient.normalised(), salt),
    }
    optional = {"expires_on": expires, "evidence_url": req.evidence_url,
                "evidence_narrative": req.evidence_narrative, "idempotency_key": req.idempotency_key}
    props.update({k: v for k, v in optional.items() if v is not None})
    learner = req.learner_id or learner_id_for(req.recipient, pepper)
    return {"id": assertion_id_for(organisation_id, req.idempotency_key), "badge_id": req.badge_id,
            "learner_id": learner, "learner_props": {"source": SOURCE}, "props": props}


def award_of(got: dict[str, Any], *, created: bool, detail: str | None = None) -> Award:
    """An ``Award`` from a row of ``AWARD_ASSERTIONS`` or ``LIVE_AWARDS_OF_PAIRS``
    (an award made elsewhere may have no status slot: -1)."""
    index = got.get("status_index")
    return Award(id=got["id"], badge_id=got["badge_id"], learner_id=got["learner_id"], status=got["status"],
                 created=created, issued_on=int(got["issued_on"]), expires_on=got["expires_on"],
                 status_index=-1 if index is None else int(index), detail=detail)


def held_detail(got: dict[str, Any], *, dry_run: bool = False) -> str:
    """What the answer of an award not made says: the learner holds the badge live
    (``got``: the held award's row); in a dry run, that none would be made."""
    waiting = " (awaiting the learner's answer)" if got["status"] == str(AssertionStatus.ISSUED) else ""
    return (f"learner '{got['learner_id']}' already holds badge '{got['badge_id']}' live (assertion "
            f"{got['id']}, {got['status']}{waiting}): no second copy {'would be' if dry_run else 'was'} awarded")
