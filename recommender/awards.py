"""Awards as the recommender reads them: the ``Award`` row, its time in epoch seconds and its order.

Every signal, the projection and the evaluation's replay agree on these: an
award's time is integer epoch seconds (UTC), and awards happen in the order of
``award_order_key`` (by time, ties broken by award id), so that two builds of
the same awards see the same earning order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np

from colearn.errors import InvalidInput


class Award(NamedTuple):
    """One award of a badge to a learner, as the recommender sees it.

    Attributes:
        learner_id: the learner's graph id.
        badge_id: the badge's graph id.
        awarded_on: when it was awarded, integer epoch seconds (UTC).
        award_id: the assertion id (or the source row id); breaks ties between
            awards with the same ``awarded_on``.
    """

    learner_id: str
    badge_id: str
    awarded_on: int
    award_id: str | int


def epoch_seconds(now: datetime | int | None) -> int:
    """``now`` as integer epoch seconds (UTC); ``None`` means the current time.

    Raises:
        InvalidInput: ``now`` is a naive ``datetime`` (times are timezone-aware
            in colearn) or not a time at all.
    """
    if now is None:
        return int(time.time())
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise InvalidInput("now must be a timezone-aware datetime (UTC)")
        return int(now.timestamp())
    if isinstance(now, (int, np.integer)) and not isinstance(now, bool):
        return int(now)
    raise InvalidInput(f"now must be a datetime or epoch seconds, got {type(now).__name__}")


def _tie_key(award_id: str | int) -> tuple[int, int | str]:
    """Sort key for award ids that may mix ints and strings (ints first, numerically)."""
    if isinstance(award_id, (int, np.integer)) and not isinstance(award_id, bool):
        return (0, int(award_id))
    return (1, str(award_id))


def award_order_key(award: Award) -> tuple[int, tuple[int, int | str]]:
    """The order awards happened in: by ``awarded_on``, ties broken by ``award_id``."""
    return (award.awarded_on, _tie_key(award.award_id))


def as_award(row: Award | Sequence[Any], position: int | None = None) -> Award:
    """Coerce a 4-tuple ``(learner_id, badge_id, awarded_on, award_id)`` into an ``Award``.

    Raises:
        InvalidInput: the row does not have four fields, an id is empty, or
            ``awarded_on`` is not integer epoch seconds (the row is named).
    """
    where = f"award row {position}" if position is not None else "award row"
    try:
        learner_id, badge_id, awarded_on, award_id = row
    except (TypeError, ValueError):
        raise InvalidInput(f"{where}: expected (learner_id, badge_id, awarded_on, award_id), "
                           f"got {row!r}") from None
    if not isinstance(learner_id, str) or not learner_id:
        raise InvalidInput(f"{where}: learner_id must be a non-empty string, got {learner_id!r}")
    if not isinstance(badge_id, str) or not badge_id:
        raise InvalidInput(f"{where}: badge_id must be a non-empty string, got {badge_id!r}")
    if isinstance(awarded_on, bool) or not isinstance(awarded_on, (int, np.integer)):
        raise InvalidInput(f"{where} ({award_id!r}): awarded_on must be integer epoch seconds, "
                           f"got {awarded_on!r}")
    return Award(learner_id, badge_id, int(awarded_on), award_id)
