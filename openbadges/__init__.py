"""Open Badges publishing, keys, signing, baking and verification.

- ``keys``: per-organisation Ed25519 issuer keys and the recipient pepper,
  as files under the data directory (never in the graph).
- ``documents``: the OB 2.0 hosted documents (Issuer Profile, CryptographicKey,
  BadgeClass, Assertion, RevocationList) and the OB 3.0 OpenBadgeCredential,
  signed as VC-JWT and as a Data Integrity proof, with Bitstring status lists.
- ``images``: a generated SVG / PNG per badge, uploads checked, and baked downloads;
  ``baked``: the award a presented PNG or SVG carries (one award per image).
- ``verify``: a verification report for an OB 2.0 assertion, an OB 3.0
  credential or a baked image; ``recognise``: what a presented input is (hosted,
  signed, a credential, a JWS, an assertion stripped down after revocation).
- ``origins``: URLs read as a WHATWG parser reads them, and origins (host and port) compared.
- ``importing``: a learner adds a badge earned elsewhere to their portfolio.
- ``rules``: rules about presented documents that verify, import and ingest share.
- ``schema`` (with ``schemas/``): the OB 2.0 JSON Schemas documents are checked against.

OB 3.0 signing and verification use ``openbadgeslib`` (LGPLv3), which also
bundles the JSON-LD contexts, so nothing here needs the network.
"""
