"""A small issuing city for the Open Badges tests: two organisations, badges on the spine, awards."""

from __future__ import annotations

from pathlib import Path

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.spine import ingest_spine
from colearn.openbadges.documents import ObUrls, Publisher
from colearn.openbadges.keys import KeyStore

BASE = "https://badges.city.example"
FRAMEWORK = "Cities of Learning spine"


def seed_issuing_city(store: GraphStore) -> None:
    """Spine, two organisations (``college`` defines ``web``, ``safety`` and ``app``;
    ``club`` defines ``coding``), a theme, and the learner ``se-1``."""
    ingest_spine(store)
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "college", "props": {"name": "Brackenford College", "url": "https://college.example",
                                    "email": "badges@college.example", "description": "FE college"}},
        {"id": "club", "props": {"name": "Code Club", "url": "https://club.example", "email": "hi@club.example"}}]})
    store.write(queries.merge_nodes(Label.THEME), {"rows": [{"id": "digital", "props": {"name": "Digital"}}]})
    badges = [
        ("web", "Web Foundations", "college", ["knowledge.participation"], None),
        ("safety", "Online Safety Aware", "college", ["knowledge.participation", "attitudes_values.participation"], 730),
        ("app", "First Web App", "college", ["skills.demonstration"], None),
        ("coding", "Code Club Member", "club", ["skills.participation"], None),
    ]
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [
        {"id": b, "props": {"name": n, "description": f"{n}: a badge.", "criteria": f"Earn {n}.",
                            "expires_after_days": days}} for b, n, _, _, days in badges]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": b, "targets": [{"id": org, "props": {}}]} for b, _, org, _, _ in badges]})
    store.write(queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                {"rows": [{"id": b, "targets": [{"id": c, "props": {}} for c in cells]} for b, _, _, cells, _ in badges]})
    store.write(queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME),
                {"rows": [{"id": b, "targets": [{"id": "digital", "props": {}}]} for b, *_ in badges]})
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "se-1", "props": {"name": "Sam"}}]})


def publisher(store: GraphStore, data_dir: Path, base: str = BASE) -> Publisher:
    """A ``Publisher`` with keys under ``data_dir``."""
    return Publisher(store, ObUrls(base), KeyStore(data_dir), FRAMEWORK)


#: What a learner's self-signed credential claims, as a tester sent it: a council as its issuer.
COUNCIL = "Brackenford City Council (official)"
PRIZES = "Visit evil.example for free prizes"


def self_signed_credential(email: str, *, issuer: str = COUNCIL, badge: str = PRIZES, n: int = 1) -> str:
    """An OB 3.0 VC-JWT for ``email`` signed with a fresh Ed25519 key of the sender's own
    (no key known to be the issuer's: it imports with ``verified: false``), naming
    ``issuer`` at ``https://council.example/issuer`` and a badge ``badge``."""
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from openbadgeslib.ob3 import Achievement, IdentityObject, Issuer, OB3Signer, OpenBadgeCredential

    key = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    cred = OpenBadgeCredential(
        id=f"https://council.example/credentials/{n}",
        issuer=Issuer(id="https://council.example/issuer", name=issuer),
        recipient_id=None, identifiers=[IdentityObject.create(email, salt="pepper")],
        achievement=Achievement(id=f"https://council.example/achievements/{n}", name=badge,
                                description=f"{badge}: claim them now.", criteria_narrative="Click the link."),
        issuance_date=datetime.now(UTC) - timedelta(days=1))
    return OB3Signer(key, algorithm="EdDSA").sign(cred)
