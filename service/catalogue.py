"""Catalogue operations for the API: pages with filters, get, create, update, delete.

Every write is one statement (``queries.catalogue_upsert``, ``catalogue_delete``),
after the record has been validated with the same pydantic models the
catalogue reader uses (``colearn.records``) and its references checked
against the graph in one read, every reference that names nothing refused at
once (``check_references``). An update is a patch: the stored record, the patch on top,
and the whole result validated again, so the rules that tie fields together
(a place unless online, end after start) hold after every change.

Who may write is ``domain/policy.py``'s (``catalogue_action``): an organisation
its own badges (``issuer``) and opportunities (``organisation``) and its own
profile; admin everything, and alone the organisations, themes, destinations,
places and spine cells. ``Entity.owner`` names the field that says who owns a node.

An opportunity may list any organisation's badges (a college course that
prepares for a library's club badge): listing issues nothing, and only a
badge's issuer can award it (``graph.issuing`` refuses anyone else). What is
issued in an organisation's name must be its own: a pathway's completion
badge (``records.catalogue.pathway_reference_problems``, asked by ``authoring``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from colearn.domain import catalogue as domain_catalogue
from colearn import times
from colearn.domain import policy
from colearn.errors import Conflict, InvalidInput, InvalidInputs, NotFound
from colearn.graph import queries, references
from colearn.graph.issuing import in_use, issuer_change_problem, stranded_claim_codes
from colearn.graph.queries import Link
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.records.catalogue import (BadgeRecord, DestinationRecord, IssuerRecord, OpportunityRecord,
                                       PlaceRecord, ThemeRecord, within_cycle)
from colearn.records.fields import merge_patch
from colearn.records.spine import SpineCellRecord
from colearn.text import expected
from colearn.service.auth import Principal

#: Opportunity dates: record field -> stored epoch-seconds property.
_DATES = {"start": "starts_on", "end": "ends_on"}


@dataclass(frozen=True)
class Entity:
    """A catalogue resource of the API.

    Attributes:
        label: its graph label.
        record: the pydantic model that validates it (shared with the catalogue reader).
        owner: the field naming the organisation that owns it (``issuer``,
            ``organisation``, ``id`` for an organisation itself), or None when
            only admin may write it.
        noun: how messages name it.
    """

    label: Label
    record: type[BaseModel]
    owner: str | None
    noun: str


ORGANISATION = Entity(Label.ORGANISATION, IssuerRecord, "id", "organisation")
OPPORTUNITY = Entity(Label.OPPORTUNITY, OpportunityRecord, "organisation", "opportunity")
BADGE = Entity(Label.BADGE, BadgeRecord, "issuer", "badge")
THEME = Entity(Label.THEME, ThemeRecord, None, "theme")
DESTINATION = Entity(Label.DESTINATION, DestinationRecord, None, "destination")
PLACE = Entity(Label.PLACE, PlaceRecord, None, "place")
SPINE_CELL = Entity(Label.SPINE_CELL, SpineCellRecord, None, "spine cell")


def validation_error(exc: ValidationError, prefix: tuple[str | int, ...] = ("body",)) -> RequestValidationError:
    """A pydantic error as the API's 422 (problem+json with field paths under ``prefix``)."""
    return RequestValidationError([{**e, "loc": (*prefix, *e["loc"])} for e in exc.errors()])


def field_error(field: str, message: str, location: str = "body") -> RequestValidationError:
    """A 422 for one field of the request (``field`` is dotted: ``steps.2.badges.0``;
    ``location`` is ``body``, ``query`` or ``path``)."""
    loc = (location, *(int(p) if p.isdigit() else p for p in field.split(".")))
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


@contextmanager
def request_fields(location: Literal["body", "query", "path"]) -> Iterator[None]:
    """Name the field of a lower layer's ``InvalidInput`` as the request's: the
    domain says ``recipient.identity`` or ``from``, the API ``body.recipient.identity``
    or ``query.from``, as a validation error spells it.

    Raises:
        RequestValidationError: in place of an ``InvalidInput`` that names a field, or
            of an ``InvalidInputs`` whose every problem names one (one ``errors`` entry
            per problem, as ``check_references`` answers); other errors, subclasses
            such as ``BatchRefused``, and problems naming a file or record pass unchanged.
    """
    try:
        yield
    except InvalidInputs as exc:
        if not all(p.field and p.file is None and p.record is None for p in exc.problems):
            raise
        raise RequestValidationError([field_error(str(p.field), p.detail, location).errors()[0]
                                      for p in exc.problems]) from exc
    except InvalidInput as exc:
        if type(exc) is not InvalidInput or not exc.field:
            raise
        raise field_error(exc.field, exc.detail, location) from exc


