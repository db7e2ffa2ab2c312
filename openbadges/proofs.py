"""The ``signature`` check of ``verify.Verifier``: what secures a presented credential.

Outcomes (a ``report.Check`` named ``signature``; ``ok`` True, False or None):

==========================  =====  ==================================================
no ``proof`` (absent, null)  None   code ``no-proof``: the credential is unsigned, so
                                    nothing vouches for it (VC Data Model 2.0 section
                                    4.12 "Securing Mechanisms": a credential without
                                    one is not verifiable); not valid, not refused
``proof`` not an object or   False  code ``malformed-proof``: Data Integrity section
a non-empty list of objects         2.1 "Proofs" (a proof is a map; a proof set is a
                                    list of them); ``"abc"``, ``[]``, ``[1]``
a VC-JWT / JWS with          False  code ``alg-none``: an Unsecured JWS (RFC 7515
``"alg": "none"``                   appendix A.5, RFC 7518 section 3.6) carries no
                                    signature; RFC 8725 section 3.1 requires it be
                                    refused, also for an issuer whose key is known
another cryptosuite or JOSE  None   code ``unsupported-cryptosuite``: neither verified
algorithm                           nor found false
a proof that does not        False  code ``tampered``
verify
==========================  =====  ==================================================

A proof that verifies under the issuer's key (one of ours) is True; under a
key the credential names itself (did:key, a JOSE ``jwk``) it is None: that
proves integrity, not who the issuer is.
"""

from __future__ import annotations

from typing import Any

import jwt
from openbadgeslib.ob3 import resolve_verification_method, verify_data_integrity_proof

from colearn.openbadges.documents import JWT_ALGORITHM
from colearn.openbadges.report import Check

#: Data Integrity cryptosuites whose proofs are verified here (Ed25519 keys).
SUPPORTED_CRYPTOSUITES = ("eddsa-rdfc-2022",)


def unsecured_jws(token: str) -> Check | None:
    """The failed ``signature`` check for a compact JWS whose header says
    ``"alg": "none"`` (any case) or names no algorithm, else None.

    RFC 7515 section 4.1.1 (``alg`` is required), appendix A.5 and RFC 7518
    section 3.6 (the Unsecured JWS), RFC 8725 section 3.1 (reject it).
    """
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        return None
    if isinstance(alg, str) and alg.strip().lower() != "none":
        return None
    return Check("signature", False, f"the JWS is unsecured (\"alg\": {alg!r}): it carries no signature, and an "
                 "unsigned JWS is never accepted (RFC 8725 section 3.1; RFC 7515)", code="alg-none")


def _proofs(cred: dict[str, Any]) -> list[dict[str, Any]] | Check:
    """The proofs of a Data Integrity credential, or the check that ends it (no proof, malformed)."""
    proof = cred.get("proof")
    if proof is None:
        return Check("signature", None, "the credential has no proof: it is unsigned, so nothing vouches for "
                     "what it says (VC Data Model 2.0 section 4.12)", code="no-proof")
    items = proof if isinstance(proof, list) else [proof]
    if not items or not all(isinstance(p, dict) for p in items):
        return Check("signature", False, f"'proof' must be a proof object or a non-empty list of them (Data "
                     f"Integrity section 2.1), not {_kind(proof)}", code="malformed-proof")
    return items


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else "a list holding " + ", ".join(
            sorted({type(v).__name__ for v in value if not isinstance(v, dict)}))
    return f"{type(value).__name__} {value!r}"[:80]


def signature_check(cred: str | dict[str, Any], pub: bytes | None) -> Check:
    """The ``signature`` check of an OB 3.0 credential (module docstring).

    Args:
        cred: a VC-JWT (compact JWS) or a Data Integrity credential (JSON object).
        pub: the issuer's public key (PEM) when the issuer is ours, else None.

    Returns:
        The check; never raises on a presented credential.
    """
    try:
        if isinstance(cred, str):
            if (unsecured := unsecured_jws(cred)) is not None:
                return unsecured
            key: Any = pub
            header = jwt.get_unverified_header(cred)
            allowed = [JWT_ALGORITHM] if pub is not None else [JWT_ALGORITHM, "ES256", "RS256"]
            if header.get("alg") not in allowed:
                return Check("signature", None, f"unsupported JOSE algorithm {header.get('alg')!r} "
                             f"(verified here: {', '.join(allowed)})", code="unsupported-cryptosuite")
            if key is None:
                if not isinstance(header.get("jwk"), dict):
                    return Check("signature", None, "the issuer's key is not known here")
                key = jwt.PyJWK(header["jwk"]).key
            jwt.decode(cred, key, algorithms=allowed,
                       options={"verify_exp": False, "verify_nbf": False, "verify_aud": False})
            what = "the VC-JWT signature (EdDSA)"
        else:
            proofs = _proofs(cred)
            if isinstance(proofs, Check):
                return proofs
            ours = [p for p in proofs if p.get("type") == "DataIntegrityProof"
                    and p.get("cryptosuite") in SUPPORTED_CRYPTOSUITES]
            if not ours:
                found = sorted({str(p.get("cryptosuite") or p.get("type")) for p in proofs})
                return Check("signature", None, f"unsupported cryptosuite {', '.join(repr(f) for f in found)}: "
                             f"this verifier checks DataIntegrityProof with {', '.join(SUPPORTED_CRYPTOSUITES)}; "
                             "the proof is neither verified nor found false", code="unsupported-cryptosuite")
            vm = ours[0].get("verificationMethod")
            key = pub
            if key is None:
                if not (isinstance(vm, str) and vm.startswith("did:key:")):
                    return Check("signature", None, "the issuer's key is not known here")
                key = resolve_verification_method(vm)
            verify_data_integrity_proof(cred, key)
            what = "the Data Integrity proof (eddsa-rdfc-2022)"
    except Exception as exc:
        return Check("signature", False, f"does not verify: {exc}", code="tampered")
    if pub is None:
        return Check("signature", None, f"{what} verifies under the key the credential names itself; "
                                        "that the issuer owns that key cannot be checked offline")
    return Check("signature", True, f"{what} verifies under the issuer's key")


__all__ = ["SUPPORTED_CRYPTOSUITES", "signature_check", "unsecured_jws"]
