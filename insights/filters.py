"""What the insights' filters accept: a value is refused, naming its query
parameter, when it names nothing the graph or the spine has.

``issued``'s ``group`` depends on ``by``: theme, destination, spine-cell, place and
organisation ids come from the graph's labels (``Insights.labels``), a theme kind
from ``ThemeKind`` and the kinds the city's themes use."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from colearn.errors import InvalidInput
from colearn.records import ThemeKind
from colearn.text import expected

__all__ = ["groups_of", "known"]

#: ``issued``'s dimension -> the ``Insights.labels`` kind its group ids are.
_GROUP_KIND = {"theme": "Theme", "destination": "Destination", "cell": "SpineCell", "place": "Place",
               "organisation": "Organisation"}


def known(value: str | None, allowed: Collection[str], field: str, noun: str | None = None) -> None:
    """Refuse ``value`` when it is given and not one of ``allowed``.

    Args:
        value: the filter as sent; None (not sent) is always accepted.
        allowed: the accepted values; a set is listed sorted, a sequence in its order.
        field: the query parameter, named in the error.
        noun: what the value is, for the message (default ``field``).

    Raises:
        InvalidInput: naming ``field``; the message lists the accepted values (the
            first ``colearn.text.LISTED`` of them and how many there are, when there are more).
    """
    if value is None or value in allowed:
        return
    values = sorted(allowed) if isinstance(allowed, (set, frozenset)) else list(allowed)
    raise InvalidInput(f"unknown {noun or field} '{value}'; {expected(values)}", field=field)


def groups_of(by: str, labels: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> set[str]:
    """The group ids ``issued`` can show for dimension ``by``.

    Args:
        by: one of ``DIMENSIONS``.
        labels: ``Insights.labels()``: ``{kind: {id: {"name", "extra"}}}``, where a
            theme's ``extra`` is its kind.

    Returns:
        The ids of the graph's nodes of that kind, or for ``theme_kind`` every
        ``ThemeKind`` and every kind a theme has.
    """
    if by == "theme_kind":
        return {str(k) for k in ThemeKind} | {str(t["extra"]) for t in labels.get("Theme", {}).values()
                                              if t.get("extra")}
    return set(labels.get(_GROUP_KIND[by], {}))
