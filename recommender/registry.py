"""The signal registry: one entry per signal, read by every part that lists signals.

Adding a signal is one entry here plus a retrain (``colearn train``): the
entry says how to build the signal and what it takes part in, and

- the learned ranker's features (``ranker.RANKER_SIGNALS``: its score and its
  rank among the badges not held, in registry order),
- the guard's single signals (``fitting.GUARD_SIGNALS``),
- the hand-weighted blend's weights (``blend_weights``), and
- the reasons (the recommender asks every signal that raised a badge's score
  for its sentence, ``Signal.explain``)

read it: ``recommend.ranker_signals`` builds this list and ``recommend.DEFAULT_WEIGHTS``
is ``blend_weights()`` (tests/unit/test_signal_registry.py checks both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from colearn.recommender.signals import Signal


@dataclass(frozen=True)
class SignalSpec:
    """One signal of the registry.

    Attributes:
        name: the signal's ``name`` (its key everywhere: features, weights, reasons).
        make: builds the unfitted signal from the settings ``{"neighbours":
            item-kNN's k, "text_model": "tfidf" or "minilm"}`` (a factory may ignore them).
        guard: its place among the guard's single signals (lower first, which
            wins an exact tie), or ``None`` when the guard does not weigh it.
        blend: its weight in the hand-weighted blend (0: not in the blend).
    """

    name: str
    make: Callable[..., Signal]
    guard: int | None = None
    blend: float = 0.0


def _item_knn(neighbours: int, **_: Any) -> Signal:
    from colearn.recommender.item_knn import ItemKNN

    return ItemKNN(neighbours=neighbours)


def _transitions(**_: Any) -> Signal:
    from colearn.recommender.recommend import TRANSITION_DECAY
    from colearn.recommender.transitions import Transitions

    return Transitions(decay=TRANSITION_DECAY)


def _earned_later(**_: Any) -> Signal:
    from colearn.recommender.transitions import EarnedLater

    return EarnedLater()


def _ppr(**_: Any) -> Signal:
    from colearn.recommender.recommend import PPR_ALPHA, PPR_MAX_ITER, PPR_NEIGHBOURS, PPR_TOP_K
    from colearn.recommender.walks import PersonalisedPageRank

    return PersonalisedPageRank(alpha=PPR_ALPHA, neighbours=PPR_NEIGHBOURS, max_iter=PPR_MAX_ITER, top_k=PPR_TOP_K)


def _rp3beta(**_: Any) -> Signal:
    from colearn.recommender.recommend import RP3_BETA
    from colearn.recommender.walks import RP3beta

    return RP3beta(beta=RP3_BETA)


def _spine(**_: Any) -> Signal:
    from colearn.recommender.spine_progression import SpineProgression

    return SpineProgression()


def _theme_fit(**_: Any) -> Signal:
    from colearn.recommender.context import ThemeFit

    return ThemeFit()


def _destination_fit(**_: Any) -> Signal:
    from colearn.recommender.context import DestinationFit

    return DestinationFit()


def _text(text_model: str, **_: Any) -> Signal:
    from colearn.recommender.text import TextSimilarity

    return TextSimilarity(model=text_model)


def _popularity(**_: Any) -> Signal:
    from colearn.recommender.popularity import Popularity

    return Popularity()


def _trending(**_: Any) -> Signal:
    from colearn.recommender.context import Trending
    from colearn.recommender.recommend import TRENDING_DAYS

    return Trending(window_days=TRENDING_DAYS)


def _stage(**_: Any) -> Signal:
    from colearn.recommender.context import EarningStage

    return EarningStage()


def _tenure(**_: Any) -> Signal:
    from colearn.recommender.context import TenureStage

    return TenureStage()


def _sequence(**_: Any) -> Signal:
    from colearn.recommender.sequence import BackoffTransitions

    return BackoffTransitions()


#: Every signal, in the ranker's feature order, with its weight in the blend.
SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec("item_knn", _item_knn, guard=2, blend=1.0),
    SignalSpec("transitions", _transitions, guard=3),
    SignalSpec("earned_later", _earned_later, guard=5),
    SignalSpec("ppr", _ppr, guard=1),
    SignalSpec("rp3beta", _rp3beta, guard=0),
    SignalSpec("spine", _spine, blend=0.05),
    SignalSpec("theme_fit", _theme_fit),
    SignalSpec("destination_fit", _destination_fit),
    SignalSpec("text", _text),
    SignalSpec("popularity", _popularity, guard=6, blend=0.3),
    SignalSpec("trending", _trending),
    SignalSpec("stage", _stage),
    SignalSpec("tenure", _tenure),
    SignalSpec("sequence", _sequence, guard=4),
)


def signal_names(specs: Sequence[SignalSpec] = SIGNALS) -> tuple[str, ...]:
    """Every signal's name, in registry (feature) order."""
    return tuple(s.name for s in specs)


def guard_signal_names(specs: Sequence[SignalSpec] = SIGNALS) -> tuple[str, ...]:
    """The guard's single signals, in its order (``SignalSpec.guard``)."""
    return tuple(s.name for s in sorted((s for s in specs if s.guard is not None), key=lambda s: s.guard or 0))


def blend_weights(specs: Sequence[SignalSpec] = SIGNALS) -> dict[str, float]:
    """``{name: weight}`` of the signals in the hand-weighted blend."""
    return {s.name: s.blend for s in specs if s.blend > 0}


def make_signals(neighbours: int, text_model: str = "tfidf",
                 specs: Sequence[SignalSpec] = SIGNALS) -> list[Signal]:
    """Every registered signal, unfitted, built with these settings."""
    settings: Mapping[str, Any] = {"neighbours": neighbours, "text_model": text_model}
    return [s.make(**settings) for s in specs]


__all__ = ["SIGNALS", "SignalSpec", "blend_weights", "guard_signal_names", "make_signals", "signal_names"]
