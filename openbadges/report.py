"""The answer of a verification (``verify.Verifier``): a ``VerificationReport``
made of named ``Check`` outcomes, in ``CHECKS`` order. What each check means is
in ``verify``'s docstring; callers (the ``/verify`` route, the portfolio import,
the CLI) read only these shapes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Names of the checks, in the order they are reported.
CHECKS = ("format", "hosted", "issuer", "signature", "expiry", "revocation", "recipient", "library")


@dataclass
class Check:
    """One check: ``ok`` True (passed), False (failed) or None (not made), and why."""

    name: str
    ok: bool | None
    detail: str
    #: A stable reason code for outcomes a caller tells apart: ``revoked``,
    #: ``unsupported-cryptosuite``, ``no-proof``, ``malformed-proof``, ``alg-none``
    #: (``proofs``), ``tampered``, ``origin``, ``dates``, ``ob2-signed-unverifiable``,
    #: ``signed-without-jws``; None otherwise.
    code: str | None = None


@dataclass
class VerificationReport:
    """The outcome of a verification.

    Attributes:
        valid: every check that could be made passed, and the document's
            origin was established (OB 2.0 ``hosted`` or OB 3.0 ``signature``).
        format: ``ob2-hosted``, ``ob2-signed``, ``ob3-vc-jwt`` or ``ob3-data-integrity``.
        id: the assertion's or credential's ``id``.
        checks: the checks, in ``CHECKS`` order.
        assertion_id: the graph id, when the award was issued here.
        baked_in: ``png`` or ``svg`` when the document came out of an image.
    """

    valid: bool
    format: str
    id: str | None
    checks: list[Check] = field(default_factory=list)
    assertion_id: str | None = None
    baked_in: str | None = None

    @property
    def failed(self) -> list[str]:
        """The names of the failed checks."""
        return [c.name for c in self.checks if c.ok is False]

    def refusals(self, *, history: bool = False) -> list[Check]:
        """The failed checks that keep the award out of the graph.

        Args:
            history: loading a record of the past (``colearn ingest openbadges``):
                an award past its expiry is still a badge its recipient earned, so
                a plain expiry is not a refusal; its dates breaking the date rule
                (``expiry`` with code ``dates``) still are. False (a learner's
                import): every failed check is one.
        """
        return [c for c in self.checks if c.ok is False
                and not (history and c.name == "expiry" and c.code != "dates")]

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {**asdict(self), "failed": self.failed}
