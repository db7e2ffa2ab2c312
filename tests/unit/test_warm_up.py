"""The service loads the text model in the background at start (``service.app.warm_up``)."""

from __future__ import annotations

from colearn.recommender.recommend import Recommender
from colearn.recommender.signals import Interests
from colearn.service.app import warm_up

from tests.recommender_builders import BADGES, CELLS, awards


def test_warm_up_loads_the_query_embedder_in_a_thread() -> None:
    rec = Recommender.from_rows(awards(), BADGES, CELLS, text_model="tfidf")
    text = rec.signals_["text"]
    text._embedder = None  # as a service starts with stored vectors: the query model not loaded yet
    thread = warm_up(rec)
    assert thread is not None and thread.daemon
    thread.join(timeout=60)
    assert text._embedder is not None
    loaded = text._embedder
    rec.recommend_for_interests(Interests(text="python coding"), limit=3)
    assert text._embedder is loaded  # the query used the warmed model, not a second load
