"""The catalogue reader's checks: every problem of a catalogue, found in one run.

``read_checked`` validates every record (pydantic, one problem per failing field),
refuses duplicate ids and applies the pathway rules that need no graph;
``reference_problems`` checks every reference against the catalogue and then the
graph, with the pathway rules that need them; ``place_problems`` finds places
that lie within themselves. Each returns its problems rather than raising the
first, so that ``ingest.catalogue`` refuses a catalogue with all of them at once
(``colearn.errors.refuse``), each naming the file, the record and the field.

A record that fails validation is left out of the catalogue, but its id (when it
has one) is not reported as an unknown reference elsewhere: its own problems are.
A pathway is checked against the graph as far as it could be read
(``records.catalogue.pathway_refs``: a step whose ``badges`` are no list of ids is
the only part left out). A spine section that fails validation leaves the spine
cells and destinations unknown, so references to them are not checked.

The pathway rules are ``records.catalogue``'s (``step_badge_problems``,
``pathway_reference_problems``), the same the authoring API applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from colearn.errors import InvalidInput
from colearn.graph import queries, references
from colearn.graph.issuing import issuer_change_problem, stranded_claim_codes
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue_files import Catalogue, Entry, PathwayNames, RawCatalogue, Where, read_raw
from colearn.ingest.spine import default_spine_path, read_spine, spine_cell_rows
from colearn.records.catalogue import (BadgeRecord, DestinationRecord, OpportunityRecord, OrganisationRecord,
                                       PathwayRecord, PlaceRecord, StepRow, ThemeRecord, pathway_reference_problems,
                                       pathway_refs, step_badge_problems, within_cycle)
from colearn.records.spine import SpineFile

__all__ = ["place_problems", "read_checked", "reference_problems"]

M = TypeVar("M", bound=BaseModel)

#: The label of each section's records.
_LABELS: dict[str, Label] = {
    "destinations": Label.DESTINATION, "themes": Label.THEME, "places": Label.PLACE,
    "organisations": Label.ORGANISATION, "badges": Label.BADGE, "opportunities": Label.OPPORTUNITY,
    "pathways": Label.PATHWAY,
}


def _validate(model: type[M], data: dict[str, Any], where: Where, problems: list[InvalidInput],
              steps: list[Where] | None = None) -> M | None:
    """The record, or None with one problem per failing field added to ``problems``;
    a field of a pathway's step (``steps.<i>...``) is named at the step's place."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc, at = list(e["loc"]), where
            if steps is not None and len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) \
                    and loc[1] < len(steps):
                at, loc = steps[loc[1]], loc[2:]
            problems.append(at.error(e["msg"], ".".join(str(p) for p in loc) or None))
        return None


def _refused(cat: Catalogue, section: str, data: dict[str, Any]) -> None:
    """Remember a refused record's id, so that references to it are not reported unknown."""
    if isinstance(data.get("id"), str):
        cat.unread.setdefault(_LABELS[section], {})[data["id"].strip()] = data


def _validated(model: type[M], raw: RawCatalogue, section: str, cat: Catalogue,
               problems: list[InvalidInput]) -> list[Entry[M]]:
    out = []
    for data, where in raw.sections.get(section, []):
        record = _validate(model, data, where, problems)
        if record is None:
            _refused(cat, section, data)
        else:
            out.append(Entry(record, where))
    return out


def _pathways(raw: RawCatalogue, cat: Catalogue, problems: list[InvalidInput]) -> None:
    """Validate pathways (CSV pathways take their steps from ``pathway_steps``), and
    apply the pathway rules that need no graph to every one, valid or not."""
    rows = raw.sections.get("pathways", [])
    step_rows = raw.sections.get("pathway_steps", [])
    csv_pathways = "pathways" in raw.csv_sections
    if step_rows and "pathways" in raw.sections and not csv_pathways:
        problems.append(step_rows[0][1].error(
            "pathway_steps.csv goes with pathways.csv; in YAML, steps are listed inside each pathway"))
        step_rows = []
    ids = {str(d.get("id")) for d, _ in rows}
    by_pathway: dict[str, list[tuple[dict[str, Any], Where]]] = {}
    for data, where in step_rows:
        _validate(StepRow, data, where, problems)  # its own fields; a bad one is named again below, once
        name = data.get("pathway")
        if not isinstance(name, str):
            continue
        if name not in ids:
            in_file = raw.section_file.get("pathways", "the catalogue (no pathways section)")
            problems.append(where.error(f"no pathway '{name}' in {in_file}", "pathway"))
            continue
        by_pathway.setdefault(name, []).append(({k: v for k, v in data.items() if k != "pathway"}, where))
    for data, where in rows:
        if csv_pathways:
            mine = by_pathway.get(str(data.get("id")), [])
            data = {**data, "steps": [d for d, _ in mine]}
            wheres = [w for _, w in mine]
        else:
            steps = data.get("steps")
            wheres = [Where(where.file, where.record, f"steps.{i}.")
                      for i in range(len(steps) if isinstance(steps, list) else 0)]
        pathway = _validate(PathwayRecord, data, where, problems, steps=wheres)
        refs = pathway_refs(pathway if pathway is not None else data)
        for i, fld, message in step_badge_problems(refs):
            problems.append((where if i is None else wheres[i]).error(message, fld))
        cat.pathway_names.append(PathwayNames(refs, where, wheres))
        if pathway is None:
            _refused(cat, "pathways", data)
        else:
            cat.pathways.append(Entry(pathway, where))
            cat.step_where[pathway.id] = wheres


