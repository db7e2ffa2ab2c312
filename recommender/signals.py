"""What every recommender signal offers: the contract a new signal implements.

Adding a signal: a class meeting the contract below, one entry in
``registry.SIGNALS`` (which the ranker's features, the guard, the blend's
weights and the reasons read), then a retrain (``colearn train``: a saved
ranker refuses other features). ``recommend.ranker_signals`` and the blend's
``DEFAULT_WEIGHTS`` are built from the registry.

A signal scores every badge for one learner and explains, in one plain
sentence, why it scored a given badge. The recommender fits each signal on a
``Projection``, blends their scores (``blending.py``) and keeps the sentences
of the signals that actually contributed.

Contract (scikit-learn's estimator habits, STYLE.md item 8):

- ``__init__`` only stores hyperparameters;
- ``fit(projection)`` sets attributes ending in ``_`` and returns ``self``;
- ``score(profile)`` returns float64 ``[n_badges]`` in ``[0, 1]`` (0: no
  evidence); the learner's own badges may score anything (the recommender
  removes them);
- ``explain(profile, badge)`` returns a one-line reason or ``None`` when the
  signal gave that badge nothing;
- ``add_award(held_before, badge, *, on, held_on, learner)`` updates the
  fitted statistics when a learner gains ``badge`` (``held_before``: the
  badges they held just before, first-earned order; ``on``: when, epoch
  seconds; ``held_on``: when each of ``held_before`` was earned; ``learner``:
  their id), so the recommender needs no rebuild;
- ``remove_award(held, badge, *, held_on, learner)`` undoes it when an award
  leaves a portfolio (revoked, expired): ``held`` is what they held before the
  removal, ``badge`` included.

The signals of this version (``registry.SIGNALS``): ``item_knn``, ``transitions`` (earned order),
``walks`` (personalised PageRank, RP3beta), ``spine_progression``,
``context`` (theme and destination fit, earning stage, trending), ``text``
(stated interests or held badges against badge text) and ``popularity``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from colearn.config import MIN_LEARNERS_SHOWN
from colearn.recommender.projections import Projection


@dataclass(frozen=True)
class Interests:
    """What a learner (or a visitor) says they want: the cold-start input.

    Attributes:
        themes: theme ids they chose.
        destinations: destination ids (``education``, ``employment``, ...).
        text: free-text interests, e.g. ``"coding and games"``.
        cells: spine cell ids they aim for (interest pathways).
    """

    themes: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    text: str = ""
    cells: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing was stated."""
        return not (self.themes or self.destinations or self.text.strip() or self.cells)


@dataclass(frozen=True)
class Profile:
    """What the signals know about the learner being scored.

    Attributes:
        held: int64 ``[n_held]``: badge columns the learner holds, distinct, in
            first-earned order.
        held_on: int64 ``[n_held]``: epoch seconds each was first earned.
        interests: stated interests, if any.
    """

    held: np.ndarray
    held_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    interests: Interests = field(default_factory=Interests)

    @classmethod
    def of(cls, held: "np.ndarray | list[int]", held_on: "np.ndarray | list[int] | None" = None,
           interests: Interests | None = None) -> "Profile":
        """Build from columns (and optional times; zeros when absent)."""
        h = np.asarray(held, dtype=np.int64).reshape(-1)
        on = np.zeros(len(h), dtype=np.int64) if held_on is None else np.asarray(held_on, dtype=np.int64)
        return cls(held=h, held_on=on, interests=interests or Interests())

    @property
    def is_empty(self) -> bool:
        """True when the learner holds no badge (cold start)."""
        return len(self.held) == 0

    @property
    def as_of(self) -> int | None:
        """The time the learner's own record stops: their latest first-award (epoch s), or ``None``.

        Time-dependent signals (earning stage, trending) are computed as of this
        moment, never as of the moment a recommendation is asked for: in the
        offline evaluation the latter is the time of the held-out award, and
        using it would tell the model when the next badge arrives.
        """
        return int(self.held_on.max()) if len(self.held_on) else None


