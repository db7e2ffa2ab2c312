"""Reader for Open Badges 2.0 and 3.0 JSON documents -> graph writes.

Specs: Open Badges 2.0 (OB2_SPEC, sections ``#Assertion``, ``#BadgeClass``,
``#Profile``, ``#IdentityObject``, ``#VerificationObject``, ``#Alignment``) and
Open Badges 3.0 (OB3_SPEC, classes ``AchievementCredential``,
``AchievementSubject``, ``Achievement``, ``Profile``, ``Alignment``,
``IdentityObject``). Every refusal names the section it relies on.

One file holds one JSON object. ``parse_openbadges_document`` reads and
validates one file without touching the store; ``ingest_openbadges`` parses a
batch, checks it against the graph and writes it.

What becomes what:

- OB 2.0 ``Issuer``/``Profile`` and OB 3.0 ``Profile`` (also the ``issuer`` of a
  BadgeClass or credential, and an Achievement's ``creator``) ->
  ``Organisation`` ``ob-org-<h>``.
- OB 2.0 ``BadgeClass`` and OB 3.0 ``Achievement`` (a credential's
  ``credentialSubject.achievement``) -> ``Badge`` ``ob-badge-<h>``, with
  ``(:Organisation)-[:DEFINES]->`` from its issuer (OB 3.0: the Achievement's
  ``creator``, else the credential's issuer). An ``alignment`` whose
  ``targetCode`` is a cell of the city's spine (e.g. ``skills.demonstration``)
  and whose ``targetFramework`` is absent or the spine's framework name
  becomes ``-[:ALIGNS_TO]->`` that ``SpineCell``; every other alignment is kept
  as the parallel list properties ``alignment_names`` / ``alignment_urls``.
- OB 2.0 ``Assertion`` and OB 3.0 ``OpenBadgeCredential`` /
  ``AchievementCredential`` -> ``Assertion`` ``ob-assertion-<h>`` (status
  ``accepted``, ``issued_on`` / ``expires_on`` epoch seconds from ``issuedOn`` /
  ``expires`` or ``validFrom`` / ``validUntil``; OB 3.0 documents written for
  VCDM 1.1 use ``issuanceDate`` / ``expirationDate`` and are read the same way),
  ``-[:OF]->`` its Badge, ``-[:TO]->`` a ``Learner``, ``<-[:ISSUED]-`` its issuer.
  In OB 2.0 an Assertion has no issuer of its own: it is the issuer of its
  BadgeClass, linked as soon as that is known (also by a later ingest).

``<h>`` is the first 20 hex digits of the SHA-256 of the object's ``id`` IRI,
which is kept as ``source_url``: ids are safe in URLs and stable, so a batch
ingested twice changes nothing.

Learners are identified by the recipient, never by a plaintext email:

- the identity kept is an OB IdentityHash ``sha256$<hex>``: as published when
  the recipient is ``hashed``, otherwise computed here from the plaintext and
  the salt exactly as an issuer would (``sha256(identity + salt)``), so the
  same person awarded once hashed and once in plaintext with the same salt is
  one learner. An OB 3.0 subject ``id`` (usually a DID, sometimes a
  ``mailto:``) is hashed the same way (no salt); when it is absent the first
  ``identifier`` IdentityObject is used;
- the Learner id is ``ob-<sha256 of "<IdentityHash>$<salt>">``; the Learner
  keeps ``identity_hash``, ``salt`` and ``recipient_type``, never the plaintext.

An issuer's contact ``email`` and ``telephone`` are validated (OB 2.0 requires
``email`` of an issuer Profile) but not stored: the graph does not need them.

Objects known only by URL. An OB 2.0 Assertion may name its BadgeClass, and a
BadgeClass its issuer, by IRI only. When that object is neither in the same
batch nor already in the graph, a placeholder is written: a ``Badge`` or
``Organisation`` with ``stub: true``, ``source_url`` and the name "Badge at
<url>" / "Issuer at <url>" (the service does not fetch URLs while ingesting).
Placeholders never overwrite an existing node, and ingesting the real object
later replaces the placeholder's properties (``stub: false``) and gives the
waiting assertions their issuer. ``OpenBadgesReport.stubs`` lists them.

Recognised but not ingested (``OpenBadgesReport.skipped``, with the reason):
``CryptographicKey``, ``RevocationList``, ``Endorsement`` (OB 2.0),
``EndorsementCredential`` (OB 3.0) and a revoked OB 2.0 Assertion
(``revoked: true``). Endorsements embedded in other objects are ignored. An
award a learner has imported into their portfolio (``openbadges.importing``) is
passed over too, unchanged, when a document is that same award: its id, its
badge and its recipient (the IdentityHash and salt the import recorded).

Refused (``InvalidInput``, the message names the file and what is wrong):
a file that is not UTF-8 JSON (with the line and column of the JSON error), a
fragment without ``type`` or ``@context``, an object missing a field its spec
requires (the field is named; a credential's ``name`` is optional, as in the
current OB 3.0 data model and JSON Schema), a bad value (e.g. a timestamp
not in XML Schema ``dateTimeStamp`` form, ``openbadges.rules.parse_datetime``, a hashed identity that breaks the IdentityHash rule of
``colearn.identity``, an image data URI that is not PNG or SVG), dates that
break ``openbadges.rules.date_problem`` (expiry at or before issue; issued in
the future or before 1970; an expiry after 2999 is stored as ``colearn.times.LATEST``), a hosted Assertion whose ``id`` is on another host than its
issuer (``openbadges.rules.hosted_origin_problem``), an unknown ``type``, and
an assertion id that the batch or the graph already uses for a different
badge or recipient. Verify and import apply the same rules
(``openbadges.rules``, ``colearn.identity``); embedded objects need no
``@context`` of their own (they share the document's).

Atomicity: every file of a batch is parsed and checked before anything is
written; in strict mode (the default) one refused file refuses the batch and
nothing is written. Writes are idempotent ``MERGE`` statements, one ``UNWIND``
per kind and batch; if the store fails part-way, running the same batch again
completes it.

Modules: ``results`` (constants, parsed shapes, report), ``models`` (the spec's
classes as pydantic models), ``fields`` (parse context, ids, shared field rules),
``ob2`` and ``ob3`` (one spec version each), ``files`` (one file -> one
``OBDocument``), ``write`` (a batch -> graph writes). Everything public is
importable from ``colearn.ingest.openbadges`` itself.
"""

