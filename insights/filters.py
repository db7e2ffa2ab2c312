"""What the insights' filters accept: a value is refused, naming its query
parameter, when it names nothing the graph or the spine has.

``issued``'s ``group`` depends on ``by``: theme, destination, spine-cell, place and
organisation ids come from the graph's labels (``Insights.labels``), a theme kind
from ``ThemeKind`` and the kinds the city's themes use.

Insights count places by district (the outermost place a place lies within), so a
``place`` filter, and ``issued``'s ``group`` by place, must name a district: a venue
is refused, naming the district it lies in (``district``), rather than answered with
a table that is always empty or, counted as its district, read as the venue's own."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from colearn.errors import InvalidInput, refuse
from colearn.records import ThemeKind
from colearn.text import expected

__all__ = ["district", "districts_of", "every", "groups_of", "issued_group", "known"]

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


def districts_of(places: Iterable[str], within: Mapping[str, str]) -> dict[str, str]:
    """Each place's district, as the insights count places: the outermost place up its
    ``within`` chain, at any depth; itself when it lies within nothing.

    Args:
        places: every place id.
        within: place id -> the place it lies within (``queries.PLACES_WITHIN``); a
            cycle (refused on ingest) stops where it closes.
    """
    out: dict[str, str] = {}
    for place in places:
        seen, up = {place}, place
        while up in within and within[up] not in seen:
            up = within[up]
            seen.add(up)
        out[place] = up
    return out


def district(value: str | None, districts: Mapping[str, str], field: str, noun: str = "district",
             also: Collection[str] = ()) -> None:
    """Refuse ``value`` unless it is a district (or one of ``also``, such as ``online``).

    Args:
        value: the filter as sent; None (not sent) is always accepted.
        districts: ``districts_of``'s answer: place id -> its district.
        field: the query parameter, named in the error.
        noun: what the value is, for the message of an unknown one.
        also: further accepted values, listed with the districts.

    Raises:
        InvalidInput: naming ``field``, listing the districts: for a place within a
            district, the message names that district; otherwise as ``known``.
    """
    if value is None or value in also or districts.get(value) == value:
        return
    allowed = sorted({*districts.values(), *also})
    if value in districts:
        raise InvalidInput(f"place '{value}' is not a district: insights count places by district, and it lies "
                           f"within '{districts[value]}' (ask for that); {expected(allowed)}", field=field)
    known(value, allowed, field, noun)


def issued_group(by: str, group: str | None, labels: Callable[[], Mapping[str, Mapping[str, Mapping[str, Any]]]],
                 districts: Callable[[], Mapping[str, str]]) -> None:
    """Refuse a ``group`` that ``issued`` cannot show by ``by``: by place, one that is
    not a district (``district``); otherwise one not in ``groups_of``.

    Args:
        by: one of ``DIMENSIONS``.
        group: the filter as sent; None (not sent) is always accepted.
        labels, districts: ``Insights.labels`` and ``Insights.districts`` (only the one ``by`` needs is read).

    Raises:
        InvalidInput: naming ``group``.
    """
    if by == "place":
        district(group, districts(), "group", "place group")
    else:
        known(group, groups_of(by, labels()), "group", f"{by} group")


def every(*checks: Callable[[], None]) -> None:
    """Run every check (each ``known`` or ``district`` of one filter) and refuse with all
    their problems at once, so that a second unknown filter is not hidden by the first.

    Raises:
        InvalidInput: one check refused its value; ``InvalidInputs``: several did (one
            problem each, naming its field, in the order of ``checks``).
    """
    problems: list[InvalidInput] = []
    for check in checks:
        try:
            check()
        except InvalidInput as exc:
            problems.append(exc)
    refuse(problems)