def _ids_in_order(raw: RawCatalogue, section: str, entries: Iterable[Entry[Any]]) -> list[tuple[str, Where]]:
    """Every record's id in the order of the files, ``(id, where)``: a valid record's as read,
    a refused one's as written (stripped), so that a duplicate is named even when one of the
    two records has another problem; a record with no id of its own is left out."""
    valid = {id(e.where): e.value.id for e in entries}
    out = []
    for data, where in raw.sections.get(section, []):
        value = valid.get(id(where))
        if value is None and isinstance(data.get("id"), str) and data["id"].strip():
            value = data["id"].strip()
        if value is not None:
            out.append((value, where))
    return out


def _unique(label: Label, ids: Iterable[tuple[str, Where]], problems: list[InvalidInput],
            taken: dict[str, Where] | None = None) -> None:
    seen: dict[str, Where] = dict(taken or {})
    for value, where in ids:
        first = seen.get(value)
        if first is not None:
            problems.append(where.error(f"duplicate {label} id '{value}' (first in {first.file}, "
                                        f"record {first.record})", "id"))
        else:
            seen[value] = where


def read_checked(path: Path) -> tuple[Catalogue, list[InvalidInput]]:
    """Read a catalogue and validate everything that needs no graph.

    Returns:
        The catalogue of the records that passed (with what it knows of those that
        did not: ``Catalogue.unread``, ``pathway_names``), and every problem found.

    Raises:
        InvalidInput: the files themselves cannot be read as a catalogue
            (``catalogue_files.read_raw``: no such folder, not YAML, a section twice).
    """
    raw = read_raw(path)
    problems: list[InvalidInput] = list(raw.problems)
    spine: SpineFile | None = None
    if raw.spine is not None:
        data, where = raw.spine
        spine, spine_source = _validate(SpineFile, data, where, problems), where.file
    else:
        spine, spine_source = read_spine(None), str(default_spine_path())
    cat = Catalogue(source=str(path), spine=spine or read_spine(None), spine_source=spine_source)
    if spine is None:  # the catalogue's cells and destinations are not known: their references are not checked
        cat.unchecked |= {Label.SPINE_CELL, Label.DESTINATION}
    cat.destinations = _validated(DestinationRecord, raw, "destinations", cat, problems)
    cat.themes = _validated(ThemeRecord, raw, "themes", cat, problems)
    cat.places = _validated(PlaceRecord, raw, "places", cat, problems)
    cat.organisations = _validated(OrganisationRecord, raw, "organisations", cat, problems)
    cat.badges = _validated(BadgeRecord, raw, "badges", cat, problems)
    cat.opportunities = _validated(OpportunityRecord, raw, "opportunities", cat, problems)
    _pathways(raw, cat, problems)
    spine_dests = {d.id: Where(spine_source, "spine", f"destinations.{i}.")
                   for i, d in enumerate(spine.destinations)} if spine is not None else {}
    _unique(Label.DESTINATION, _ids_in_order(raw, "destinations", cat.destinations), problems, taken=spine_dests)
    for section, entries in (("themes", cat.themes), ("places", cat.places), ("organisations", cat.organisations),
                             ("badges", cat.badges), ("opportunities", cat.opportunities),
                             ("pathways", cat.pathways)):
        _unique(_LABELS[section], _ids_in_order(raw, section, entries), problems)
    return cat, problems


def _references(cat: Catalogue) -> list[tuple[Label, str, Where, str]]:
    """Every reference of the records other than pathways: ``(label, id, where, field)``, in input order."""
    refs: list[tuple[Label, str, Where, str]] = []

    def many(label: Label, ids: list[str], where: Where, fld: str) -> None:
        refs.extend((label, v, where, f"{fld}.{j}") for j, v in enumerate(ids))

    for t in cat.themes:
        many(Label.DESTINATION, t.value.destinations, t.where, "destinations")
    for pl in cat.places:
        if pl.value.within is not None:
            refs.append((Label.PLACE, pl.value.within, pl.where, "within"))
    for b in cat.badges:
        refs.append((Label.ORGANISATION, b.value.issuer, b.where, "issuer"))
        many(Label.SPINE_CELL, b.value.cells, b.where, "cells")
        many(Label.THEME, b.value.themes, b.where, "themes")
    for o in cat.opportunities:
        refs.append((Label.ORGANISATION, o.value.organisation, o.where, "organisation"))
        if o.value.place is not None:
            refs.append((Label.PLACE, o.value.place, o.where, "place"))
        many(Label.THEME, o.value.themes, o.where, "themes")
        many(Label.BADGE, o.value.badges, o.where, "badges")
    return refs


