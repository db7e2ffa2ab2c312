"""What the Open Badges reader produces: the spec constants, the parsed shapes
(``OBDocument`` and its Organisations, Badges, Learners, Assertions) and the
batch report and refusal (see the package docstring for what becomes what)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from colearn.errors import InvalidInput
from colearn.ingest.common import IngestReport

#: ``source`` property of everything this reader writes.
SOURCE = "openbadges"

OB2_SPEC = "https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html"
OB3_SPEC = "https://www.imsglobal.org/spec/ob/v3p0/"
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
#: Other published URLs of the OB 2.0 context.
OB2_CONTEXT_ALIASES = ("https://openbadgespec.org/v2/context.json",)
OB3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"

#: Types that are recognised and reported as not ingested, with the reason.
SKIPPED_TYPES: dict[str, str] = {
    "CryptographicKey": (
        f"a signing key ({OB2_SPEC}#CryptographicKey) is verification material, not a badge "
        "or an award; keys are kept outside the graph"),
    "RevocationList": (
        f"a revocation list ({OB2_SPEC}#RevocationList) is not applied by ingest; revoking "
        "an award is a separate operation on the graph"),
    "Endorsement": (
        f"an endorsement ({OB2_SPEC}#Endorsement) is a claim about another object; the graph "
        "does not hold endorsements"),
    "EndorsementCredential": (
        f"an endorsement credential ({OB3_SPEC}#endorsementcredential) is a claim about "
        "another object; the graph does not hold endorsements"),
}

_CRED_TYPES = {"OpenBadgeCredential", "AchievementCredential"}



# --------------------------------------------------------------------------
# Parsed shapes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class OBOrganisation:
    """An ``Organisation`` to write.

    Attributes:
        id: ``ob-org-<h>``.
        source_url: the Profile's ``id`` IRI.
        props: node properties.
        stub: True for a placeholder (known by URL only).
    """

    id: str
    source_url: str
    props: dict[str, Any]
    stub: bool = False


@dataclass(frozen=True)
class OBBadge:
    """A ``Badge`` to write.

    Attributes:
        id: ``ob-badge-<h>``.
        source_url: the BadgeClass / Achievement ``id`` IRI.
        props: node properties.
        issuer_id: the ``Organisation`` that DEFINES it, if known.
        cells: spine cell ids it ALIGNS_TO.
        stub: True for a placeholder (known by URL only).
    """

    id: str
    source_url: str
    props: dict[str, Any]
    issuer_id: str | None = None
    cells: tuple[str, ...] = ()
    stub: bool = False


@dataclass(frozen=True)
class OBLearner:
    """A ``Learner``: ``ob-<sha256>`` and its hashed identity properties."""

    id: str
    props: dict[str, Any]


#: Every property an imported ``Assertion`` may carry: the keys of the
#: ``queries.merge_assertions_optional_issuer`` statement's ``CREATE`` map. The OB 2.0 and
#: 3.0 readers' (``ob2``, ``ob3``), then those a learner's import of a badge earned
#: elsewhere adds (``openbadges.importing``); of these, ``recipient_learner`` is the
#: Learner id an ingest gives the document's recipient (``fields.learner_id``), kept
#: because the award is TO the importing learner instead: a later ingest of the same
#: award knows it by it (``write._check_assertion_ids``).
ASSERTION_PROPS: tuple[str, ...] = (
    "status", "issued_on", "expires_on", "verification", "evidence_urls", "narrative", "name",
    "source", "source_url", "ob_version",
    "origin", "imported_on", "verified_checks", "verified", "recipient_learner",
)


@dataclass(frozen=True)
class OBAssertion:
    """An ``Assertion`` to write.

    Attributes:
        id: ``ob-assertion-<h>``.
        source_url: the Assertion / credential ``id`` IRI.
        badge_id: the Badge it is OF.
        issuer_id: the Organisation that ISSUED it, if known (OB 2.0: the
            BadgeClass's issuer).
        learner: the recipient.
        props: node properties, keys from ``ASSERTION_PROPS``.

    Raises:
        ValueError: a key of ``props`` not in ``ASSERTION_PROPS`` (a reader's
            bug: the statement would not write it).
    """

    id: str
    source_url: str
    badge_id: str
    issuer_id: str | None
    learner: OBLearner
    props: dict[str, Any]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.props) - set(ASSERTION_PROPS))
        if unknown:
            raise ValueError(f"assertion properties not in ASSERTION_PROPS: {unknown}")


@dataclass
class OBDocument:
    """One parsed, valid Open Badges file.

    Attributes:
        path: the file.
        version: ``"2.0"`` or ``"3.0"``.
        kind: the type read (``Assertion``, ``BadgeClass``, ``Issuer``,
            ``Profile``, ``OpenBadgeCredential``, ``AchievementCredential``,
            ``Achievement``, or a skipped type).
        source_id: the document's ``id``, if it has one.
        organisations: Organisations it carries (full or placeholders).
        badges: Badges it carries (full or placeholders).
        assertions: Assertions it carries.
        skipped: why it is not ingested, for a recognised type that is not;
            None for a document to ingest.
    """

    path: Path
    version: str
    kind: str
    source_id: str | None = None
    organisations: list[OBOrganisation] = field(default_factory=list)
    badges: list[OBBadge] = field(default_factory=list)
    assertions: list[OBAssertion] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class OpenBadgesReport(IngestReport):
    """``IngestReport`` plus what was recognised but not ingested, and the placeholders.

    Attributes:
        skipped: ``[(file, reason)]`` for recognised types that are not ingested.
        stubs: ``[(label, source_url)]`` for placeholders created by this ingest.
    """

    skipped: list[tuple[str, str]] = field(default_factory=list)
    stubs: list[tuple[str, str]] = field(default_factory=list)


class BatchRefused(InvalidInput):
    """A strict batch with refused files: nothing was written.

    Attributes:
        refused: ``[(file, reason)]`` for every refused file.
    """

    def __init__(self, refused: list[tuple[str, str]], total: int) -> None:
        self.refused = list(refused)
        lines = "\n".join(f"  - {f}: {r}" for f, r in self.refused)
        super().__init__(f"{len(self.refused)} of {total} Open Badges file(s) refused; "
                         f"nothing was written:\n{lines}")


