"""Retraining the learned ranker on every portfolio in the graph (``colearn train``).

Each new badge a learner earned becomes a training event, with features from
the awards before it (``benchmark.replay``); the fitted ``LearnedRanker`` is
saved with its feature list and training-data hash, where the API loads it
(``recommend.ranker_path``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.recommender import benchmark
from colearn.recommender.fitting import MIN_TRAIN_EVENTS
from colearn.recommender.projections import epoch_seconds
from colearn.recommender.ranker import LearnedRanker


@dataclass
class TrainingRows:
    """What the ranker is trained on, as read from the graph.

    Attributes:
        awards: ``(learner_id, badge_id, issued_on epoch s, assertion_id)`` per
            award in a portfolio now (accepted, not revoked, not expired).
        catalogue: ``BADGE_CATALOGUE`` rows.
        cells: ``SPINE_CELLS`` rows.
    """

    awards: list[tuple[str, str, int, str]]
    catalogue: list[dict[str, Any]]
    cells: list[dict[str, Any]]


def training_rows(store: GraphStore) -> TrainingRows:
    """Every portfolio award with an issue time, the badges and the spine, read now.

    Raises:
        StoreUnavailable: the store cannot be reached.
    """
    now = epoch_seconds(None)
    awards = [(r["learner_id"], r["badge_id"], int(r["issued_on"]), r["assertion_id"])
              for r in store.read(queries.PORTFOLIO_AWARDS, {"now": now})
              if r.get("issued_on") is not None]
    return TrainingRows(awards, store.read(queries.BADGE_CATALOGUE), store.read(queries.SPINE_CELLS))


def train_ranker(rows: TrainingRows, *, max_groups: int,
                 progress: Callable[[str], None] | None = None) -> tuple[LearnedRanker | None, int]:
    """Replay ``rows`` in time order into training events (a seeded sample of at
    most ``max_groups``) and fit a ranker on them (``benchmark.fit_ranker``, with
    its guard). ``progress`` is told each stage in words.

    Returns:
        The fitted ranker (not saved) and the number of training events; no
        ranker (``None``) when there are fewer than ``fitting.MIN_TRAIN_EVENTS``
        events, too few for the guard to judge a model against the single
        signals (as the benchmark without a pooled prior scores such a block
        with the blend).
    """
    say = progress or (lambda message: None)
    say(f"replaying {len(rows.awards):,} awards in time order for training events (at most {max_groups:,})")
    rep = benchmark.replay(rows.awards, rows.catalogue, rows.cells, max_train_groups=max_groups)
    if len(rep.train) < MIN_TRAIN_EVENTS:
        return None, len(rep.train)
    say(f"fitting the ranker on {len(rep.train):,} events")
    return benchmark.fit_ranker(rep.train), len(rep.train)
