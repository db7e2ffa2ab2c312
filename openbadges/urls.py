"""The stable URLs of everything colearn publishes for Open Badges (``ObUrls``),
under the service's public base URL, and the one timestamp form they carry
(``iso``). ``documents.Publisher`` builds the documents these URLs name; the
verifier uses ``ObUrls.parse`` to tell our documents from anyone else's."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from colearn import times

_ID = r"([^/?#]+)"


def iso(epoch_s: int) -> str:
    """Epoch seconds as ISO 8601 UTC with ``Z`` (OB 2.0 DateTime, VC ``dateTimeStamp``)."""
    return times.iso_z(epoch_s)


class ObUrls:
    """The stable URLs of everything published, under the public base URL.

    Args:
        base_url: ``Settings.base_url`` (a trailing ``/`` is ignored).
    """

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        b = re.escape(self.base)
        self._patterns: list[tuple[str, re.Pattern[str]]] = [
            ("issuer_key", re.compile(rf"^{b}/ob/v2/issuers/{_ID}/key$")),
            ("revocations", re.compile(rf"^{b}/ob/v2/issuers/{_ID}/revocations$")),
            ("issuer", re.compile(rf"^{b}/ob/v2/issuers/{_ID}$")),
            ("badge", re.compile(rf"^{b}/ob/v2/badges/{_ID}$")),
            ("assertion", re.compile(rf"^{b}/ob/v2/assertions/{_ID}$")),
            ("baked", re.compile(rf"^{b}/ob/v2/assertions/{_ID}/baked\.(png|svg)$")),
            ("status_list", re.compile(rf"^{b}/ob/v3/issuers/{_ID}/status/([0-9]+)$")),
            ("issuer_v3", re.compile(rf"^{b}/ob/v3/issuers/{_ID}$")),
            ("credential", re.compile(rf"^{b}/ob/v3/credentials/{_ID}$")),
            ("credential_jwt", re.compile(rf"^{b}/ob/v3/credentials/{_ID}/jwt$")),
            ("baked_v3", re.compile(rf"^{b}/ob/v3/credentials/{_ID}/baked\.(png|svg)$")),
        ]

    def _u(self, *parts: str) -> str:
        return "/".join([self.base, *[quote(p, safe="") for p in parts]])

    def issuer(self, org_id: str) -> str:
        """OB 2.0 issuer Profile."""
        return self._u("ob", "v2", "issuers", org_id)

    def issuer_key(self, org_id: str) -> str:
        """OB 2.0 CryptographicKey of an issuer."""
        return self.issuer(org_id) + "/key"

    def revocations(self, org_id: str) -> str:
        """OB 2.0 RevocationList of an issuer."""
        return self.issuer(org_id) + "/revocations"

    def badge(self, badge_id: str) -> str:
        """OB 2.0 BadgeClass."""
        return self._u("ob", "v2", "badges", badge_id)

    def badge_image(self, badge_id: str, ext: str = "svg") -> str:
        """The generated badge image (``svg`` or ``png``)."""
        return self.badge(badge_id) + f"/image.{ext}"

    def assertion(self, assertion_id: str) -> str:
        """OB 2.0 hosted Assertion."""
        return self._u("ob", "v2", "assertions", assertion_id)

    def baked(self, assertion_id: str, ext: str) -> str:
        """The badge image baked with the OB 2.0 assertion (``svg`` or ``png``)."""
        return self.assertion(assertion_id) + f"/baked.{ext}"

    def spine_cell(self, cell_id: str) -> str:
        """A page describing one spine cell (an alignment's ``targetUrl``)."""
        return self._u("ob", "spine", cell_id)

    def issuer_v3(self, org_id: str) -> str:
        """OB 3.0 issuer Profile (with its verification method)."""
        return self._u("ob", "v3", "issuers", org_id)

    def verification_method(self, org_id: str) -> str:
        """The Data Integrity ``verificationMethod`` of an issuer's key."""
        return self.issuer_v3(org_id) + "#key-1"

    def status_list(self, org_id: str, n: int) -> str:
        """The issuer's ``n``-th revocation status list (a signed VC-JWT)."""
        return self.issuer_v3(org_id) + f"/status/{n}"

    def achievement(self, badge_id: str) -> str:
        """OB 3.0 Achievement."""
        return self._u("ob", "v3", "achievements", badge_id)

    def credential(self, assertion_id: str) -> str:
        """OB 3.0 OpenBadgeCredential (the Data Integrity form)."""
        return self._u("ob", "v3", "credentials", assertion_id)

    def credential_jwt(self, assertion_id: str) -> str:
        """The VC-JWT form of the credential."""
        return self.credential(assertion_id) + "/jwt"

    def baked_v3(self, assertion_id: str, ext: str) -> str:
        """The badge image baked with the OB 3.0 VC-JWT (``svg`` or ``png``)."""
        return self.credential(assertion_id) + f"/baked.{ext}"

    def parse(self, url: str) -> tuple[str, tuple[str, ...]] | None:
        """Which published document ``url`` names: ``(kind, ids)``, or None when it
        is not one of ours. Kinds: issuer, issuer_key, revocations, badge,
        assertion, issuer_v3, status_list, credential, and an award's other
        downloads: credential_jwt, baked and baked_v3 (ids: the assertion id and
        the image kind, ``png`` or ``svg``)."""
        for kind, pattern in self._patterns:
            m = pattern.match(url.split("#", 1)[0])
            if m:
                return kind, tuple(unquote(g) for g in m.groups())
        return None
