"""Learners getting in, as graph operations: single-use links and claim codes (a
learner's own profile: ``graph/profiles.py``; pathway enrolments: ``graph/enrolments.py``;
their progress: ``recommender/progress.py``).

Secrets (a claim link's or sign-in link's token, a refresh token, a claim
code) are made here with ``secrets`` and handed to the caller once; the graph
keeps only their SHA-256 (the secrets carry at least 60 random bits and are
rate-limited where typed, so a fast hash is enough: there is nothing to
brute-force offline that the rate limit does not already bound online).

Statements: ``graph/learner_queries.py``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Sequence

from colearn.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorised, refuse
from colearn.graph import feed
from colearn.graph import learner_queries as lq
from colearn.graph import queries, references
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore

#: Kinds of ``AccessToken``.
CLAIM, SIGNIN, REFRESH = "claim", "signin", "refresh"
#: Random bytes in a token's secret; it is ``secrets.token_urlsafe(TOKEN_BYTES)``: ``TOKEN_LENGTH``
#: characters of ``TOKEN_CHARS`` (the pages know the length too: ``linkToken`` in learner.js).
TOKEN_BYTES = 32
TOKEN_LENGTH = 43
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")
#: Claim codes use Crockford's base32 alphabet (no I, L, O, U): easy to read aloud and type.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Characters in a claim code: 12 x 5 bits = 60 random bits.
CODE_LENGTH = 12
#: Most learners one code may serve.
MAX_CLAIMS_LIMIT = 10_000


def digest(secret: str) -> str:
    """SHA-256 hex of a secret: what the graph keeps instead of it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else int(now)


def _when(epoch_s: int) -> str:
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------
# Single-use (or bounded) tokens
# --------------------------------------------------------------------------

def issue_token(store: GraphStore, kind: str, learner_id: str, ttl_s: int, *, assertion_id: str | None = None,
                max_uses: int = 1, now: int | None = None) -> str:
    """Make a token for a learner and store its hash.

    Args:
        store: the graph.
        kind: ``claim``, ``signin`` or ``refresh``.
        learner_id: who it lets in (the learner need not exist yet for ``signin``).
        ttl_s: lifetime in seconds (> 0).
        assertion_id: for ``claim``: the assertion it claims.
        max_uses: how many times it may be used (1: single-use).
        now: epoch seconds; default now.

    Returns:
        The secret (43 URL-safe characters, 256 random bits); only its SHA-256 is stored.

    Raises:
        InvalidInput: ``ttl_s`` is not positive or ``max_uses`` is below 1 (on ``ttl_s``).
    """
    return issue_tokens(store, kind, [(learner_id, assertion_id)], ttl_s, max_uses=max_uses, now=now)[0]


def issue_tokens(store: GraphStore, kind: str, holders: Sequence[tuple[str, str | None]], ttl_s: int, *,
                 max_uses: int = 1, now: int | None = None) -> list[str]:
    """``issue_token`` for each ``(learner_id, assertion_id or None)`` of ``holders``, stored in one
    statement (a bulk award's claim links: one round trip, not one a row). Returns the secrets, in
    the order of ``holders``. Raises ``InvalidInput`` as ``issue_token``."""
    if ttl_s <= 0 or max_uses < 1:
        raise InvalidInput("a token needs a positive lifetime and at least one use", field="ttl_s")
    t = _now(now)
    secrets_ = [secrets.token_urlsafe(TOKEN_BYTES) for _ in holders]
    rows = []
    for secret, (learner_id, assertion_id) in zip(secrets_, holders):
        props: dict[str, Any] = {"kind": kind, "learner_id": learner_id, "created_on": t,
                                 "expires_on": t + ttl_s, "max_uses": max_uses}
        if assertion_id is not None:
            props["assertion_id"] = assertion_id
        rows.append({"id": digest(secret), "props": props})
    if rows:
        store.write(lq.CREATE_ACCESS_TOKEN, {"rows": rows})
    return secrets_


#: What a learner does when a token of each kind no longer works.
_NEXT_STEP = {CLAIM: "sign in to see your awards, or ask the organisation that awarded it for a new link",
              SIGNIN: "ask for a new sign-in link", REFRESH: "sign in again by email"}


