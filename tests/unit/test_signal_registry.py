"""The signal registry is the one list of signals: the ranker's features, the guard, the blend and
the recommender's own signal list all agree with it, and a new entry reaches the features."""

from __future__ import annotations

import numpy as np

from colearn.recommender import registry
from colearn.recommender.fitting import GUARD_SIGNALS
from colearn.recommender.popularity import Popularity
from colearn.recommender.ranker import RANKER_SIGNALS, feature_matrix, feature_names
from colearn.recommender.recommend import DEFAULT_WEIGHTS, KNN_NEIGHBOURS, ranker_signals
from colearn.recommender.signals import Profile, Signal


def _settings(signal: Signal) -> dict[str, object]:
    return {k: v for k, v in vars(signal).items() if not k.endswith("_")}


def test_the_recommenders_signals_are_the_registrys() -> None:
    theirs = {s.name: s for s in ranker_signals(KNN_NEIGHBOURS, "tfidf")}
    ours = {s.name: s for s in registry.make_signals(KNN_NEIGHBOURS, "tfidf")}
    assert sorted(theirs) == sorted(ours), "recommend.ranker_signals and registry.SIGNALS disagree"
    for name, signal in ours.items():
        assert type(signal) is type(theirs[name]), name
        assert _settings(signal) == _settings(theirs[name]), name


def test_features_guard_and_blend_read_the_registry() -> None:
    assert RANKER_SIGNALS == registry.signal_names()
    assert GUARD_SIGNALS == registry.guard_signal_names()
    assert set(GUARD_SIGNALS) <= set(RANKER_SIGNALS)
    assert dict(DEFAULT_WEIGHTS) == registry.blend_weights()


def test_a_new_entry_becomes_two_ranker_features_and_a_guard_candidate() -> None:
    extra = registry.SignalSpec("newcomer", lambda **_: Popularity(), guard=99)
    specs = (*registry.SIGNALS, extra)
    names = registry.signal_names(specs)
    assert names[-1] == "newcomer" and registry.guard_signal_names(specs)[-1] == "newcomer"
    columns = feature_names(names)
    assert "newcomer" in columns and "rank:newcomer" in columns
    scores = {n: np.zeros(4) for n in names}
    scores["newcomer"] = np.array([0.0, 1.0, 0.5, 0.2])
    x = feature_matrix(scores, Profile.of([0]), signals=names)
    assert x.shape == (4, len(columns))
    ranks = x[:, columns.index("rank:newcomer")]
    assert ranks.tolist() == [4.0, 0.0, 1.0, 2.0]  # the held badge ranks last
    assert len(registry.make_signals(KNN_NEIGHBOURS, specs=specs)) == len(specs)
