"""What colearn publishes for an award: Open Badges 2.0 hosted documents and OB 3.0 credentials.

Open Badges 2.0 (IMS Global, "Open Badges v2.0", sections cited below): every
object is JSON-LD with ``@context`` ``https://w3id.org/openbadges/v2``, served
at a stable URL under ``COLEARN_BASE_URL`` (``urls.ObUrls``):

- Issuer ``Profile`` (section "Profile"): id, type, name, url, email, plus
  ``publicKey`` (its ``CryptographicKey``, section "CryptographicKey") and
  ``revocationList`` (section "RevocationList");
- ``BadgeClass`` (section "BadgeClass"): id, type, name, description, image,
  criteria, issuer; ``alignment`` (section "Alignment") carries every spine
  cell (targetName, targetUrl, targetFramework, targetCode) and ``tags`` the
  themes;
- ``Assertion`` (section "Assertion"): id, type, recipient (a salted SHA-256
  ``IdentityObject``, section "IdentityObject"), badge, verification
  (``HostedBadge``, section "VerificationObject"), issuedOn, expires, evidence.
  A revoked assertion answers as section "Assertion" (``revoked``,
  ``revocationReason``) and hosted verification say: HTTP 410 with those members.

Open Badges 3.0 (1EdTech, "Open Badges Specification v3.0"): the same award as
an ``OpenBadgeCredential`` (section 4 data model, a W3C VC Data Model 2.0
credential: ``@context`` VC 2.0 first, then OB 3.0), its ``Achievement`` with
the same alignments, ``validFrom`` / ``validUntil``, the recipient as a hashed
``IdentityObject`` in ``credentialSubject.identifier``, and a
``credentialStatus`` entry into the issuer's revocation list (W3C Bitstring
Status List v1.0, 131,072 entries per list). It is signed two ways with the
issuer's Ed25519 key through ``openbadgeslib``: as a VC-JWT (OB 3.0 section
8.2, JOSE ``EdDSA`` per RFC 7519 / RFC 8037) and with an embedded Data
Integrity proof (OB 3.0 section 8.3, cryptosuite ``eddsa-rdfc-2022``). The
issuer's OB 3.0 Profile publishes the key as a ``Multikey`` verification
method. Documents are deterministic: signing the same award twice gives the
same bytes (Ed25519 signatures are deterministic; the proof's ``created`` is
when this service made the award, ``Publisher.proof_created``).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from openbadgeslib.ob3 import (Achievement, Alignment, Evidence, IdentityObject, Issuer, OB3LdpSigner,
                               OB3Signer, OpenBadgeCredential, add_data_integrity_proof,
                               build_status_list_credential, multikey_from_pem, sign_status_list_credential,
                               status_entry)
from openbadgeslib.ob3.status_list import DEFAULT_SIZE_BITS

from colearn import times
from colearn.config import Settings
from colearn.errors import NotFound
from colearn.graph import issuing, queries
from colearn.graph.issuing import AssertionRecord
from colearn.graph.schema import AssertionStatus
from colearn.graph.store import GraphStore
from colearn.openbadges import images
from colearn.openbadges.keys import IssuerKey, KeyStore
from colearn.openbadges.urls import ObUrls, iso

#: ``source`` of organisations read from other issuers' documents: never published or signed for.
EXTERNAL_SOURCES = ("openbadges", "import")

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
#: Defines ``verificationMethod`` and ``assertionMethod`` (W3C DID v1.0 context), so
#: that a JSON-LD verifier can read the issuer Profile as the controller document
#: that authorises its key for ``assertionMethod`` proofs.
CONTROLLER_CONTEXT = "https://www.w3.org/ns/did/v1"
#: Namespace of the recipients' subject ids (``urn:uuid:`` v5 of the learner id).
SUBJECT_NAMESPACE = uuid.UUID("6f1c3a52-2d0b-5b8e-9a51-6f3c1e0b7a10")
#: Bits per OB 3.0 status list (the Bitstring Status List minimum, 16 KiB).
STATUS_LIST_SIZE = DEFAULT_SIZE_BITS
#: How long a served status list is valid (Bitstring Status List ``validUntil``);
#: verifiers refuse an older copy, so a revocation cannot be replayed away.
STATUS_LIST_VALIDITY = timedelta(days=1)
#: JOSE algorithm of the VC-JWT (RFC 8037).
JWT_ALGORITHM = "EdDSA"

@dataclass(frozen=True)
class Hosted:
    """An OB 2.0 hosted document and the HTTP status to serve it with
    (410 Gone for a revoked assertion)."""

    document: dict[str, Any]
    status: int = 200


def _text(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and value.strip() else fallback


def criteria_text(props: dict[str, Any], badge_id: str) -> str:
    """A badge's criteria as every page and document says them: its ``criteria``, else
    its ``description``, else its name, else its id (OB 2.0 requires a criteria narrative
    or URL; the BadgeClass, the OB 3.0 Achievement and the claim link's ``criteria`` field
    use this one rule; the claim and share pages, which show the description too, show
    ``criteria_beyond_description``). Never empty."""
    name = _text(props.get("name"), badge_id)
    return _text(props.get("criteria"), _text(props.get("description"), name))


def criteria_beyond_description(props: dict[str, Any]) -> str | None:
    """The criteria line the claim and share pages show under a badge's description: its own
    ``criteria`` when they say something its ``description`` does not, else None (the
    documents keep ``criteria_text``)."""
    own, description = props.get("criteria"), props.get("description")
    if not isinstance(own, str) or not own.strip():
        return None
    return None if isinstance(description, str) and own.strip() == description.strip() else own


class Publisher:
    """Builds and signs every document of the awards colearn issued.

    Args:
        store: the graph.
        urls: where documents live.
        keys: the issuer keys.
        framework: the spine's name (alignment ``targetFramework``).
    """

    def __init__(self, store: GraphStore, urls: ObUrls, keys: KeyStore, framework: str) -> None:
        self.store = store
        self.urls = urls
        self.keys = keys
        self.framework = framework

    @classmethod
    def from_settings(cls, store: GraphStore, settings: Settings, keys: KeyStore | None = None) -> "Publisher":
        """A publisher at ``settings.base_url``, with the keys under ``settings.data_dir``."""
        return cls(store, ObUrls(settings.base_url), keys or KeyStore(settings.data_dir), settings.spine_framework)

    # ------------------------------------------------------------------ reads

    def organisation(self, org_id: str) -> dict[str, Any]:
        """An organisation colearn issues for: its properties.

        Raises:
            NotFound: no such organisation, or an external issuer (``controls``
                is False): colearn never publishes or signs as an issuer it
                does not control.
        """
        rows = self.store.read(queries.GET_ORGANISATION, {"id": org_id})
        if not rows:
            raise NotFound(f"organisation '{org_id}' does not exist")
        props = dict(rows[0]["props"])
        if not self.controls(props):
            raise NotFound(f"organisation '{org_id}' is an external issuer (read from {props.get('source_url')}); "
                           "colearn does not publish or sign for an issuer it does not control")
        return props

    @staticmethod
    def controls(props: dict[str, Any]) -> bool:
        """Whether colearn issues for an organisation with these properties: not a
        placeholder and not an issuer read from someone else's Open Badges
        documents (ingest or a learner's import: ``source`` in
        ``EXTERNAL_SOURCES``, or a ``source_url`` naming its own Profile)."""
        return not props.get("stub") and props.get("source") not in EXTERNAL_SOURCES and not props.get("source_url")

    def signing_key(self, org_id: str) -> IssuerKey:
        """The key of an organisation colearn controls; never creates one.

        Raises:
            NotFound: no such organisation, an external issuer, or no key yet (one
                is made when the organisation first awards, ``ensure_key``).
        """
        self.organisation(org_id)
        key = self.keys.existing_key(org_id)
        if key is None:
            raise NotFound(f"organisation '{org_id}' has no signing key yet; one is made when it first awards")
        return key

    def ensure_key(self, org_id: str) -> IssuerKey:
        """The key of an organisation colearn controls, made if it has none: called
        by the operations that issue (award, bulk award, completion), never by a read.

        Raises:
            NotFound: no such organisation, or an external issuer.
        """
        self.organisation(org_id)
        return self.keys.issuer_key(org_id)

    def badge_info(self, badge_id: str) -> dict[str, Any]:
        """A badge with its defining organisation, cells (spine order) and themes.

        Raises:
            NotFound: no such badge, a placeholder, a badge read from another issuer's
                documents (``EXTERNAL_SOURCES``), or no defining organisation, or one
                colearn does not control (``organisation``).
        """
        rows = self.store.read(queries.ISSUING_BADGES, {"badge_ids": [badge_id]})
        if not rows or rows[0]["props"].get("stub") or rows[0]["organisation_id"] is None \
                or rows[0]["props"].get("source") in EXTERNAL_SOURCES:
            raise NotFound(f"badge '{badge_id}' is not published here")
        self.organisation(rows[0]["organisation_id"])
        row = dict(rows[0])
        row["cells"] = sorted(row["cells"], key=lambda c: (c.get("domain_rank") or 0, c.get("layer_rank") or 0))
        row["themes"] = sorted(row["themes"], key=lambda t: t["id"])
        return row

    def issued(self, assertion_id: str) -> AssertionRecord:
        """An assertion colearn issued (an award or a pathway completion; not an
        ingested or imported one), with a recipient to publish: what every hosted
        document (OB 2.0 assertion, OB 3.0 credential, baked images) and the share
        page are made from.

        A declined award is published nowhere. The issuer did issue it and OB 2.0
        has no "declined" state, so keeping it hosted would be defensible; but a
        hosted assertion with the recipient's hash says "this person holds this
        badge", which the learner has refused, so it answers as an assertion this
        service does not host (404, never 410: the learner may still accept, and
        then it is published again). Its 404 says exactly what an id never issued
        says (``assertion '<id>' does not exist``), so nobody learns from it that a
        learner declined something; the organisation's and the learner's own
        (authenticated) views read the record and give its status. Copies taken
        before the decline (a baked image, a VC-JWT) then fail verification
        against the host; the OB 3.0 status list is the issuer's revocation and
        does not mark declines.

        Raises:
            NotFound: not issued by this service (``was not issued by this
                service``), or no such assertion or declined by its learner (both
                ``assertion '<id>' does not exist``, the one message).
        """
        record = issuing.get_assertion(self.store, assertion_id)
        revoked = record.status == AssertionStatus.REVOKED  # kept on record without badge or recipient
        if not record.issued_here or (
                not revoked and (record.badge_id is None or not record.props.get("recipient_hash"))):
            raise NotFound(f"assertion '{assertion_id}' was not issued by this service")
        if record.status == AssertionStatus.DECLINED:
            raise issuing.no_such_assertion(assertion_id)  # the same answer as for an id never issued
        return record

    # ------------------------------------------------------------------ OB 2.0

    def issuer_v2(self, org_id: str) -> dict[str, Any]:
        """OB 2.0 issuer ``Profile`` (section "Profile"); ``publicKey`` once it has a key."""
        org = self.organisation(org_id)
        doc: dict[str, Any] = {
            "@context": OB2_CONTEXT, "id": self.urls.issuer(org_id), "type": "Issuer",
            "name": _text(org.get("name"), org_id), "url": _text(org.get("url"), self.urls.issuer(org_id)),
        }
        if org.get("email"):
            doc["email"] = org["email"]
        if org.get("description"):
            doc["description"] = org["description"]
        if self.keys.existing_key(org_id) is not None:
            doc["publicKey"] = self.urls.issuer_key(org_id)
        doc["revocationList"] = self.urls.revocations(org_id)
        return doc

    def key_v2(self, org_id: str) -> dict[str, Any]:
        """OB 2.0 ``CryptographicKey`` (section "CryptographicKey"): the public key as PEM.
        Raises ``NotFound`` as ``signing_key``."""
        key = self.signing_key(org_id)
        return {"@context": OB2_CONTEXT, "id": self.urls.issuer_key(org_id), "type": "CryptographicKey",
                "owner": self.urls.issuer(org_id), "publicKeyPem": key.public_pem.decode("ascii")}

    def revocation_list(self, org_id: str) -> dict[str, Any]:
        """OB 2.0 ``RevocationList`` (section "RevocationList") of an issuer."""
        self.organisation(org_id)
        revoked = [{"id": self.urls.assertion(r["id"]), "revocationReason": r["reason"] or "revoked"}
                   for r in issuing.revoked_assertions(self.store, org_id)]
        return {"@context": OB2_CONTEXT, "id": self.urls.revocations(org_id), "type": "RevocationList",
                "issuer": self.urls.issuer(org_id), "revokedAssertions": revoked}

    def _alignments(self, info: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for c in info["cells"]:
            item = {"targetName": c.get("name") or c["id"], "targetUrl": self.urls.spine_cell(c["id"]),
                    "targetFramework": self.framework, "targetCode": c["id"]}
            out.append(item)
        return out

    def _image(self, badge_id: str, props: dict[str, Any]) -> str:
        """The badge's image URL (BadgeClass and Achievement ``image``): the uploaded
        image's own kind when it has one, else its catalogue's image URL, else the
        generated SVG (``images.artwork`` answers each)."""
        uploaded = images.uploaded_kind(self.store, badge_id)
        own = props.get("image")
        if uploaded is None and isinstance(own, str) and own.startswith(("http://", "https://")):
            return own
        return self.urls.badge_image(badge_id, uploaded or "svg")

    def badgeclass(self, badge_id: str) -> dict[str, Any]:
        """OB 2.0 ``BadgeClass`` (section "BadgeClass") with spine alignments and theme tags."""
        info = self.badge_info(badge_id)
        props = info["props"]
        name = _text(props.get("name"), badge_id)
        description = _text(props.get("description"), name)
        doc: dict[str, Any] = {
            "@context": OB2_CONTEXT, "id": self.urls.badge(badge_id), "type": "BadgeClass", "name": name,
            "description": description, "image": self._image(badge_id, props),
            "criteria": {"narrative": criteria_text(props, badge_id)},
            "issuer": self.urls.issuer(info["organisation_id"]),
        }
        if info["cells"]:
            doc["alignment"] = self._alignments(info)
        if info["themes"]:
            doc["tags"] = [t.get("name") or t["id"] for t in info["themes"]]
        return doc

    def assertion_v2(self, assertion_id: str) -> Hosted:
        """OB 2.0 hosted ``Assertion`` (section "Assertion"); a revoked one answers
        410 with ``revoked: true`` and its ``revocationReason``. Raises ``NotFound`` as
        ``issued``."""
        record = self.issued(assertion_id)
        p = record.props
        url = self.urls.assertion(assertion_id)
        if record.status == AssertionStatus.REVOKED:
            return Hosted({"@context": OB2_CONTEXT, "id": url, "type": "Assertion", "revoked": True,
                           "revocationReason": p.get("revocation_reason") or "revoked"}, status=410)
        doc: dict[str, Any] = {
            "@context": OB2_CONTEXT, "id": url, "type": "Assertion",
            "recipient": {"type": p["recipient_type"], "hashed": True, "salt": p["recipient_salt"],
                          "identity": p["recipient_hash"]},
            "badge": self.urls.badge(record.badge_id or ""),
            "verification": {"type": "HostedBadge"},
            "issuedOn": iso(p["issued_on"]),
            "image": self.urls.baked(assertion_id, images.uploaded_kind(self.store, record.badge_id or "") or "png"),
        }
        if p.get("expires_on") is not None:
            doc["expires"] = iso(p["expires_on"])
        evidence = {k: v for k, v in (("id", p.get("evidence_url")), ("narrative", p.get("evidence_narrative")))
                    if v}
        if evidence:
            doc["evidence"] = [{"type": "Evidence", **evidence}]
        return Hosted(doc)

    # ------------------------------------------------------------------ OB 3.0

    def issuer_v3(self, org_id: str) -> dict[str, Any]:
        """OB 3.0 ``Profile`` of the issuer, with its Ed25519 key as a ``Multikey``
        verification method (VC Data Integrity; the ``verificationMethod`` of
        every Data Integrity proof it makes)."""
        org = self.organisation(org_id)
        key = self.keys.existing_key(org_id)
        vm = self.urls.verification_method(org_id)
        doc: dict[str, Any] = {
            "@context": [CONTROLLER_CONTEXT, VC2_CONTEXT, OB3_CONTEXT, MULTIKEY_CONTEXT],
            "id": self.urls.issuer_v3(org_id),
            "type": ["Profile"], "name": _text(org.get("name"), org_id),
        }
        for field_name in ("url", "email", "description"):
            if org.get(field_name):
                doc[field_name] = org[field_name]
        if key is not None:
            doc["verificationMethod"] = [{"id": vm, "type": "Multikey", "controller": self.urls.issuer_v3(org_id),
                                          "publicKeyMultibase": multikey_from_pem(key.public_pem)}]
            doc["assertionMethod"] = [vm]
        return doc

    def _achievement(self, badge_id: str) -> Achievement:
        info = self.badge_info(badge_id)
        props = info["props"]
        name = _text(props.get("name"), badge_id)
        description = _text(props.get("description"), name)
        return Achievement(
            id=self.urls.achievement(badge_id), name=name, description=description,
            criteria_narrative=criteria_text(props, badge_id),
            image_url=self._image(badge_id, props), achievement_type="Badge",
            tags=[t.get("name") or t["id"] for t in info["themes"]],
            alignments=[Alignment(target_name=a["targetName"], target_url=a["targetUrl"],
                                  target_framework=a["targetFramework"], target_code=a["targetCode"])
                        for a in self._alignments(info)])

    def achievement_v3(self, badge_id: str) -> dict[str, Any]:
        """OB 3.0 ``Achievement`` of a badge, as a standalone document."""
        return {"@context": [VC2_CONTEXT, OB3_CONTEXT], **self._achievement(badge_id).to_dict()}

    def credential(self, assertion_id: str) -> OpenBadgeCredential:
        """The award as an (unsigned) OB 3.0 ``OpenBadgeCredential``. Raises ``NotFound`` as
        ``issued``, or when its issuer or badge is no longer one colearn publishes."""
        return self._credential(self.issued(assertion_id))

    def _credential(self, record: AssertionRecord) -> OpenBadgeCredential:
        """``credential`` of an award already read (``issued``)."""
        assertion_id = record.id
        p = record.props
        if record.badge_id is None or not p.get("recipient_hash"):
            raise NotFound(f"assertion '{assertion_id}' was withdrawn; only its revocation is published")
        org_id = record.issuer_id or ""
        org = self.organisation(org_id)
        index = int(p.get("status_index") or 0)
        evidence = [Evidence(id=p.get("evidence_url"), narrative=p.get("evidence_narrative"))] \
            if p.get("evidence_url") or p.get("evidence_narrative") else []
        identity_type = "emailAddress" if p["recipient_type"] == "email" else "identifier"
        return OpenBadgeCredential(
            id=self.urls.credential(assertion_id),
            issuer=Issuer(id=self.urls.issuer_v3(org_id), name=_text(org.get("name"), org_id),
                          url=org.get("url"), email=org.get("email")),
            recipient_id=self.subject_id(record.learner_id or ""),
            identifiers=[IdentityObject(identity_hash=p["recipient_hash"], identity_type=identity_type,
                                        hashed=True, salt=p["recipient_salt"])],
            achievement=self._achievement(record.badge_id or ""),
            issuance_date=times.from_epoch(p["issued_on"]),
            expiration_date=(times.from_epoch(p["expires_on"])
                             if p.get("expires_on") is not None else None),
            evidence=evidence,
            credential_status=[status_entry(self.urls.status_list(org_id, index // STATUS_LIST_SIZE),
                                            "revocation", index % STATUS_LIST_SIZE)])

    @staticmethod
    def subject_id(learner_id: str) -> str:
        """The recipient's ``credentialSubject.id`` (and VC-JWT ``sub``): ``urn:uuid:``
        + a UUID v5 of the learner id, stable across every award to the learner
        and carrying no email (learner ids are already keyed hashes)."""
        return f"urn:uuid:{uuid.uuid5(SUBJECT_NAMESPACE, learner_id)}"

    def credential_jwt(self, assertion_id: str) -> str:
        """The credential signed as a VC-JWT (OB 3.0 section 8.2; ``EdDSA``, RFC 8037).
        The JOSE header carries the public key as ``jwk``. Raises ``NotFound`` as
        ``credential``, or when its issuer has no signing key (``signing_key``)."""
        record = self.issued(assertion_id)
        key = self.signing_key(record.issuer_id or "")
        return OB3Signer(key.private_pem, algorithm=JWT_ALGORITHM).sign(self._credential(record))

    def credential_di(self, assertion_id: str) -> dict[str, Any]:
        """The credential with an embedded Data Integrity proof (``eddsa-rdfc-2022``), as a
        proof set of one. Raises ``NotFound`` as ``credential_jwt``."""
        record = self.issued(assertion_id)
        org_id = record.issuer_id or ""
        key = self.signing_key(org_id)
        signer = OB3LdpSigner(key.private_pem, verification_method=self.urls.verification_method(org_id))
        doc = signer.sign(self._credential(record), created=self.proof_created(record))
        # a proof set of one: VC Data Model 2.0 allows an object or a set, and the
        # OB 3.0 JSON Schema (ob_v3p0_achievementcredential_schema) takes only a list
        if isinstance(doc.get("proof"), dict):
            doc["proof"] = [doc["proof"]]
        return doc

    @staticmethod
    def proof_created(record: AssertionRecord) -> datetime:
        """The ``created`` of the award's Data Integrity proof (VC Data Integrity 1.0: when
        the proof was created). The credential is signed afresh at each fetch, and the
        same bytes each time, so ``created`` is when this service made the award and
        took on its content: ``recorded_on`` (``award_rows.award_row``), not the
        ``issued_on`` an issuer may backdate. A pathway completion is issued when it is
        made, and an award stored before ``recorded_on`` was kept has no better
        time than ``issued_on``: both give that."""
        p = record.props
        return datetime.fromtimestamp(int(p.get("recorded_on") or p["issued_on"]), UTC)

    def status_list_jwt(self, org_id: str, n: int, *, now: int | None = None) -> str:
        """The issuer's ``n``-th revocation status list: a ``BitstringStatusListCredential``
        (W3C Bitstring Status List v1.0) signed as a VC-JWT, valid for a day (from ``now``,
        epoch s; default now). Raises ``NotFound`` as ``signing_key``."""
        return sign_status_list_credential(self._status_list(org_id, n, now), self.signing_key(org_id).private_pem,
                                           JWT_ALGORITHM)

    def status_list_ld(self, org_id: str, n: int, *, now: int | None = None) -> dict[str, Any]:
        """The same status list as a JSON-LD credential with a Data Integrity proof
        (``eddsa-rdfc-2022``, the issuer's ``assertionMethod`` key), for verifiers
        that read JSON-LD (Bitstring Status List v1.0 section 3)."""
        vc = self._status_list(org_id, n, now)
        key = self.signing_key(org_id)
        created = datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00"))
        doc = add_data_integrity_proof(vc, key.private_pem, self.urls.verification_method(org_id), created=created)
        if isinstance(doc.get("proof"), dict):
            doc["proof"] = [doc["proof"]]
        return doc

    def _status_list(self, org_id: str, n: int, now: int | None) -> dict[str, Any]:
        self.signing_key(org_id)
        start = n * STATUS_LIST_SIZE
        bits = [int(r["status_index"]) - start for r in issuing.revoked_assertions(self.store, org_id)
                if r["status_index"] is not None and start <= int(r["status_index"]) < start + STATUS_LIST_SIZE]
        issued = datetime.fromtimestamp(now if now is not None else int(time.time()), UTC)
        return build_status_list_credential(self.urls.issuer_v3(org_id), self.urls.status_list(org_id, n),
                                            "revocation", bits, STATUS_LIST_SIZE, issued=issued,
                                            valid_until=issued + STATUS_LIST_VALIDITY)

    # ------------------------------------------------------------------ local fetch

    def fetch(self, url: str) -> bytes:
        """The bytes served at one of our URLs, computed from the graph without
        any network: the document loader that verification hands to
        ``openbadgeslib`` (hosted assertions, issuers, badges, status lists).

        Raises:
            NotFound: ``url`` is not a document published here.
        """
        parsed = self.urls.parse(url)
        if parsed is None:
            raise NotFound(f"{url} is not published by this service (and nothing is fetched over the network)")
        kind, ids = parsed
        if kind in ("baked", "baked_v3"):
            raise NotFound(f"{url} is an image, not a document")
        if kind == "credential_jwt":
            return self.credential_jwt(ids[0]).encode("ascii")
        if kind == "status_list":
            return self.status_list_jwt(ids[0], int(ids[1])).encode("ascii")
        builders = {"issuer": self.issuer_v2, "issuer_key": self.key_v2, "revocations": self.revocation_list,
                    "badge": self.badgeclass, "issuer_v3": self.issuer_v3, "credential": self.credential_di,
                    "assertion": lambda i: self.assertion_v2(i).document}
        return json.dumps(builders[kind](ids[0])).encode("utf-8")
