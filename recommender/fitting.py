"""Training the learned ranker on replayed events: query groups, negatives, the guard's share.

Each training event (``replay.Group``: a learner about to earn a badge) is
one LambdaRank query group: the badge earned labelled 1, not-earned badges 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from colearn.errors import InvalidInput
from colearn.recommender.registry import guard_signal_names
from colearn.recommender.ranker import RANKER_SIGNALS, LearnedRanker, feature_names
from colearn.recommender.replay import Group

def _best_rank(features: np.ndarray) -> np.ndarray:
    """Each row's best (lowest) rank under any ranker signal: the ``rank:*`` columns of ``feature_matrix``."""
    n = len(RANKER_SIGNALS)
    return features[:, n:2 * n].min(axis=1)


def training_groups(groups: Sequence[Group], negatives: int | None = None,
                    seed: int = 0, hard: float = 0.0,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X float32 [n_rows, n_features], y int8 [n_rows], sizes int64 [n_groups])``: per event,
    the earned badge and the badges the learner did not hold (all of them, or ``negatives`` of
    them, seeded), one query group each, in the order of ``groups``.

    ``hard`` (``[0, 1]``) is the share of the ``negatives`` taken as hard
    negatives: the not-earned badges ranked best by any single signal (what
    the served candidate stage puts in front of the ranker; see
    ``recommend.CANDIDATES_PER_SIGNAL``), the rest drawn uniformly from the others.
    ``rng``: the sampler to draw from (it advances), instead of a new one seeded ``seed``.
    """
    rng = np.random.default_rng(seed) if rng is None else rng
    xs, ys, sizes = [], [], []
    for g in groups:
        mask = np.ones(len(g.features), dtype=bool)
        mask[g.held] = False
        if negatives is not None:
            others = np.flatnonzero(mask)
            others = others[others != g.target]
            if len(others) > negatives:
                mask[:] = False
                n_hard = int(round(negatives * float(hard)))
                if n_hard:
                    best = others[np.argsort(_best_rank(g.features[others]), kind="stable")[:n_hard]]
                    mask[best] = True
                    others = np.setdiff1d(others, best)
                mask[rng.choice(others, size=negatives - n_hard, replace=False)] = True
                mask[g.target] = True
        y = np.zeros(len(g.features), dtype=np.int8)
        y[g.target] = 1
        xs.append(g.features[mask])
        ys.append(y[mask])
        sizes.append(int(mask.sum()))
    if not xs:
        return (np.zeros((0, len(feature_names())), dtype=np.float32), np.zeros(0, dtype=np.int8),
                np.zeros(0, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys), np.asarray(sizes, dtype=np.int64)


def training_rows(groups: Sequence[Group], negatives: int | None = None,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of ``training_groups`` (without the group sizes)."""
    x, y, _ = training_groups(groups, negatives, seed)
    return x, y


#: Not-earned badges sampled per training event (uniformly; ``None``: all). Bounds the
#: rows, and so the fitting time, on a site of any size (the earlier pointwise ranker
#: found 25 as good as all on the Martial Arts validation split).
NEGATIVES: int | None = 20

#: The single signals the guard weighs against the learned model (``registry.SIGNALS``'
#: ``guard`` entries: the baselines' signals among the ranker's features).
GUARD_SIGNALS: tuple[str, ...] = guard_signal_names()


#: Share of the negatives that are hard (``training_groups``).
HARD_NEGATIVES = 0.0

#: The guard judges on every badge its events' learners did not hold (True), or on
#: the same sampled negatives as training (False).
GUARD_ALL = False

#: Weight of each of the site's own training events against one pooled from another
#: site (``fit_ranker``'s ``own_weight``; no effect without a pooled prior). Chosen on the
#: development suite's validation splits (docs/eval-suite.md): with a penalty of 0.15,
#: 0.5 won 10 sites (mean lift +0.029, lowest coverage@10 0.87), 1 won 9 (+0.027, 0.83)
#: and 0.25 won 9 (+0.027, 0.85); fitting on own events only after the pooled fit
#: (boosting continued) lost lift with every added tree.
OWN_WEIGHT = 0.5

#: The fewest training events a ranker is fitted and served on. The guard judges the
#: latest ``LearnedRanker.guard_share`` (a fifth) of a site's own events and needs
#: ``guard.MIN_EVENTS`` (20) of them, so below this no model can be judged against the
#: single signals: ``colearn train`` then fits nothing, and the benchmark scores a block
#: with fewer earlier events and no pooled prior with the blend (``benchmark.ranker_scores``;
#: with a pooled prior the pooled events count too, and the model is served unjudged).
MIN_TRAIN_EVENTS = 100

#: ``fit_ranker``'s own settings (the rest are ``LearnedRanker``'s).
FIT_SETTINGS = ("negatives", "hard", "guard", "guard_all", "own_weight")