def _explain(store: GraphStore, kind: str, secret: str, now: int, what: str) -> Exception:
    """Why a token is refused, and what to do: not valid (401), ended (signed out, or a
    used refresh token presented again), expired or already used (409)."""
    rows = store.read(lq.PEEK_ACCESS_TOKEN, {"id": digest(secret), "kind": kind})
    then = _NEXT_STEP.get(kind, "ask for a new one")
    if not rows:
        return Unauthorised(f"this {what} is not valid: {then}")
    row = rows[0]
    if row.get("ended_why") == "answered":
        return Conflict(f"this {what} was ended at {_when(row['ended_on'])}: its award was accepted or declined "
                        f"another way, so the link no longer answers it or signs in: {then}")
    if row.get("ended_on") is not None:
        return Conflict(f"this {what} was ended at {_when(row['ended_on'])} (a sign-out, or a used refresh "
                        f"token presented again): {then}")
    if row["expires_on"] <= now:
        return Conflict(f"this {what} expired at {_when(row['expires_on'])}: {then}")
    return Conflict(f"this {what} has already been used: {then}")


def peek_token(store: GraphStore, kind: str, secret: str, *, what: str = "link",
               now: int | None = None) -> dict[str, Any]:
    """A token's ``{learner_id, assertion_id, expires_on, uses, max_uses, used_on}`` without using it.

    Raises:
        Unauthorised: unknown token. Conflict: used up or expired (the message says which).
    """
    t = _now(now)
    rows = store.read(lq.PEEK_ACCESS_TOKEN, {"id": digest(secret), "kind": kind})
    if not rows or rows[0]["uses"] >= (rows[0]["max_uses"] or 1) or rows[0]["expires_on"] <= t:
        raise _explain(store, kind, secret, t, what)
    return rows[0]


def use_token(store: GraphStore, kind: str, secret: str, *, what: str = "link",
              now: int | None = None) -> dict[str, Any]:
    """Use a token (atomically: two racing uses of a single-use token cannot both pass).

    Returns:
        ``{learner_id, assertion_id, expires_on}``.

    Raises:
        Unauthorised: unknown token. Conflict: already used, or expired.
    """
    t = _now(now)
    rows = store.write(lq.CONSUME_ACCESS_TOKEN, {"id": digest(secret), "kind": kind, "now": t})
    if not rows:
        raise _explain(store, kind, secret, t, what)
    return rows[0]


def release_token(store: GraphStore, kind: str, secret: str) -> bool:
    """Give a single-use token back, unused, after the action its use paid for failed
    (a claim link whose accept was refused); whether there was one to give back."""
    return bool(store.write(lq.RELEASE_ACCESS_TOKEN, {"id": digest(secret), "kind": kind}))


def use_refresh_token(store: GraphStore, secret: str, *, now: int | None = None) -> dict[str, Any]:
    """Use a refresh token (``use_token`` of kind ``REFRESH``), ending its learner's
    session when a used one comes back.

    Refresh tokens rotate: each is single use and its use returns the next one. A
    token presented again after its use means two parties hold the chain (the OAuth
    2.0 Security BCP, RFC 9700 section 4.14.2, refresh token rotation); which one is
    the learner cannot be told, so every live refresh token of that learner is ended
    (``end_tokens``), and the learner signs in again by email.

    Returns:
        ``{learner_id, assertion_id, expires_on}``.

    Raises:
        Unauthorised: unknown token. Conflict: expired; or used before, and then
            the learner's refresh tokens are ended and the message says so.
    """
    t = _now(now)
    try:
        return use_token(store, REFRESH, secret, what="refresh token", now=t)
    except Conflict:
        rows = store.read(lq.PEEK_ACCESS_TOKEN, {"id": digest(secret), "kind": REFRESH})
        if not rows or rows[0]["used_on"] is None:
            raise  # expired unused: nothing was replayed
        end_tokens(store, rows[0]["learner_id"], [REFRESH], now=t)
        raise Conflict("this refresh token has already been used, so it may have been copied: every "
                       "refresh token of this learner is now ended; sign in again by email") from None


