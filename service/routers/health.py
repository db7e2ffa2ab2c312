"""``GET /health``: liveness and what the service holds."""

from __future__ import annotations

from fastapi import APIRouter, Request

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.service.deps import StoreDep
from colearn.service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(request: Request, store: StoreDep) -> Health:
    """Answers when the graph store answers, with its node counts, the text model
    in use, how many nodes lack text vectors, and how far this process has
    followed the change feed, and what ranks recommendations."""
    from colearn.recommender.text import MINILM

    learners = store.read(queries.count_nodes(Label.LEARNER))[0]["n"]
    badges = store.read(queries.count_nodes(Label.BADGE))[0]["n"]
    rec = getattr(request.app.state, "recommender", None)
    text = getattr(rec, "signals_", {}).get("text") if rec is not None else None
    missing = store.read(queries.NODES_WITHOUT_VECTORS, {"model": MINILM})[0]
    follower = getattr(request.app.state, "follower", None)
    stats = follower.stats if follower is not None else None
    ranker = getattr(rec, "ranker_", None)
    serving = "blend" if ranker is None else ("ranker" if ranker.serve_ == "ranker" else f"signal:{ranker.serve_}")
    error = stats.build_error if stats else None
    return Health(status="degraded" if error else "ok", build_error=error, backend=store.backend, learners=learners, badges=badges,
                  text_model=getattr(text, "model_", "none"),
                  nodes_without_vectors=int(missing["badges"]) + int(missing["opportunities"]),
                  feed_position=stats.position if stats else 0, feed_head=stats.head if stats else 0,
                  rebuilds=stats.rebuilds if stats else 0, ranking=serving)