@dataclass(frozen=True, eq=False)
class PooledRows:
    """The training rows of a prior (other sites' events), built once for every fit that pools it.

    ``fit_ranker`` draws a prior's negatives first, from a sampler seeded 0,
    then its own events' from the same sampler; ``state`` is that sampler's
    state after the prior, so a fit given these rows draws exactly what it
    would have drawn from the prior's groups. Build with ``pooled_rows`` (its
    arrays are read-only: every fit given them reads the same rows). Compared
    by identity.

    Attributes:
        x, y, sizes: ``training_groups`` of the prior (float32 ``[n_rows,
            n_features]``, int8 ``[n_rows]``, int64 ``[n_groups]``).
        negatives, hard: the sampling they were drawn with.
        state: the sampler's ``bit_generator.state`` after them.
    """

    x: np.ndarray
    y: np.ndarray
    sizes: np.ndarray
    negatives: int | None
    hard: float
    state: dict[str, Any]

    def __len__(self) -> int:
        """Events (query groups) in the prior."""
        return len(self.sizes)

    def then(self, groups: Sequence[Group]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``training_groups(prior + groups)`` with this sampling: the prior's rows, then ``groups``'."""
        rng = np.random.default_rng()
        rng.bit_generator.state = self.state
        x, y, sizes = training_groups(groups, self.negatives, hard=self.hard, rng=rng)
        return np.concatenate([self.x, x]), np.concatenate([self.y, y]), np.concatenate([self.sizes, sizes])


def pooled_rows(prior: Sequence[Group], negatives: int | None = NEGATIVES,
                hard: float = HARD_NEGATIVES) -> PooledRows:
    """``PooledRows`` of ``prior`` (its events in the order given), sampled as ``fit_ranker`` samples."""
    rng = np.random.default_rng(0)
    x, y, sizes = training_groups(prior, negatives, hard=hard, rng=rng)
    for a in (x, y, sizes):
        a.setflags(write=False)
    return PooledRows(x, y, sizes, negatives, float(hard), dict(rng.bit_generator.state))


def fit_ranker(groups: Sequence[Group], negatives: int | None = NEGATIVES, guard: bool = True,
               prior: Sequence[Group] | PooledRows = (), hard: float = HARD_NEGATIVES,
               guard_all: bool = GUARD_ALL, own_weight: float = OWN_WEIGHT,
               member_priors: Sequence[Sequence[Group] | PooledRows] = (), **params: Any) -> LearnedRanker:
    """A ``LearnedRanker`` fitted on ``training_groups(prior + groups, negatives, hard=hard)``.

    ``groups`` are the site's own training events (sorted into time order
    here); ``prior`` are events of other sites (``suite_prior``), which the
    features make comparable. With ``guard``, the latest ``guard_share`` of the
    site's own events are the guard's: a model fitted on everything else must
    beat every ``GUARD_SIGNALS`` signal there, or that signal is served; with
    ``guard_all`` those events keep every badge not held (as in the test), else
    the same sampled negatives as the rest. Each row of the site's own events
    weighs ``own_weight`` in the loss, a pooled one 1. ``member_priors``:
    other samples of other sites' events, one per further booster of the bag
    (``LearnedRanker.n_models``), each fitted on it plus ``groups`` (without
    the guard's split: the guard judges the first booster's settings). A
    prior given as ``PooledRows`` (``pooled_rows``, for a series of fits on
    the same prior) gives the same fit as its groups.

    Raises:
        InvalidInput: no own groups and no prior, the rows lack positives or
            negatives, more member priors than the bag has further boosters, or
            a ``PooledRows`` prior was sampled with other ``negatives`` or ``hard``.
    """
    if not groups and not prior:
        raise InvalidInput("no training events: the ranker needs learners who earned at least two badges")
    pooled = [p if isinstance(p, PooledRows) else pooled_rows(p, negatives, hard) for p in (prior, *member_priors)]
    for p in pooled:
        if p.negatives != negatives or (negatives is not None and p.hard != float(hard)):  # hard needs a sample
            raise InvalidInput(f"a prior's rows were sampled with negatives={p.negatives}, hard={p.hard}, "
                               f"not the fit's negatives={negatives}, hard={hard}")
    own = sorted(groups, key=lambda g: g.key)
    ranker = LearnedRanker(**params)
    # the guard needs enough of the site's own events to judge (20 at least)
    n_guard = int(round(len(groups) * float(ranker.guard_share))) if guard and len(groups) >= MIN_TRAIN_EVENTS else 0
    if guard_all and n_guard:
        # the guard's events keep every badge not held, so that it judges as the test does
        x1, y1, s1 = pooled[0].then(own[:-n_guard])
        x2, y2, s2 = training_groups(own[-n_guard:], None)
        x, y, sizes = np.concatenate([x1, x2]), np.concatenate([y1, y2]), np.concatenate([s1, s2])
    else:
        x, y, sizes = pooled[0].then(own)
    weight = _own_weight(sizes, len(pooled[0]), own_weight)
    members = []
    for other in pooled[1:]:
        xk, yk, sk = other.then(own)
        members.append((xk, yk, sk, _own_weight(sk, len(other), own_weight)))
    return ranker.fit(x, y, group=sizes, guard=GUARD_SIGNALS if guard else (), n_guard=n_guard, weight=weight,
                      members=members)


def _own_weight(sizes: np.ndarray, n_prior: int, own_weight: float) -> np.ndarray | None:
    """Row weights: ``own_weight`` for the site's own events, 1 for the first ``n_prior`` (pooled)
    groups; ``None`` when every row weighs 1."""
    if float(own_weight) == 1.0 or not n_prior:
        return None
    weight = np.full(int(sizes.sum()), float(own_weight))
    weight[:int(sizes[:n_prior].sum())] = 1.0
    return weight


__all__ = ["FIT_SETTINGS", "GUARD_ALL", "GUARD_SIGNALS", "HARD_NEGATIVES", "NEGATIVES", "OWN_WEIGHT", "PooledRows",
           "MIN_TRAIN_EVENTS", "fit_ranker", "pooled_rows", "training_groups", "training_rows"]