def end_tokens(store: GraphStore, learner_id: str, kinds: Sequence[str], *, now: int | None = None) -> int:
    """Expire a learner's live tokens of ``kinds`` now (sign-out); returns how many."""
    rows = store.write(lq.END_ACCESS_TOKENS, {"learner_id": learner_id, "kinds": list(kinds), "now": _now(now)})
    return int(rows[0]["ended"]) if rows else 0


def forget_expired_tokens(store: GraphStore, *, older_than_s: int = 7 * 86400, now: int | None = None) -> int:
    """Delete tokens that expired more than ``older_than_s`` ago; returns how many."""
    rows = store.write(lq.DELETE_EXPIRED_ACCESS_TOKENS, {"before": _now(now) - older_than_s})
    return int(rows[0]["deleted"]) if rows else 0


def ensure_learner(store: GraphStore, learner_id: str, *, now: int | None = None) -> bool:
    """Create the learner if absent (first sign-in); True when it was created."""
    rows = store.write(lq.ENSURE_LEARNER, {"id": learner_id, "props": {"source": "signin",
                                                                        "created_on": _now(now)}})
    return bool(rows and rows[0]["created"])


def learner_exists(store: GraphStore, learner_id: str) -> bool:
    """Whether a learner node has this id."""
    return bool(store.read(queries.GET_LEARNER, {"learner_id": learner_id}))


# --------------------------------------------------------------------------
# Claim codes
# --------------------------------------------------------------------------

def new_code() -> str:
    """A fresh claim code, ``XXXX-XXXX-XXXX`` in ``CODE_ALPHABET`` (60 random bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(typed: str) -> str:
    """A typed code as issued: upper case, separators and spaces dropped, O read
    as 0 and I/L as 1 (Crockford), regrouped ``XXXX-XXXX-XXXX``.

    Raises:
        InvalidInput: not ``CODE_LENGTH`` characters of the alphabet.
    """
    text = re.sub(r"[\s\-_.]", "", typed or "").upper().translate(str.maketrans("OIL", "011"))
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        raise InvalidInput(f"a claim code has {CODE_LENGTH} letters and digits, like ABCD-2345-WXYZ",
                           field="code")
    return "-".join(text[i:i + 4] for i in range(0, CODE_LENGTH, 4))


@dataclass(frozen=True)
class NewClaimCode:
    """A claim code just made: ``code`` is its only copy; ``record`` is ``GET_CLAIM_CODE``'s shape."""

    code: str
    record: dict[str, Any]


def create_claim_code(store: GraphStore, organisation_id: str, *, badge_id: str, opportunity_id: str,
                      valid_from: int, valid_until: int, max_claims: int, session: str | None = None,
                      now: int | None = None) -> NewClaimCode:
    """Create a claim code for an opportunity (or a session of it) that awards a badge.

    Args:
        store: the graph.
        organisation_id: the organisation handing it out; it must define the
            badge and offer the opportunity.
        badge_id: the badge a claim awards: one the opportunity awards, and no
            pathway's completion badge (a completion is earned by meeting the steps).
        opportunity_id: where it is handed out (named in the award's evidence).
        valid_from: epoch seconds from which it may be claimed.
        valid_until: epoch seconds until which it may be claimed (after ``valid_from``).
        max_claims: how many learners may claim it (1 to ``MAX_CLAIMS_LIMIT``).
        session: a free-text session label (e.g. ``Saturday 14:00``), shown in the evidence.
        now: epoch seconds; default now.

    Raises:
        InvalidInput: a bad window or limit (``valid_until`` not after ``valid_from``
            or not after ``now``; ``max_claims``); an
            unknown badge or opportunity (``badge_id``, ``opportunity_id``: both, when
            both are unknown, as ``InvalidInputs``); or (``badge_id``) a badge the
            opportunity does not award (the message lists those it does), or a
            pathway's completion badge (the message names the pathways).
        Forbidden: the badge or opportunity belongs to another organisation.
    """
    if valid_until <= valid_from:
        raise InvalidInput("valid_until must be after valid_from", field="valid_until")
    if valid_until <= _now(now):
        raise InvalidInput(f"valid_until ({_when(valid_until)}) has passed: a code must be claimable after it "
                           "is made", field="valid_until")
    if not 1 <= max_claims <= MAX_CLAIMS_LIMIT:
        raise InvalidInput(f"max_claims is 1 to {MAX_CLAIMS_LIMIT}", field="max_claims")
    code = new_code()
    code_id = "cc-" + secrets.token_hex(8)
    props = {"code_hash": digest(code), "hint": code[-4:], "session": session, "valid_from": int(valid_from),
             "valid_until": int(valid_until), "max_claims": int(max_claims), "created_on": _now(now),
             "organisation_id": organisation_id}
    rows = store.write(lq.CREATE_CLAIM_CODE, {"id": code_id, "organisation_id": organisation_id,
                                              "badge_id": badge_id, "opportunity_id": opportunity_id,
                                              "props": {k: v for k, v in props.items() if v is not None}})
    if not rows:
        raise _code_refusal(store, organisation_id, badge_id, opportunity_id)
    return NewClaimCode(code, get_claim_code(store, code_id))


