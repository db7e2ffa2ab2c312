"""Who is calling: API keys for admin, organisation and partner roles; signed learner tokens.

API keys look like ``col_<key id>_<secret>``. The secret is shown once at
creation; the graph keeps only its SHA-256 (the secret is 32 random bytes, so a
fast hash is enough: there is nothing to brute-force). A learner token is a JWT
(RFC 7519) signed with HS256 by the service's token secret, with ``sub`` = the
learner id and an ``exp``.

The roles (``Role``) and what each may do are ``domain/policy.py``'s; this
module only says who is calling (``Principal``, re-exported here).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from colearn.caching import ExpiringCache
from colearn.domain.policy import Principal, Role
from colearn.errors import InvalidInput, NotFound
from colearn.files import read_or_create
from colearn.graph import feed, queries
from colearn.graph.store import GraphStore
from colearn.records.fields import name_problem

KEY_PREFIX = "col"
TOKEN_ALGORITHM = "HS256"
DEFAULT_TOKEN_TTL_S = 3600


@dataclass(frozen=True)
class CreatedKey:
    """A new API key: ``secret`` is the full key, shown once and never stored."""

    id: str
    secret: str
    role: Role
    organisation_id: str | None
    origins: tuple[str, ...]
    name: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: GraphStore, role: Role | str, *, organisation_id: str | None = None,
               origins: list[str] | tuple[str, ...] = (), name: str = "") -> CreatedKey:
    """Create an API key and store its hash.

    Args:
        store: the graph.
        role: ``admin``, ``organisation`` or ``partner`` (learners use tokens).
        organisation_id: required for (and only for) ``organisation`` keys; must exist.
        origins: for ``partner`` keys, the allowed web origins (``https://host[:port]``); at least one.
        name: a label for people (the rule of names, ``records.fields.name_problem``;
            may be empty).

    Returns:
        The key; ``secret`` is the only copy of the full key.

    Raises:
        InvalidInput: a bad role, a missing or superfluous organisation, bad origins, or a
            ``name`` that is no name (a line break, a control or a bidi override).
        NotFound: the organisation does not exist.
    """
    try:
        role = Role(role)
    except ValueError as exc:
        raise InvalidInput(f"unknown role '{role}'", field="role") from exc
    if role == Role.LEARNER:
        raise InvalidInput("learners use signed tokens, not API keys", field="role")
    if (role == Role.ORGANISATION) != (organisation_id is not None):
        raise InvalidInput("an organisation key needs an organisation, and only it may have one",
                           field="organisation_id")
    if name and (problem := name_problem(name)) is not None:  # shown in key lists and logs
        raise InvalidInput(problem, field="name")
    clean_origins = tuple(o.rstrip("/") for o in origins)
    if role == Role.PARTNER and not clean_origins:
        raise InvalidInput("a partner key needs at least one allowed origin", field="origins")
    for o in clean_origins:
        if not (o.startswith("http://") or o.startswith("https://")) or "/" in o.split("://", 1)[1]:
            raise InvalidInput(f"'{o}' is not an origin like https://example.org", field="origins")
    if organisation_id is not None and not store.read(queries.GET_ORGANISATION_ID, {"id": organisation_id}):
        raise NotFound(f"organisation '{organisation_id}' does not exist")
    key_id = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    store.write(queries.CREATE_API_KEY, {
        "id": key_id, "hash": _digest(secret), "role": str(role), "organisation_id": organisation_id,
        "origins": list(clean_origins), "name": name, "created_on": int(time.time())})
    return CreatedKey(key_id, secret, role, organisation_id, clean_origins, name)


def list_keys(store: GraphStore) -> list[dict]:
    """Every key's public fields (never the hash): id, role, organisation_id, origins, name,
    created_on, revoked_on."""
    return [{k: v for k, v in row.items() if k != "hash"} for row in store.read(queries.LIST_API_KEYS)]


def revoke_key(store: GraphStore, key_id: str) -> None:
    """Revoke a key; it stays on record. The change feed records it (``feed.KEYS``), so every
    serving process drops the keys it trusted lately. Raises ``NotFound`` for an unknown id."""
    if not store.write(feed.recorded(queries.REVOKE_API_KEY), {"id": key_id, "revoked_on": int(time.time()),
                                                               "feed": feed.change(feed.KEYS, ids=[key_id])}):
        raise NotFound(f"API key '{key_id}' does not exist")


def principal_for_key(store: GraphStore, presented: str) -> Principal | None:
    """The principal of a presented API key, or None if it is unknown, wrong or revoked."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    rows = store.read(queries.GET_API_KEY, {"id": parts[1]})
    if not rows:
        return None
    row = rows[0]
    if row["revoked_on"] is not None or not hmac.compare_digest(row["hash"], _digest(presented)):
        return None
    return Principal(role=Role(row["role"]), key_id=row["id"], organisation_id=row["organisation_id"],
                     origins=tuple(row["origins"] or ()))


class PrincipalCache(ExpiringCache[str, Principal]):
    """The principals of API keys presented lately, each kept for ``ttl_s`` seconds
    (``COLEARN_KEY_CACHE_SECONDS``; ``colearn.caching.ExpiringCache``).

    Reading the key from the graph on every request was a store round trip
    per request; with this, a key is read once per ``ttl_s``. The price: a key
    revoked (``colearn keys revoke``) keeps working for up to ``ttl_s`` in a
    process that had it cached, or until the change feed brings the revocation, or an
    organisation's change (its deletion revokes its keys): then every serving process
    clears its cache (``service.app``'s feed follower). Unknown keys are never cached.

    Args:
        ttl_s: how long a principal is reused; 0 turns the cache off.
        max_entries: the most keys kept (the least recently used go first).
    """

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        super().__init__(ttl_s, max_entries)


def token_secret(data_dir: Path, configured: str | None = None) -> str:
    """The HS256 secret for learner tokens.

    The configured one (``COLEARN_TOKEN_SECRET``) if set, else one generated on
    first use and kept in ``<data_dir>/token-secret`` with mode 0600 (so every
    replica sharing the data directory agrees). Workers starting together on a
    new data directory agree too: only the first secret written is kept, and
    none is read half-written (``colearn.files.read_or_create``).

    Raises:
        InvalidInput: the file holds no secret (never signs with an empty key).
    """
    if configured:
        return configured
    path = Path(data_dir) / "token-secret"
    secret = read_or_create(path, lambda: secrets.token_urlsafe(48).encode("ascii")).decode().strip()
    if not secret:  # e.g. left by a start-up race before create_once: tokens signed with "" are forgeable
        raise InvalidInput("the token secret file is empty: delete it (a new secret is made on the next "
                           "start; tokens issued before stop working) or set COLEARN_TOKEN_SECRET",
                           file=str(path))
    return secret


def issue_learner_token(secret: str, learner_id: str, ttl_s: int = DEFAULT_TOKEN_TTL_S) -> str:
    """A signed token for one learner, valid for ``ttl_s`` seconds (RFC 7519 ``sub``/``iat``/``exp``)."""
    if ttl_s <= 0:
        raise InvalidInput("a token's lifetime must be positive", field="ttl_s")
    now = int(time.time())
    return jwt.encode({"sub": learner_id, "iat": now, "exp": now + ttl_s, "typ": "learner"},
                      secret, algorithm=TOKEN_ALGORITHM)


def principal_for_token(secret: str, token: str) -> Principal | None:
    """The learner principal of a valid, unexpired token, or None."""
    try:
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "learner":
        return None
    return Principal(role=Role.LEARNER, learner_id=str(claims["sub"]))


__all__ = ["Role", "Principal", "PrincipalCache", "CreatedKey", "create_key", "list_keys", "revoke_key",
           "principal_for_key", "token_secret", "issue_learner_token", "principal_for_token"]