def _record(entity: Entity, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored node (``catalogue_get``'s shape) as the fields of its record model."""
    out = {k: v for k, v in stored.items() if k in entity.record.model_fields}
    for fld, prop in _DATES.items():
        if fld in entity.record.model_fields and stored.get(prop) is not None:
            # an end stored before ends were kept in range (2999-12-31 as 3000-01-01T00:00:00Z)
            # reads as the last second of the range, so that every write accepts it again
            out[fld] = times.from_epoch(min(stored[prop], times.LATEST_S))
    if "sessions" in entity.record.model_fields:
        out["sessions"] = [(times.from_epoch(a), times.from_epoch(b))
                           for a, b in zip(stored.get("session_starts") or [], stored.get("session_ends") or [])]
    return out


def public(entity: Entity, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored node as the API answers it: the record's fields, lists sorted."""
    out = _record(entity, stored)
    for k, v in out.items():
        if isinstance(v, list):
            out[k] = sorted(v)
    if entity.label == Label.OPPORTUNITY:
        out.setdefault("start", None)
        out.setdefault("end", None)
        out["sessions"] = [{"start": a, "end": b} for a, b in out.get("sessions", [])]
    return out


def page(store: GraphStore, entity: Entity, filters: dict[str, Any], *, q: str | None,
         limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """One page of a catalogue resource.

    Args:
        store: the graph.
        entity: which resource.
        filters: ``{filter: value or None}`` for the label's ``CATALOGUE_FILTERS``.
        q: free text matched (case-insensitively) in name and description.
        limit: at most this many records.
        offset: records skipped first.

    Returns:
        The total matching the filters, and the page's records (``public`` shape).
    """
    params = {name: filters.get(name) for name in queries.CATALOGUE_FILTERS[entity.label]}
    params |= {"q": q.strip() if q and q.strip() else None, "limit": limit, "offset": offset}
    row = store.read(queries.catalogue_page(entity.label), params)[0]
    return row["total"], [public(entity, r) for r in row["data"]]


def get_stored(store: GraphStore, entity: Entity, node_id: str) -> dict[str, Any]:
    """A node as stored (``catalogue_get``'s shape). Raises ``NotFound``."""
    rows = store.read(queries.catalogue_get(entity.label), {"id": node_id})
    if not rows:
        raise NotFound(f"{entity.noun} '{node_id}' does not exist")
    return rows[0]["record"]


def get(store: GraphStore, entity: Entity, node_id: str) -> dict[str, Any]:
    """A node in the ``public`` shape. Raises ``NotFound``."""
    return public(entity, get_stored(store, entity, node_id))


def _require_write(principal: Principal, entity: Entity, change: Literal["create", "update", "delete"],
                   node_id: str, owner_id: str | None) -> None:
    """Ask the policy whether ``principal`` may ``change`` the node ``node_id`` owned by ``owner_id``.

    Raises:
        Forbidden: it may not (``policy.catalogue_action``).
    """
    policy.require(principal, policy.catalogue_action(entity.label, change),
                   policy.Resource(f"{entity.noun} '{node_id}'", owners=(owner_id,) if owner_id else ()))


def _plural(entity: Entity) -> str:
    return entity.noun[:-1] + "ies" if entity.noun.endswith("y") else entity.noun + "s"


def reference_problems(store: GraphStore, entity: Entity, record: BaseModel) -> list[tuple[str, str]]:
    """Every reference of ``record`` that names no node, and a place that would lie within
    itself (``within_problem``).

    Reads: one ``references.missing`` for all of the record's links together (none when
    it names nothing), and the places' ``WITHIN`` links for a place that lies within one.

    Returns:
        ``(field, message)`` per problem, in the record's field order
        (``themes.1``, ``place``; ``within``).
    """
    _, links = queries.CATALOGUE_SHAPES[entity.label]
    named: list[tuple[Link, list[str]]] = []
    for link in links:
        value = getattr(record, link.field)
        named.append((link, list(value) if link.many else ([value] if value is not None else [])))
    unknown = references.missing(store, references.by_label((link.other, i) for link, ids in named for i in ids))
    problems = [(f"{link.field}.{i}" if link.many else link.field, f"unknown {link.other} '{ref}'")
                for link, ids in named for i, ref in enumerate(ids) if ref in unknown[link.other]]
    cycle = within_problem(store, record)
    return problems + ([("within", cycle)] if cycle else [])


def check_references(store: GraphStore, entity: Entity, record: BaseModel) -> None:
    """Refuse a record that names nodes that do not exist, or a place that would lie
    within itself, with every such problem at once (``reference_problems``).

    Raises:
        RequestValidationError: 422 with one ``errors`` entry per problem, each naming
            its body field (``body.themes.1``, ``body.place``, ``body.within``).
    """
    problems = reference_problems(store, entity, record)
    if problems:
        raise RequestValidationError([field_error(fld, message).errors()[0] for fld, message in problems])


def within_problem(store: GraphStore, record: BaseModel) -> str | None:
    """Why a place would lie within itself, at once or through other places
    (``records.catalogue.within_cycle`` on the graph's ``WITHIN`` links with this
    record's on top), or None; any other record, or a place within nothing, passes."""
    if not isinstance(record, PlaceRecord) or record.within is None:
        return None
    within: dict[str, str | None] = {r["id"]: r["within"] for r in store.read(queries.PLACES_WITHIN)}
    within[record.id] = record.within
    return within_cycle(record.id, within)


@dataclass(frozen=True)
class Filter:
    """What a filter's value names (``FILTERS``).

    Attributes:
        label: the label of the nodes whose id it is; None: a value of the listed
            nodes' own property of the filter's name (``kind``, ``layer``), checked
            against the values the city's nodes have.
        noun: how messages name such a node.
        listing: the route that lists the valid ids (None: no route lists them).
    """

    label: Label | None
    noun: str = ""
    listing: str | None = None


def _names(entity: Entity, listing: str) -> Filter:
    return Filter(entity.label, entity.noun, listing)


_OWN_VALUE = Filter(None)

#: Every filter of a list or recommendation route that names something of the city,
#: by parameter name (the same name means the same thing on every route): lists of
#: ids (``themes``), one id (``theme``, ``district``), or a value of the listed
#: nodes' own property (``kind``). Filters typed as an enum (``mode``, a theme's
#: ``kind``) are refused by their type, which lists its values.
FILTERS: dict[str, Filter] = {
    "themes": _names(THEME, "/themes"), "theme": _names(THEME, "/themes"),
    "destinations": _names(DESTINATION, "/destinations"), "destination": _names(DESTINATION, "/destinations"),
    "cells": _names(SPINE_CELL, "/spine-cells"), "spine_cell": _names(SPINE_CELL, "/spine-cells"),
    "district": _names(PLACE, "/places"), "place": _names(PLACE, "/places"), "within": _names(PLACE, "/places"),
    "organisation": _names(ORGANISATION, "/organisations"), "badge": _names(BADGE, "/badges"),
    "learner": Filter(Label.LEARNER, "learner"),
    "kind": _OWN_VALUE, "layer": _OWN_VALUE, "domain": _OWN_VALUE,
}


def check_filters(store: GraphStore, location: Literal["query", "body"], of: Entity | None = None,
                  **filters: str | list[str] | tuple[str, ...] | None) -> None:
    """Refuse filters that name nothing of the city (``FILTERS``): an unknown theme,
    district or kind would otherwise give an empty or unfiltered answer that looks
    like a real one. A real id that matches nothing is not refused.

    Args:
        store: the graph.
        location: where the filters came from, for the error's field path.
        of: the resource a list route lists: whose own property a ``kind``,
            ``layer`` or ``domain`` filter is (required for those).
        filters: parameter name (a key of ``FILTERS``) -> a list of ids
            (``themes``), one value, or ``None``; empty ones are not read.

    Raises:
        RequestValidationError: 422 with one ``errors`` entry per unknown value, of every
            filter at once (``filter_errors``).
        KeyError: a filter ``FILTERS`` does not know (a bug of the caller).
    """
    errors = filter_errors(store, location, of, **filters)
    if errors:
        raise RequestValidationError(errors)


def filter_errors(store: GraphStore, location: Literal["query", "body"], of: Entity | None = None,
                  **filters: str | list[str] | tuple[str, ...] | None) -> list[dict[str, Any]]:
    """The unknown values of ``filters`` (as ``check_filters`` takes them), as errors.

    Reads: one ``references.missing`` for every id filter together (none when no id is
    given), and each property filter's values (``kind``, ``layer``, ``domain``).

    Returns:
        One validation error entry per unknown value, in the order given: its field
        (``query.district``, ``query.themes.1``) and the route that lists the valid
        ids, or for a property the values the city's nodes have; empty when all are known.

    Raises:
        KeyError: a filter ``FILTERS`` does not know (a bug of the caller).
    """
    given: dict[str, tuple[Filter, bool, list[str]]] = {}
    for name, value in filters.items():
        spec = FILTERS[name]  # KeyError for a filter not known, given a value or not
        many = not (value is None or isinstance(value, str))
        values: list[str] = list(value or ()) if many else ([value] if value else [])  # type: ignore[list-item]
        if values:
            given[name] = (spec, many, values)
    unknown = references.missing(store, references.by_label(
        (spec.label, ref) for spec, _, values in given.values() if spec.label for ref in values))
    errors: list[dict[str, Any]] = []
    for name, (spec, many, values) in given.items():
        if spec.label is None:
            if of is None:
                raise KeyError(f"the {name} filter needs the resource it filters (of=)")
            have = [str(r["value"]) for r in store.read(queries.property_values(of.label, name))]
            errors += [field_error(name, f"no {of.noun} has the {name} '{v}'; {expected(have)}",
                                   location).errors()[0] for v in values if v not in have]
            continue
        where = f" (GET {spec.listing} lists them)" if spec.listing else ""
        errors += [field_error(f"{name}.{i}" if many else name, f"no {spec.noun} has the id '{ref}'{where}",
                               location).errors()[0]
                   for i, ref in enumerate(values) if ref in unknown[spec.label]]
    return errors


def request_errors(check: Callable[[], object], location: Literal["body", "query", "path"]) -> list[dict[str, Any]]:
    """The 422 ``errors`` entries a lower layer's ``check`` raises (as ``request_fields``
    names them), to refuse together with further checks (``refusing_also``); empty when it
    passes. Raises whatever ``check`` raises that ``request_fields`` does not turn into a 422.
    """
    try:
        with request_fields(location):
            check()
    except RequestValidationError as exc:
        return list(exc.errors())
    return []


@contextmanager
def refusing_also(errors: list[dict[str, Any]]) -> Iterator[None]:
    """Run a block of further checks and refuse ``errors`` (``filter_errors``) together with
    the block's own 422, so that neither hides the other.

    Raises:
        RequestValidationError: ``errors`` then the block's errors, when either has any.
    """
    try:
        yield
    except RequestValidationError as exc:
        raise RequestValidationError([*errors, *exc.errors()]) from exc
    if errors:
        raise RequestValidationError(errors)


def _write_params(entity: Entity, record: BaseModel) -> dict[str, Any]:
    scalars, links = queries.CATALOGUE_SHAPES[entity.label]
    data = record.model_dump(mode="json")
    if isinstance(record, OpportunityRecord):
        # the reader's rules: an end date includes its day; sessions give missing dates
        data |= {"starts_on": record.starts_on, "ends_on": record.ends_on,
                 "session_starts": [int(a.timestamp()) for a, _ in record.sessions],
                 "session_ends": [int(b.timestamp()) for _, b in record.sessions]}
    params: dict[str, Any] = {"id": record.id, "props": {s: data.get(s) for s in scalars}}
    for i, link in enumerate(links):
        value = data[link.field]
        params[f"l{i}"] = value if link.many else ([value] if value is not None else [])
    return params


def create(store: GraphStore, principal: Principal, entity: Entity, record: BaseModel) -> dict[str, Any]:
    """Create a node from a validated record, as one statement.

    Raises:
        Forbidden: the caller may not write it (``policy.catalogue_action``), or an
            organisation key names another organisation as its owner (naming
            ``body.issuer`` or ``body.organisation``: ``policy.require_own_organisation``).
        RequestValidationError: references name no node, or a place would lie
            within itself (422, every such field at once: ``check_references``).
        Conflict: the id is taken.
    """
    owner = getattr(record, entity.owner) if entity.owner else None
    if entity.owner and entity.owner != "id":
        policy.require_own_organisation(principal, owner, noun=_plural(entity), change="create",
                                        field=f"body.{entity.owner}")
    _require_write(principal, entity, "create", str(record.id), owner)
    check_references(store, entity, record)
    try:
        domain_catalogue.write_node(store, entity.label, _write_params(entity, record), create=True)
    except Conflict as exc:
        raise Conflict(f"{entity.noun} '{record.id}' already exists") from exc
    return get(store, entity, record.id)


def update(store: GraphStore, principal: Principal, entity: Entity, node_id: str,
           patch: dict[str, Any]) -> dict[str, Any]:
    """Apply a patch (the fields given; ``None`` clears a field whose default is empty:
    ``records.fields.merge_patch``) and write the whole record again.

    Raises:
        NotFound: no such node.
        Forbidden: the caller does not own it, or (an organisation key) would give it
            to another organisation (naming the owner's field, ``body.issuer``).
        Conflict: a badge's issuer would change while it has live awards or completes
            a pathway (``issuing.issuer_change_problem``); an opportunity would strand
            live claim codes (``issuing.stranded_claim_codes``).
        RequestValidationError: the patched record is invalid; or it names unknown
            nodes, or is a place that would lie within itself (every such field at
            once: ``check_references``).
    """
    current = _record(entity, get_stored(store, entity, node_id))
    _require_write(principal, entity, "update", node_id, current.get(entity.owner) if entity.owner else None)
    try:
        record = entity.record.model_validate({**merge_patch(entity.record, current, patch), "id": node_id})
    except ValidationError as exc:
        raise validation_error(exc) from exc
    if entity.owner and entity.owner != "id":
        policy.require_own_organisation(principal, getattr(record, entity.owner), change="update",
                                        noun=f"{entity.noun} '{node_id}'", field=f"body.{entity.owner}")
    if entity.label == Label.BADGE and current.get("issuer") != getattr(record, "issuer", None):
        fixed = issuer_change_problem(store, node_id, getattr(record, "issuer", None))
        if fixed:
            raise Conflict(fixed)
    if isinstance(record, OpportunityRecord):
        stranded = stranded_claim_codes(store, {node_id: (record.organisation, record.badges)})
        if stranded:
            raise Conflict(stranded[node_id][1])
    check_references(store, entity, record)
    if not domain_catalogue.write_node(store, entity.label, _write_params(entity, record), create=False):
        raise NotFound(f"{entity.noun} '{node_id}' does not exist")
    return get(store, entity, node_id)


def delete(store: GraphStore, principal: Principal, entity: Entity, node_id: str) -> None:
    """Delete a node and its links, unless something still needs it.

    Raises:
        NotFound: no such node.
        Forbidden: the caller does not own it.
        Conflict: something still refers to it (``issuing.in_use``, by label: e.g. badges, opportunities,
            pathways, steps, completions, awards, live claim codes, themes, places within it), each
            kind counted and named (for a badge's opportunities, with the route that takes it off).
    """
    if (used := in_use(store, entity.label, node_id)) is None:
        raise NotFound(f"{entity.noun} '{node_id}' does not exist")
    owner = _record(entity, get_stored(store, entity, node_id)).get(entity.owner) if entity.owner else None
    _require_write(principal, entity, "delete", node_id, owner)
    if not used and not domain_catalogue.delete_node(store, entity.label, node_id):
        used = in_use(store, entity.label, node_id)  # what blocked the statement: a link made since,
        if used is None:  # or another delete, which got there first
            raise NotFound(f"{entity.noun} '{node_id}' does not exist")
        used = used or {"": "something refers to it"}
    if used:
        how = f" (take it off an opportunity with DELETE /badges/{node_id}/opportunities/{{opportunity_id}})" * (
            entity.label == Label.BADGE and "opportunities" in used)
        raise Conflict(f"{entity.noun} '{node_id}' is still in use ({'; '.join(used.values())}); remove those first{how}")


def detach_badge(store: GraphStore, principal: Principal, badge_id: str, opportunity_id: str) -> None:
    """Take badge ``badge_id`` off opportunity ``opportunity_id`` (the opportunity no
    longer lists it), touching nothing else of it. An opportunity may list another
    organisation's badge, so the link has two owners: the badge's organisation and the
    opportunity's may each take it off (and admin).

    Raises:
        NotFound: no such badge or opportunity, or the opportunity does not list the badge.
        Forbidden: the caller is neither admin nor the badge's or the opportunity's organisation.
        Conflict: a live claim code grants the badge at the opportunity (revoke it first).
    """
    issuer = _record(BADGE, get_stored(store, BADGE, badge_id)).get("issuer")
    listed = _record(OPPORTUNITY, get_stored(store, OPPORTUNITY, opportunity_id))
    owners = tuple(o for o in (issuer, listed.get("organisation")) if o)
    policy.require(principal, policy.Action.CHANGE_OWN,
                   policy.Resource(f"badge '{badge_id}' or opportunity '{opportunity_id}'", owners=owners))
    if badge_id in (listed.get("badges") or []) and domain_catalogue.detach_badge(store, opportunity_id, badge_id):
        return
    codes = [c["id"] for c in store.read(queries.LIVE_CLAIM_CODES_AT, {"ids": [opportunity_id]})
             if c["badge_id"] == badge_id]
    if codes:  # what kept the statement from deleting it
        raise Conflict(f"badge '{badge_id}' is still granted at opportunity '{opportunity_id}' by live claim "
                       f"codes ({', '.join(codes[:queries.NAMED_USES])}); revoke those codes first "
                       "(POST /organisations/{organisation}/claim-codes/{id}/revoke)")
    raise NotFound(f"opportunity '{opportunity_id}' does not list badge '{badge_id}'")