from __future__ import annotations

from colearn.ingest.openbadges.fields import assertion_id, badge_id, hash_identity, learner_id, organisation_id
from colearn.ingest.openbadges.files import parse_openbadges_document
from colearn.ingest.openbadges.models import (
    OB2Alignment,
    OB2Assertion,
    OB2BadgeClass,
    OB2IdentityObject,
    OB2Profile,
    OB2Verification,
    OB3Achievement,
    OB3Alignment,
    OB3Credential,
    OB3IdentityObject,
    OB3Profile,
    OB3Subject,
)
from colearn.ingest.openbadges.results import (
    OB2_CONTEXT,
    OB2_CONTEXT_ALIASES,
    OB2_SPEC,
    OB3_CONTEXT_PREFIX,
    OB3_SPEC,
    SKIPPED_TYPES,
    SOURCE,
    BatchRefused,
    OBAssertion,
    OBBadge,
    OBDocument,
    OBLearner,
    OBOrganisation,
    OpenBadgesReport,
)
from colearn.ingest.openbadges.write import ingest_openbadges, write_documents

__all__ = [
    "OB2_CONTEXT", "OB2_CONTEXT_ALIASES", "OB2_SPEC", "OB3_CONTEXT_PREFIX", "OB3_SPEC", "SKIPPED_TYPES", "SOURCE",
    "BatchRefused", "OB2Alignment", "OB2Assertion", "OB2BadgeClass", "OB2IdentityObject", "OB2Profile",
    "OB2Verification", "OB3Achievement", "OB3Alignment", "OB3Credential", "OB3IdentityObject", "OB3Profile",
    "OB3Subject", "OBAssertion", "OBBadge", "OBDocument", "OBLearner", "OBOrganisation", "OpenBadgesReport",
    "assertion_id", "badge_id", "hash_identity", "ingest_openbadges", "learner_id", "organisation_id",
    "parse_openbadges_document", "write_documents",
]
