"""The catalogue reader's output side: a checked ``Catalogue`` -> batched graph writes.

Idempotent upserts in dependency order, one ``UNWIND`` statement per batch
(``common.write_batches``), each recorded in the change feed as a catalogue
change; each record's links of a kind are replaced by the listed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from colearn.graph import feed, queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue_files import Catalogue
from colearn.ingest.common import IngestReport, write_batches
from colearn.ingest.spine import spine_cell_rows
from colearn.records.catalogue import step_id
from colearn.records.fields import epoch

__all__ = ["write_catalogue"]


def _node(id_: str, **props: Any) -> dict[str, Any]:
    """A ``merge_nodes`` row."""
    return {"id": id_, "props": props}


def _link(id_: str, targets: Iterable[str | None],
          props: Callable[[int], dict[str, Any]] | None = None) -> dict[str, Any]:
    """A ``set_links`` row: the owner and its targets (``None`` targets dropped)."""
    ids = [t for t in targets if t is not None]
    return {"id": id_,
            "targets": [{"id": t, "props": props(i) if props else {}} for i, t in enumerate(ids)]}


def write_catalogue(store: GraphStore, catalogue: Catalogue) -> IngestReport:
    """Write a checked catalogue: idempotent upserts, one ``UNWIND`` statement per batch.

    Order: spine cells, destinations, themes, places, organisations, badges,
    opportunities, pathways and their steps. Each record's links of one kind
    are replaced by the listed ones; steps a pathway no longer has are deleted.

    Args:
        store: the graph.
        catalogue: from ``read_catalogue``, checked with ``check_references``.

    Returns:
        Rows written per label and per relationship type (``{"Badge": 51, "ALIGNS_TO": 72, ...}``),
        and a note for each organisation that defines badges without an email to award them with.

    Raises:
        ColearnError: the store rejected a statement (``StoreUnavailable`` if unreachable).
    """
    cat = catalogue
    report = IngestReport(source=cat.source)

    def nodes(label: Label, rows: list[dict[str, Any]]) -> None:
        report.add(str(label), write_batches(store, queries.merge_nodes(label), rows, label=str(label),
                                             record=feed.CATALOGUE))

    def links(owner: Label, rel: Rel, other: Label, rows: list[dict[str, Any]], *,
              outgoing: bool = True) -> None:
        write_batches(store, queries.set_links(owner, rel, other, outgoing=outgoing), rows, label=str(rel),
                      record=feed.CATALOGUE)
        report.add(str(rel), sum(len(r["targets"]) for r in rows))

    nodes(Label.SPINE_CELL, spine_cell_rows(cat.spine))
    dests = [*cat.spine.destinations, *(e.value for e in cat.destinations)]
    nodes(Label.DESTINATION, [_node(d.id, name=d.name, description=d.description) for d in dests])

    themes = [e.value for e in cat.themes]
    nodes(Label.THEME, [_node(t.id, name=t.name, kind=str(t.kind), description=t.description)
                        for t in themes])
    links(Label.THEME, Rel.LEADS_TO, Label.DESTINATION, [_link(t.id, t.destinations) for t in themes])

    nodes(Label.PLACE, [_node(pl.id, name=pl.name, kind=pl.kind, lat=pl.lat, lon=pl.lon)
                        for pl in (e.value for e in cat.places)])
    links(Label.PLACE, Rel.WITHIN, Label.PLACE, [_link(e.value.id, [e.value.within]) for e in cat.places])
    nodes(Label.ORGANISATION, [_node(o.id, name=o.name, kind=o.kind, url=o.url, email=o.email,
                                     description=o.description)
                               for o in (e.value for e in cat.organisations)])

    badges = [e.value for e in cat.badges]
    issuers = {b.issuer for b in badges}
    # the rule an award meets (domain.award_rows.check_issuer), told at ingest rather than at the first award
    report.notes.extend(
        (f"{e.where.file}, record {e.where.record}, field email",
         f"organisation '{e.value.id}' defines badges but has no email, so it cannot award them (an Open Badges "
         f"2.0 issuer Profile needs one): add it to this record, or set it with PATCH /organisations/{e.value.id}")
        for e in cat.organisations if not e.value.email and e.value.id in issuers)
    nodes(Label.BADGE, [_node(b.id, name=b.name, description=b.description, criteria=b.criteria,
                              expires_after_days=b.expires_after_days) for b in badges])
    links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, [_link(b.id, [b.issuer]) for b in badges],
          outgoing=False)
    links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL, [_link(b.id, b.cells) for b in badges])
    links(Label.BADGE, Rel.IN_THEME, Label.THEME, [_link(b.id, b.themes) for b in badges])

    opps = [e.value for e in cat.opportunities]
    nodes(Label.OPPORTUNITY, [_node(o.id, name=o.name, description=o.description, kind=o.kind,
                                    mode=str(o.mode), url=o.url, starts_on=o.starts_on,
                                    ends_on=o.ends_on,
                                    session_starts=[epoch(a) for a, _ in o.sessions],
                                    session_ends=[epoch(b) for _, b in o.sessions]) for o in opps])
    links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, [_link(o.id, [o.organisation]) for o in opps],
          outgoing=False)
    links(Label.OPPORTUNITY, Rel.LOCATED_IN, Label.PLACE, [_link(o.id, [o.place]) for o in opps])
    links(Label.OPPORTUNITY, Rel.IN_THEME, Label.THEME, [_link(o.id, o.themes) for o in opps])
    links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE, [_link(o.id, o.badges) for o in opps])

    pathways = [e.value for e in cat.pathways]
    nodes(Label.PATHWAY, [_node(p.id, title=p.title, description=p.description, status=str(p.status),
                                kind=str(p.kind)) for p in pathways])
    links(Label.PATHWAY, Rel.AUTHORED, Label.ORGANISATION, [_link(p.id, [p.organisation]) for p in pathways],
          outgoing=False)
    links(Label.PATHWAY, Rel.TOWARDS, Label.DESTINATION, [_link(p.id, [p.destination]) for p in pathways])
    links(Label.PATHWAY, Rel.COMPLETES_WITH, Label.BADGE,
          [_link(p.id, [p.completion_badge]) for p in pathways])
    step_ids = {p.id: [step_id(p.id, n) for n in range(1, len(p.steps) + 1)] for p in pathways}
    write_batches(store, queries.DELETE_STALE_STEPS,
                  [{"id": p.id, "step_ids": step_ids[p.id]} for p in pathways], label=str(Label.STEP),
                  record=feed.CATALOGUE)
    steps = [(sid, s) for p in pathways for sid, s in zip(step_ids[p.id], p.steps)]
    nodes(Label.STEP, [_node(sid, title=s.title, required=s.required, optional=s.optional)
                       for sid, s in steps])
    links(Label.PATHWAY, Rel.HAS_STEP, Label.STEP,
          [_link(p.id, step_ids[p.id], lambda i: {"order": i + 1}) for p in pathways])
    links(Label.STEP, Rel.ACCEPTS, Label.BADGE, [_link(sid, s.badges) for sid, s in steps])
    return report
