"""A learner's own profile, as graph operations: name, free-text interests, themes,
destinations, home district, and whether partner sites may read their recommendations.

Statements: ``graph/learner_queries.py``.
"""

from __future__ import annotations

from typing import Any

from colearn.errors import InvalidInput, NotFound, refuse
from colearn.graph import learner_queries as lq
from colearn.graph import references
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore

__all__ = ["partner_access", "partner_access_in_force", "profile", "set_profile"]


def profile(store: GraphStore, learner_id: str) -> dict[str, Any]:
    """``{id, name, interests, themes, destinations, home_place, partner_access}``: lists
    sorted; ``partner_access`` True or False as the learner chose, None when they have not
    (the city's ``COLEARN_PARTNER_ACCESS_DEFAULT`` applies). Raises ``NotFound``."""
    rows = store.read(lq.LEARNER_PROFILE, {"learner_id": learner_id})
    if not rows:
        raise NotFound(f"learner '{learner_id}' not found")
    row = dict(rows[0])
    row["themes"], row["destinations"] = sorted(row["themes"] or []), sorted(row["destinations"] or [])
    row["interests"] = row["interests"] or ""
    return row


def partner_access(store: GraphStore, learner_id: str, default: bool) -> bool:
    """Whether partner keys may read ``learner_id``'s recommendations and pathways: the
    learner's ``partner_access`` choice, else ``default`` (``COLEARN_PARTNER_ACCESS_DEFAULT``),
    also for a learner the graph does not hold (the read that follows answers 404)."""
    rows = store.read(lq.LEARNER_PARTNER_ACCESS, {"learner_id": learner_id})
    return partner_access_in_force(rows[0]["partner_access"] if rows else None, default)


def partner_access_in_force(chosen: bool | None, default: bool) -> bool:
    """The one rule of which answer holds: the learner's ``chosen`` (a profile's stored
    ``partner_access``), else ``default`` when they have not chosen (None)."""
    return default if chosen is None else bool(chosen)


def set_profile(store: GraphStore, learner_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the fields given (``name``, ``interests``, ``themes``, ``destinations``,
    ``home_place``, ``partner_access``; None clears one: ``partner_access`` None goes back
    to the city's default) and return the profile (``profile``). ``partner_access`` is
    written only when given: a save of the other fields, which writes them whole, never
    undoes a choice made since it read them. The ids given are looked
    up in one read (``references.missing``); when any names nothing, nothing is written.

    Raises:
        NotFound: unknown learner.
        InvalidInput: one theme, destination or place that does not exist, its field
            (``themes.1``, ``home_place``) and id named (``unknown Theme 'x'``); or a
            ``home_place`` that is no district (it lies within another place).
        InvalidInputs: several, one problem each, in field order.
    """
    current = profile(store, learner_id)
    named = [(label, ref, f"{field}.{i}") for field, label in (("themes", Label.THEME),
                                                              ("destinations", Label.DESTINATION))
             for i, ref in enumerate(changes.get(field) or [])]
    if changes.get("home_place"):
        named.append((Label.PLACE, changes["home_place"], "home_place"))
    missing = references.missing(store, references.by_label((label, ref) for label, ref, _ in named))
    refuse([InvalidInput(f"unknown {label} '{ref}'", field=fld) for label, ref, fld in named if ref in missing[label]])
    if changes.get("home_place"):
        _require_district(store, changes["home_place"])
    merged = {**current, **changes}
    store.write(lq.SET_LEARNER_PROFILE, {"learner_id": learner_id, "name": merged.get("name"),
                                         "interests": merged.get("interests") or "",
                                         "themes": sorted(set(merged.get("themes") or [])),
                                         "destinations": sorted(set(merged.get("destinations") or [])),
                                         "home_place": merged.get("home_place"),
                                         "choose_partner_access": "partner_access" in changes,
                                         "partner_access": changes.get("partner_access")})
    return profile(store, learner_id)


def _require_district(store: GraphStore, place_id: str) -> None:
    """Refuse a home place that is not a district (a place within no other, as the
    insights and the recommender's reach filter read a learner's home).

    Raises:
        InvalidInput: (``home_place``) the place lies within another; the message names its district.
    """
    up = store.read(lq.PLACE_DISTRICT, {"id": place_id})
    if up:
        names = " or ".join(f"'{d['id']}' ({d['name'] or d['id']})" for d in sorted(up, key=lambda d: d["id"]))
        raise InvalidInput(f"place '{place_id}' is not a district: it lies within {names}; a home district "
                           "is a place that lies within no other", field="home_place")
