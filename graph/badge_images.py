"""A badge's uploaded image, kept in the graph (the upload is validated and cleaned by
``openbadges.images`` before it comes here). Statements: ``graph/learner_queries.py``."""

from __future__ import annotations

import time

from colearn.errors import NotFound
from colearn.graph import learner_queries as lq
from colearn.graph.store import GraphStore


def save_badge_image(store: GraphStore, badge_id: str, media_type: str, data_b64: str, *,
                     now: int | None = None) -> None:
    """Keep (or replace) a validated badge image: ``media_type`` and its bytes in base64,
    stamped ``now`` (epoch s, default now). Raises ``NotFound`` for an unknown badge."""
    if not store.write(lq.SET_BADGE_IMAGE, {"badge_id": badge_id, "media_type": media_type, "data": data_b64,
                                            "now": int(time.time()) if now is None else now}):
        raise NotFound(f"badge '{badge_id}' does not exist")


def badge_image(store: GraphStore, badge_id: str) -> tuple[str, str] | None:
    """A badge's uploaded image as ``(media_type, base64 data)``, or None."""
    rows = store.read(lq.GET_BADGE_IMAGE, {"badge_id": badge_id})
    return (rows[0]["media_type"], rows[0]["data"]) if rows else None
