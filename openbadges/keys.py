"""Issuer keys and the recipient pepper: secrets kept as files, never in the graph.

Each organisation colearn issues for gets an Ed25519 key pair (RFC 8032; JOSE
``EdDSA`` per RFC 8037) when it first awards a badge (a POST); reading or
serving documents (every GET) never creates one (``existing_key``). The private key is a
PKCS#8 PEM file with mode 0600 in ``<data_dir>/issuer-keys/`` (directory mode
0700), named by the SHA-256 of the organisation id so that no id can escape
the folder; the public key is derived from it and published in the issuer
profiles (OB 2.0 ``CryptographicKey``, OB 3.0 ``Multikey``).

A key is created by writing a temporary file and hard-linking it into place,
so two processes racing to create the same organisation's key both end up
using the one that won. Replicas that sign must share the data directory
(as they already share the learner-token secret).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from colearn.errors import ColearnError
from colearn.files import read_or_create

KEYS_DIR = "issuer-keys"
PEPPER_FILE = "recipient-pepper"


def _new_private_pem() -> bytes:
    """A new Ed25519 private key, PKCS#8 PEM, unencrypted."""
    return Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())


@dataclass(frozen=True)
class IssuerKey:
    """One organisation's key pair.

    Attributes:
        organisation_id: whose key it is.
        private_pem: PKCS#8 PEM of the Ed25519 private key (keep it secret).
        public_pem: SubjectPublicKeyInfo PEM of the public key.
    """

    organisation_id: str
    private_pem: bytes
    public_pem: bytes

    def __repr__(self) -> str:  # never print the private key
        return f"IssuerKey(organisation_id={self.organisation_id!r})"


class KeyStore:
    """Issuer keys and the recipient pepper under one data directory.

    Args:
        data_dir: the service's data directory (``Settings.data_dir``).
    """

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self._cache: dict[str, IssuerKey] = {}
        self._lock = threading.Lock()

    @property
    def keys_dir(self) -> Path:
        """The folder of private key files (mode 0700)."""
        return self.data_dir / KEYS_DIR

    def key_path(self, organisation_id: str) -> Path:
        """The private key file of an organisation."""
        name = hashlib.sha256(organisation_id.encode("utf-8")).hexdigest()[:40]
        return self.keys_dir / f"{name}.pem"

    def existing_key(self, organisation_id: str) -> IssuerKey | None:
        """The organisation's key pair if it has one; never creates a key (what
        every read, and so every GET, uses).

        Raises:
            ColearnError: the key file exists but is not an Ed25519 private key.
        """
        with self._lock:
            if organisation_id not in self._cache and not self.key_path(organisation_id).exists():
                return None
        return self.issuer_key(organisation_id)

    def issuer_key(self, organisation_id: str) -> IssuerKey:
        """The organisation's key pair, generated on first use. Only an operation
        that issues for an organisation colearn controls calls this
        (``Publisher.ensure_key``); reads use ``existing_key``.

        Raises:
            ColearnError: the key file exists but is not an Ed25519 private key.
        """
        with self._lock:
            cached = self._cache.get(organisation_id)
            if cached is not None:
                return cached
            path = self.key_path(organisation_id)
            private_pem = read_or_create(path, _new_private_pem, folder_mode=0o700)
            key = serialization.load_pem_private_key(private_pem, password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ColearnError(f"the issuer key file {path} is not an Ed25519 private key")
            public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
            found = IssuerKey(organisation_id, private_pem, public_pem)
            self._cache[organisation_id] = found
            return found

    def recipient_pepper(self) -> bytes:
        """The secret that turns a recipient's email or URL into a learner id
        (``graph.issuing.learner_id_for``); generated on first use, mode 0600."""
        return read_or_create(self.data_dir / PEPPER_FILE, lambda: secrets.token_hex(32).encode("ascii")).strip()
