"""The one IdentityHash rule that verify, import and ingest share.

Open Badges 2.0 ``IdentityObject`` (section "IdentityObject") and OB 3.0
``IdentityObject`` (``identityHash``) publish a recipient as
``<algorithm>$<hex digest>`` of ``identity + salt``. The rule here:

- the algorithm is ``sha256`` or ``md5`` (the two the OB 2.0 IdentityHash
  names), read case-insensitively; the digest is hexadecimal of the
  algorithm's length (64 or 32 digits) and compared case-insensitively
  (OB 2.0 errata #226; 1EdTech validator-core PR #218 compares lower-cased);
- the value is exactly ``<alg>$<hex>``: nothing around it, not even
  spaces (the OB 2.0 schema's pattern; OB 3.0 ``identityHash`` is read by
  the same rule, so a space is refused by every reader alike);
- the salt is optional: absent, JSON ``null`` and ``""`` all mean no salt;
- the normal form kept and compared is ``<algorithm lower>$<hex lower>``.
"""

from __future__ import annotations

import hashlib
import re

#: The IdentityHash algorithms and their hex digest lengths.
ALGORITHMS = {"sha256": 64, "md5": 32}

_FORM = re.compile(r"^([A-Za-z0-9]+)\$([0-9A-Fa-f]+)$")


class IdentityHashError(ValueError):
    """A published value that is not an IdentityHash ``sha256$<64 hex>`` / ``md5$<32 hex>``."""


def parse_identity_hash(value: str) -> tuple[str, str]:
    """``(algorithm, hex digest)``, both lower-cased, of an IdentityHash.

    Raises:
        IdentityHashError: not ``<alg>$<hex>`` (also with spaces around it), an algorithm other than sha256
            or md5, or a digest of the wrong length.
    """
    if isinstance(value, str) and value != value.strip():
        raise IdentityHashError("a hashed identity must be an IdentityHash '<algorithm>$<hex digest>' with "
                                "nothing around it: it has spaces at its start or end")
    m = _FORM.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise IdentityHashError("a hashed identity must be an IdentityHash '<algorithm>$<hex digest>' such as "
                                "'sha256$c7ef86...'")
    alg, digest = m.group(1).lower(), m.group(2).lower()
    if alg not in ALGORITHMS:
        raise IdentityHashError(f"unsupported IdentityHash algorithm '{m.group(1)}' (sha256 or md5)")
    if len(digest) != ALGORITHMS[alg]:
        raise IdentityHashError(f"an {alg} IdentityHash has {ALGORITHMS[alg]} hex digits, not {len(digest)}")
    return alg, digest


def normalise_identity_hash(value: str) -> str:
    """The normal form ``<alg>$<hex>`` (lower case). Raises ``IdentityHashError``."""
    alg, digest = parse_identity_hash(value)
    return f"{alg}${digest}"


def salt_of(salt: str | None) -> str:
    """The salt to hash with: ``None`` (JSON null, absent) and ``""`` are no salt."""
    return salt if isinstance(salt, str) else ""


def compute_identity_hash(plaintext: str, salt: str | None, algorithm: str = "sha256") -> str:
    """``<algorithm>$`` + hex digest of ``plaintext + salt`` (UTF-8)."""
    alg = algorithm.lower()
    if alg not in ALGORITHMS:
        raise IdentityHashError(f"unsupported IdentityHash algorithm '{algorithm}' (sha256 or md5)")
    return f"{alg}$" + hashlib.new(alg, (plaintext + salt_of(salt)).encode("utf-8")).hexdigest()


def identity_hash_matches(published: str, plaintext: str, salt: str | None) -> bool:
    """Whether ``plaintext`` hashes, with ``salt`` and the published algorithm, to
    ``published``; False when ``published`` is not an IdentityHash."""
    try:
        alg, digest = parse_identity_hash(published)
    except IdentityHashError:
        return False
    return compute_identity_hash(plaintext, salt, alg) == f"{alg}${digest}"


__all__ = ["ALGORITHMS", "IdentityHashError", "compute_identity_hash", "identity_hash_matches",
           "normalise_identity_hash", "parse_identity_hash", "salt_of"]
