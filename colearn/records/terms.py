"""The values a catalogue record's kind and status fields take (ARCHITECTURE.md, "Terms").

They are the vocabulary of the domain rather than of the storage, so they live
here where every layer may import them; ``graph.schema`` re-exports them beside
the labels and relationship types.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OpportunityMode", "PathwayKind", "PathwayStatus", "ThemeKind"]


class ThemeKind(StrEnum):
    """How a city curates a ``Theme``: ``civic``, ``wellbeing`` or ``sector``."""

    CIVIC = "civic"
    WELLBEING = "wellbeing"
    SECTOR = "sector"


class OpportunityMode(StrEnum):
    """Where an ``Opportunity`` happens; ``offline`` and ``blended`` have a ``Place``."""

    ONLINE = "online"
    OFFLINE = "offline"
    BLENDED = "blended"


class PathwayKind(StrEnum):
    """``interest``: made by/for a learner; ``recommended``: authored by an organisation."""

    INTEREST = "interest"
    RECOMMENDED = "recommended"


class PathwayStatus(StrEnum):
    """Lifecycle of a ``Pathway``.

    ``draft`` while authored, ``published`` when offered, ``archived`` when withdrawn.
    Only a published pathway enrols learners and awards its completion badge; a draft or
    an archived one may be published (again: ``service.authoring.set_status``), so
    neither is gone for good as a route to its completion badge
    (``recommender.completions.never_earnable``).
    """

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"