def _code_refusal(store: GraphStore, organisation_id: str, badge_id: str, opportunity_id: str) -> Exception:
    """Why ``CREATE_CLAIM_CODE`` made no code: an unknown badge or opportunity, each
    named on its field as the catalogue API names an unknown reference (both looked
    up in one ``references.missing``; raised, as ``InvalidInputs`` when both),
    another organisation's (Forbidden), a badge the opportunity does not award, or
    a pathway's completion badge (InvalidInput on ``badge_id``)."""
    refs = ((Label.BADGE, badge_id, "badge_id"), (Label.OPPORTUNITY, opportunity_id, "opportunity_id"))
    unknown = references.missing(store, {label: [ident] for label, ident, _ in refs})
    refuse([InvalidInput(f"unknown {label} '{ident}'", field=field) for label, ident, field in refs
            if ident in unknown[label]])
    fit = store.read(lq.CLAIM_CODE_BADGE_FIT, {"badge_id": badge_id, "opportunity_id": opportunity_id})[0]
    if organisation_id not in fit["definers"] or organisation_id not in fit["offerers"]:
        return Forbidden(f"organisation '{organisation_id}' must define badge '{badge_id}' and offer "
                         f"opportunity '{opportunity_id}' to hand out codes for them")
    if badge_id not in fit["awarded"]:
        awarded = ", ".join(f"'{b}'" for b in sorted(fit["awarded"])) or "no badges"
        return InvalidInput(f"opportunity '{opportunity_id}' does not award badge '{badge_id}': a code is for "
                            f"a badge the opportunity awards, and it awards {awarded}", field="badge_id")
    pathways = ", ".join(f"'{p}'" for p in sorted(fit["completes"]))
    return InvalidInput(f"badge '{badge_id}' is the completion badge of pathway {pathways}: it is earned by "
                        "meeting the pathway's steps, never with a code", field="badge_id")


def get_claim_code(store: GraphStore, code_id: str) -> dict[str, Any]:
    """A claim code's record (``GET_CLAIM_CODE``), never the code. Raises ``NotFound``."""
    rows = store.read(lq.GET_CLAIM_CODE, {"id": code_id})
    if not rows:
        raise NotFound(f"claim code '{code_id}' does not exist")
    return rows[0]["code"]


def list_claim_codes(store: GraphStore, organisation_id: str) -> list[dict[str, Any]]:
    """An organisation's claim codes, newest first."""
    return [r["code"] for r in store.read(lq.LIST_CLAIM_CODES, {"organisation_id": organisation_id})]


def revoke_claim_code(store: GraphStore, code_id: str, *, organisation_id: str | None,
                      now: int | None = None) -> dict[str, Any]:
    """Revoke a code: later claims are refused. ``organisation_id`` None: an admin.

    Raises:
        NotFound: no such code of that organisation.
    """
    if not store.write(lq.REVOKE_CLAIM_CODE, {"id": code_id, "organisation_id": organisation_id,
                                              "now": _now(now)}):
        raise NotFound(f"claim code '{code_id}' does not exist")
    return get_claim_code(store, code_id)


