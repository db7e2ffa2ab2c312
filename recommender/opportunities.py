"""Where and when a badge can be earned: which of its opportunities a learner can
still take part in, which of them a pathway step lists, and how a step's rule reads.

An opportunity row is one of ``BADGE_OPPORTUNITIES``' maps (``mode``,
``place_id``, ``district_id``, ``ends_on`` in epoch seconds, ...). It has ended
when its ``ends_on`` is at or before now; one without ``ends_on`` is ongoing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: ``$now`` for ``BADGE_OPPORTUNITIES`` that keeps every opportunity, ended ones too.
ANY_TIME = -(2**62)


@dataclass(frozen=True)
class Reach:
    """Where a learner can take part: a home district and/or online.

    Attributes:
        district: a district's place id: keeps opportunities at the district
            itself or at a place ``WITHIN`` it, at any depth (a room within a venue
            within it: the row's ``within_ids``); ``None``: any place.
        online: keep online opportunities. With ``district`` too, an
            opportunity is kept when it is in the district **or** online
            ("near me or from home"); alone, only online ones are kept.
    """

    district: str | None = None
    online: bool = False

    @property
    def is_any(self) -> bool:
        """True when nothing is filtered."""
        return self.district is None and not self.online

    def admits(self, opportunity: Mapping[str, Any]) -> bool:
        """Whether a ``BADGE_OPPORTUNITIES`` row is within reach (always, when ``is_any``)."""
        if self.is_any:
            return True
        if self.online and opportunity.get("mode") == "online":
            return True
        return self.district is not None and opportunity.get("mode") != "online" and self.district in (
            opportunity.get("district_id"), opportunity.get("place_id"), *(opportunity.get("within_ids") or ()))


def current(opportunities: Iterable[Mapping[str, Any]], now: int) -> list[Mapping[str, Any]]:
    """The opportunities that have not ended at ``now`` (epoch seconds), in their order."""
    return [o for o in opportunities if o.get("ends_on") is None or int(o["ends_on"]) > now]


def earnable(opportunities: Sequence[Mapping[str, Any]], now: int,
             reach: Reach | None = None) -> list[Mapping[str, Any]] | None:
    """The opportunities of one badge a learner can still take, or ``None`` when the
    badge should not be offered at all.

    A badge with no opportunity in the graph (a pathway's completion badge, a
    badge earned elsewhere) is offered with none, unless ``reach`` filters: then
    only a badge with a current opportunity within reach is offered. A badge
    whose every opportunity has ended is not offered.

    Args:
        opportunities: every ``BADGE_OPPORTUNITIES`` row of the badge, ended ones
            too (read with ``$now = ANY_TIME``).
        now: epoch seconds.
        reach: the learner's filter, if any.
    """
    left = current(opportunities, now)
    if reach is not None and not reach.is_any:
        left = [o for o in left if reach.admits(o)]
        return left or None
    if opportunities and not left:
        return None
    return left


def step_opportunities(badges: Sequence[str],
                       opportunities: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """The opportunities that award a step's ``badges``, each once: an opportunity that awards
    two of them was listed once per badge (a tester saw the same one twice under "Where:").

    Args:
        badges: the step's badge ids, in the step's order.
        opportunities: ``{badge_id: [BADGE_OPPORTUNITIES rows]}`` (``Recommender.opportunities``).

    Returns:
        The rows in order of their first badge, then their own order; each with ``badge_ids``,
        the step's badges it awards (in the step's order), and ``badge_id``, the first of them.
    """
    out: dict[str, dict[str, Any]] = {}
    for b in badges:
        for o in opportunities.get(b, ()):
            row = out.setdefault(o["id"], {**o, "badge_id": b, "badge_ids": []})
            if b not in row["badge_ids"]:
                row["badge_ids"].append(b)
    return list(out.values())


def step_rule(names: Sequence[str], required: int) -> str:
    """How a pathway step that is met by any ``required`` of its badges reads.

    ``["A"], 1`` -> ``"A"``; ``["A", "B"], 1`` -> ``"any 1 of A or B"``;
    ``["A", "B"], 2`` -> ``"both A and B"``; ``["A", "B", "C"], 2`` ->
    ``"2 of 3: A, B or C"``; ``["A", "B", "C"], 3`` -> ``"all 3 of A, B and C"``.
    """
    n = len(names)
    if n == 0:
        return ""
    if n == 1:
        return names[0]

    def joined(word: str) -> str:
        return f"{', '.join(names[:-1])} {word} {names[-1]}"

    if required >= n:
        return f"both {joined('and')}" if n == 2 else f"all {n} of {joined('and')}"
    if required == 1:
        return f"any 1 of {joined('or')}"
    return f"{required} of {n}: {joined('or')}"
