"""Retraining the learned ranker on every portfolio in the graph (``colearn train``).

Each new badge a learner earned becomes a training event, with features from
the awards before it (``benchmark.replay``). As in the suite benchmark
(``suite.run_suite``), the city's own events are pooled with samples of other
sites' training events (the caller's ``prior_sites``, e.g. the bundled
development suite): one sample per booster of the bag, the city's own events
weighing ``fitting.OWN_WEIGHT`` against a pooled one, the guard judging on the
city's latest events. So a city with few events of its own is served the
pooled model the suite measured on each site's first refit, not the blend.
The fitted ``LearnedRanker`` is saved with its feature list, training-data
hash and pooled sites, where the API loads it (``recommend.ranker_path``);
``ranker_changed`` then records a ``ranker`` entry in the change feed, so every
serving process rebuilds with the file within a poll (``recommender.follower``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from colearn.graph import feed, queries
from colearn.graph.store import GraphStore
from colearn.recommender import benchmark
from colearn.recommender.fitting import MIN_TRAIN_EVENTS
from colearn.recommender.awards import epoch_seconds
from colearn.recommender.ranker import LearnedRanker
from colearn.recommender.suite import PRIOR_PER_SITE, Site, prior_replays, same_site, suite_prior


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


def ranker_changed(store: GraphStore, ranker: LearnedRanker | None = None) -> None:
    """Record in ``store``'s change feed that the ranker file of the data directory changed
    (``feed.RANKER_CHANGED``): every process following the feed rebuilds its recommender,
    which reads the file anew (the blend when there is none), within a poll. Call it once
    the file is in place (``LearnedRanker.save`` replaces it whole), or after saving nothing.

    Args:
        store: the graph the serving processes follow.
        ranker: the ranker saved (its training hash is the entry's ``ids``), or None.

    Raises:
        StoreUnavailable: the store cannot be reached.
    """
    ids = [ranker.training_hash_] if ranker is not None and ranker.training_hash_ else []
    store.write(feed.RANKER_CHANGED, {"feed": feed.change(feed.RANKER, ids=ids)})


def train_ranker(rows: TrainingRows, *, max_groups: int, prior_sites: Sequence[Site] = (), workers: int = 2,
                 progress: Callable[[str], None] | None = None) -> tuple[LearnedRanker | None, int]:
    """Replay ``rows`` in time order into training events (a seeded sample of at
    most ``max_groups``), pool them with ``prior_sites``' events and fit a ranker
    (``benchmark.fit_ranker``, with its guard). ``progress`` is told each stage in words.

    Args:
        rows: what the graph holds (``training_rows``).
        max_groups: most of the city's own training events (a seeded sample).
        prior_sites: other sites whose training events are pooled
            (``suite.suite_prior``, ``PRIOR_PER_SITE`` from each per booster);
            a site that ``suite.same_site`` finds to be the city itself (its
            history ingested into the graph) is left out, so nothing counts twice.
        workers: processes replaying the prior sites.

    Returns:
        The fitted ranker (not saved; ``pooled_sites_`` names the sites pooled)
        and the number of the city's own training events; no ranker (``None``)
        when nothing is pooled and there are fewer than
        ``fitting.MIN_TRAIN_EVENTS`` own events, too few for the guard to judge
        a model against the single signals (as the benchmark without a pooled
        prior scores such a block with the blend). With a prior and fewer own
        events than the guard needs, the pooled model is served unjudged, as on
        each suite site's first refit.

    Raises:
        InvalidInput: malformed rows or prior sites.
    """
    say = progress or (lambda message: None)
    say(f"replaying {len(rows.awards):,} awards in time order for training events (at most {max_groups:,})")
    rep = benchmark.replay(rows.awards, rows.catalogue, rows.cells, max_train_groups=max_groups)
    city = Site("city", list(rows.awards), list(rows.catalogue))
    pooled = [p for p in prior_sites if not same_site(p, city)]
    if not pooled and len(rep.train) < MIN_TRAIN_EVENTS:
        return None, len(rep.train)
    bag = int(benchmark.ranker_settings()["n_models"])
    priors: list[list[Any]] = []
    if pooled:
        say(f"replaying {len(pooled)} other sites for their training events ({', '.join(p.name for p in pooled)})")
        replays = list(prior_replays(pooled, rows.cells, bag=bag, workers=workers).values())
        priors = [suite_prior(replays, PRIOR_PER_SITE, seed=k) for k in range(bag)]  # one sample per booster
    say(f"fitting the ranker on {len(rep.train):,} events"
        + (f" and {sum(map(len, priors)):,} pooled from {len(pooled)} other site{'s' * (len(pooled) != 1)}"
           if pooled else ""))
    ranker = benchmark.fit_ranker(rep.train, prior=priors[0] if priors else (), member_priors=priors[1:])
    ranker.pooled_sites_ = [p.name for p in pooled]
    return ranker, len(rep.train)