def find_claim_code(store: GraphStore, typed: str) -> dict[str, Any]:
    """The code a learner typed. Raises ``InvalidInput`` (malformed) or ``NotFound``."""
    rows = store.read(lq.FIND_CLAIM_CODE, {"code_hash": digest(normalise_code(typed))})
    if not rows:
        raise NotFound("no claim code matches: check the letters and digits")
    return rows[0]["code"]


def why_refused(code: dict[str, Any], already: bool, now: int) -> str | None:
    """Why a claim of ``code`` would be refused now, in words a learner reads; None if it would not."""
    if code.get("revoked_on") is not None:
        return "this code has been withdrawn by the organisation"
    if code.get("completes"):
        return (f"this code's badge now completes pathway '{sorted(code['completes'])[0]}': it is earned by "
                "meeting the pathway's steps, not with a code")
    if not code["awarded_at"] or code["organisation_id"] not in code["offerers"]:
        return (f"{code['opportunity_name']} no longer awards this badge with this code; "
                "ask the organisation for a new one")
    if already:
        return "you have already claimed this badge with this code"
    if now < code["valid_from"]:
        return f"this code can be claimed from {_when(code['valid_from'])}"
    if now >= code["valid_until"]:
        return f"this code expired at {_when(code['valid_until'])}"
    if code["claims"] >= code["max_claims"]:
        n = code["max_claims"]
        return f"this code has been claimed by its limit of {n} learner{'s' * (n != 1)}"
    return None


def claim_refusal(store: GraphStore, code: dict[str, Any], learner_id: str, *, now: int | None = None) -> str | None:
    """Why ``learner_id``'s claim of ``code`` (``FIND_CLAIM_CODE``'s shape) would be
    refused now (``why_refused``, in words a learner reads), or None. Reads only:
    ``redeem_claim`` checks again as it records the claim."""
    already = bool(store.read(lq.LEARNER_CLAIM, {"id": code["id"], "learner_id": learner_id}))
    return why_refused(code, already, _now(now))


def redeem_claim(store: GraphStore, code: dict[str, Any], row: dict[str, Any], *,
                 now: int | None = None) -> dict[str, Any]:
    """Record ``row["learner_id"]``'s claim of ``code`` (``FIND_CLAIM_CODE``'s shape) and
    award them its badge from its organisation, in one statement
    (``REDEEM_CLAIM_CODE``, recorded in the change feed): both land or neither does.

    Args:
        row: the award, a checked row of ``queries.AWARD_ASSERTIONS``
            (``domain.award_rows.award_row``) of the code's badge.

    Returns:
        ``{id, created, held}``: ``created``, the new award ``id`` and the claim are
        recorded; else no claim is recorded and the code is not used, and ``id`` is
        the learner's live award of the badge (``held``) or the assertion ``row["id"]``
        already names.

    Raises:
        Conflict: refused (revoked, outside its window, at its limit, claimed
            before by this learner, its badge completes a pathway, or its
            opportunity no longer awards the badge or is no longer offered by
            the code's organisation), with the reason in words.
        NotFound: the learner does not exist.
        Forbidden: the code's organisation no longer defines its badge.
    """
    t = _now(now)
    learner_id = row["learner_id"]
    if not learner_exists(store, learner_id):
        raise NotFound(f"learner '{learner_id}' does not exist")
    rows = store.write(feed.recorded(lq.REDEEM_CLAIM_CODE), {
        "id": code["id"], "learner_id": learner_id, "organisation_id": code["organisation_id"], "now": t,
        "request_id": uuid.uuid4().hex, "row": row, "feed": feed.award_change([row])})
    if not rows:
        fresh = get_claim_code(store, code["id"])
        already = bool(store.read(lq.LEARNER_CLAIM, {"id": code["id"], "learner_id": learner_id}))
        why = why_refused(fresh, already, t)
        if why is None and not learner_exists(store, learner_id):  # erased since the check above
            raise NotFound(f"learner '{learner_id}' does not exist")
        if why is None:
            raise Forbidden(f"badge '{code['badge_id']}' is not defined by '{code['organisation_id']}': "
                            "its claim codes award nothing")
        raise Conflict(why)
    return dict(rows[0])
