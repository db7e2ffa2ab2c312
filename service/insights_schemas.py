"""Response bodies of ``/insights/...`` (pydantic v2).

Every answer has ``insight``, ``params`` and ``privacy``; the rest depends on
the insight (documented on each route). A cell is ``{learners, ..., suppressed}``
where ``suppressed`` is null, ``primary`` (fewer than k learners) or
``complementary`` (hidden so that no total minus the shown cells reveals a
hidden one); a hidden cell's learner-derived numbers are null.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PrivacyPublic(BaseModel):
    """How the answer was protected."""

    min_learners: int = Field(description="k: every published cell counts at least this many learners")
    suppressed_cells: int = Field(description="hidden cells among those in this answer")
    primary: int = Field(description="hidden because they count fewer than k learners")
    complementary: int = Field(description="hidden so that no total minus the shown cells reveals a hidden one")
    note: str


class InsightPublic(BaseModel):
    """An insight: which one, the parameters it was asked with, its privacy note, and its tables."""

    model_config = ConfigDict(extra="allow")

    insight: str = Field(examples=["issued"])
    params: dict[str, Any]
    privacy: PrivacyPublic
