"""``GET /health``: liveness and what the service holds."""

from __future__ import annotations

from fastapi import APIRouter

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.service.deps import RecommenderDep, StoreDep
from colearn.service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(store: StoreDep, recommender: RecommenderDep) -> Health:
    """Answers when the graph store answers, with its node counts and what ranks recommendations."""
    learners = store.read(queries.count_nodes(Label.LEARNER))[0]["n"]
    badges = store.read(queries.count_nodes(Label.BADGE))[0]["n"]
    ranker = getattr(recommender, "ranker_", None)
    serving = "blend" if ranker is None else ("ranker" if ranker.serve_ == "ranker" else f"signal:{ranker.serve_}")
    return Health(status="ok", backend=store.backend, learners=learners, badges=badges, ranking=serving)
