"""Request and response bodies of the API (pydantic v2)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    """``GET /health``."""

    status: str = Field(examples=["ok"])
    backend: str = Field(description="the graph engine: falkordb or neo4j")
    learners: int = Field(description="learners in the recommender's projection")
    badges: int = Field(description="badges in the recommender's projection")


class OpportunityPublic(BaseModel):
    """An opportunity that awards a recommended badge."""

    id: str
    name: str | None = None
    mode: str | None = None
    url: str | None = None
    organisation_id: str | None = None
    place_id: str | None = None


class NextItem(BaseModel):
    """One recommended badge."""

    badge_id: str
    name: str | None
    score: float = Field(description="the combined score; higher ranks first")
    reasons: list[str] = Field(description="one plain sentence per signal that scored it")
    opportunities: list[OpportunityPublic]


class NextPublic(BaseModel):
    """``GET /learners/{learner_id}/next``."""

    learner_id: str
    items: list[NextItem]


class Problem(BaseModel):
    """An error (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