def _known_ids(cat: Catalogue) -> dict[Label, set[str]]:
    """The ids the catalogue itself defines, refused records' included."""
    known = {
        Label.SPINE_CELL: {r["id"] for r in spine_cell_rows(cat.spine)},
        Label.DESTINATION: {d.id for d in cat.spine.destinations} | {e.value.id for e in cat.destinations},
        Label.THEME: {e.value.id for e in cat.themes},
        Label.PLACE: {e.value.id for e in cat.places},
        Label.ORGANISATION: {e.value.id for e in cat.organisations},
        Label.BADGE: {e.value.id for e in cat.badges},
    }
    for label, records in cat.unread.items():
        known.setdefault(label, set()).update(records)
    return known


def _completion_issuers(store: GraphStore, cat: Catalogue, known: dict[Label, set[str]]) -> dict[str, str | None]:
    """Who defines each completion badge that can be told: the catalogue's issuer,
    a refused badge record's when it names one, else the graph's (None: no one)."""
    issuers: dict[str, str | None] = {e.value.id: e.value.issuer for e in cat.badges}
    for bid, data in cat.unread.get(Label.BADGE, {}).items():
        if isinstance(data.get("issuer"), str) and data["issuer"].strip():
            issuers[bid] = data["issuer"].strip()
    outside = sorted({n.refs.completion_badge for n in cat.pathway_names} - known[Label.BADGE] - {None})
    if outside:
        issuers |= dict.fromkeys(outside)
        issuers |= {r["badge_id"]: r["issuer_id"] for r in store.read(queries.BADGE_ISSUERS, {"badge_ids": outside})}
    return issuers


def reference_problems(store: GraphStore, cat: Catalogue) -> list[InvalidInput]:
    """Every reference that names a node neither in the catalogue nor in the graph,
    and the rules that need the graph: a pathway's (``pathway_reference_problems``:
    its completion badge its organisation's own too), and a badge with live awards
    or a pathway to complete keeps its issuer (``issuing.issuer_change_problem``), and an
    opportunity keeps what its live claim codes need (``issuing.stranded_claim_codes``).

    Reads only: one ``references.missing`` for all the references outside the
    catalogue together (whatever their labels), one read of the badges' issuers and
    one of the completion badges', and a few more per badge whose issuer changes.

    Returns:
        One problem per reference or rule broken, in input order: the records'
        references, then the pathways', then the issuers.
    """
    known = _known_ids(cat)
    refs = _references(cat)
    outside = references.by_label([*((label, ref) for label, ref, _, _ in refs),
                                   *((kind, i) for names in cat.pathway_names
                                     for kind, ids in names.refs.named().items() for i in ids)])
    missing = references.missing(store, {label: ids - known[label] for label, ids in outside.items()
                                         if label not in cat.unchecked})

    def unknown(label: Label | str, ref: str) -> bool:
        return ref in missing.get(Label(label), ())

    problems = [where.error(f"unknown {label} '{ref}'", fld) for label, ref, where, fld in refs if unknown(label, ref)]
    issuers = _completion_issuers(store, cat, known)
    for names in cat.pathway_names:
        for fld, message in pathway_reference_problems(names.refs, unknown=unknown, issuers=issuers):
            head, _, rest = fld.partition(".")
            if head == "steps":  # steps.<i>.<field>: named at the step's place
                i, _, fld = rest.partition(".")
                problems.append(names.steps[int(i)].error(message, fld))
            else:
                problems.append(names.where.error(f"pathway '{names.refs.id}': {message}", fld))
    stored = {r["badge_id"]: r["issuer_id"] for r in store.read(
        queries.BADGE_ISSUERS, {"badge_ids": [b.value.id for b in cat.badges]})}
    for b in cat.badges:  # only a badge whose issuer changes costs more reads
        fixed = issuer_change_problem(store, b.value.id, b.value.issuer) \
            if stored.get(b.value.id) not in (None, b.value.issuer) else None
        if fixed:
            problems.append(b.where.error(fixed, "issuer"))
    stranded = stranded_claim_codes(store, {o.value.id: (o.value.organisation, o.value.badges)
                                            for o in cat.opportunities})
    problems.extend(o.where.error(stranded[o.value.id][1], stranded[o.value.id][0]) for o in cat.opportunities
                    if o.value.id in stranded)
    return problems


def place_problems(store: GraphStore, cat: Catalogue) -> list[InvalidInput]:
    """Every place that lies within itself, at once or through other places, once the
    catalogue's ``within`` links replace the graph's (``records.catalogue.within_cycle``).

    Reads only: the graph's ``WITHIN`` links (``queries.PLACES_WITHIN``), when the
    catalogue has places.

    Returns:
        One problem per place on a cycle, naming its ``within``.
    """
    if not cat.places:
        return []
    within: dict[str, str | None] = {r["id"]: r["within"] for r in store.read(queries.PLACES_WITHIN)}
    within |= {e.value.id: e.value.within for e in cat.places}
    return [e.where.error(problem, "within") for e in cat.places
            if (problem := within_cycle(e.value.id, within)) is not None]