@runtime_checkable
class Signal(Protocol):
    """One source of evidence for recommending a badge (see the module docstring).

    A signal may also define ``cites(profile, badge)``: a hashable naming the fact
    its ``explain`` sentence states (``None``: none), so that one answer's reasons
    never state a fact twice in two wordings (``explaining``)."""

    #: The key of the signal's weight in the recommender's blend.
    name: str

    def fit(self, projection: Projection) -> "Signal":
        """Learn the signal's statistics from ``projection``; return ``self``."""
        ...

    def score(self, profile: Profile) -> np.ndarray:
        """Scores of every badge for ``profile``: float64 ``[n_badges]`` in ``[0, 1]``."""
        ...

    def explain(self, profile: Profile, badge: int) -> str | None:
        """One plain sentence on why ``badge`` scored, or ``None`` if it scored 0."""
        ...

    def add_award(self, held_before: np.ndarray, badge: int, *, on: int | None = None,
                  held_on: np.ndarray | None = None, learner: str | None = None) -> None:
        """Update the statistics: a learner holding ``held_before`` gained ``badge``."""
        ...

    def remove_award(self, held: np.ndarray, badge: int, *, held_on: np.ndarray | None = None,
                     learner: str | None = None) -> None:
        """Undo ``add_award``: a learner holding ``held`` (``badge`` among them) lost ``badge``."""
        ...


def position_of(held: np.ndarray, badge: int) -> tuple[np.ndarray, int | None]:
    """``(held as int64 [n_held], the position of badge in it or None)``: for ``remove_award``."""
    h = np.asarray(held, dtype=np.int64).reshape(-1)
    where = np.flatnonzero(h == badge)
    return h, (int(where[0]) if where.size else None)


def how_many(n: int, *, of: int | None = None, start: bool = False) -> str:
    """A count of ``n`` learners in words, without the noun, for a sentence to go on:
    ``"1,204"`` (thousands separated). A count under ``MIN_LEARNERS_SHOWN`` (k, 5) is never
    a number: reasons reach anonymous callers and partner sites, and insights show no count
    under k either (``colearn.config.MIN_LEARNERS_SHOWN``). It is ``"fewer than 5"``, or
    ``"some"`` when the sentence shows the group of ``of`` learners it is part of and that
    group has no more than k (``"fewer than 5 of the 5"`` would say only "not all").

    Args:
        n: the count.
        of: the size of the group ``n`` is part of, when the sentence shows it
            (``"3 of the 40 learners"``); None when it does not.
        start: capitalised, opening a sentence (``"Fewer than 5"``, ``"Some"``).
    """
    if shown(n):
        return f"{n:,}"
    words = "some" if of is not None and of <= MIN_LEARNERS_SHOWN else f"fewer than {MIN_LEARNERS_SHOWN}"
    return words.capitalize() if start else words


def learners(n: int, *, start: bool = False) -> str:
    """``"1,204 learners"``; a count under ``MIN_LEARNERS_SHOWN`` (5) is ``"fewer than 5
    learners"`` (``"Fewer ..."`` with ``start``, opening a sentence): ``how_many`` with the noun.
    Always plural, so the words around it agree whatever the count."""
    return f"{how_many(n, start=start)} learners"


def shown(n: int) -> bool:
    """Whether a count of ``n`` learners may be shown as a number (``learners``)."""
    return n >= MIN_LEARNERS_SHOWN


def learners_phrase(n: int, verb: str = "hold") -> str:
    """``"1,204 learners hold"`` / ``"fewer than 5 learners hold"`` (``learners``)."""
    return f"{learners(n)} {verb}"


def scale_to_unit(raw: np.ndarray) -> np.ndarray:
    """``raw / max(raw)`` (float64), or zeros when nothing is positive.

    Puts every signal on ``[0, 1]`` per learner so that the blend's weights
    compare like with like.
    """
    top = float(raw.max()) if raw.size else 0.0
    if top <= 0.0:
        return np.zeros(raw.shape, dtype=np.float64)
    return np.clip(raw.astype(np.float64) / top, 0.0, 1.0)
