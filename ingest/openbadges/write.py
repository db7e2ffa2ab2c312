"""A batch of parsed Open Badges documents -> checks against the graph ->
batched, idempotent graph writes (``ingest_openbadges``, ``write_documents``)."""

from __future__ import annotations

import os
from pathlib import Path

from typing import TYPE_CHECKING

from colearn.config import get_settings
from colearn.errors import InvalidInput
from colearn.graph import feed, queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.common import write_batches
from colearn.ingest.openbadges.files import load_json, parse_openbadges_document
from colearn.ingest.openbadges.results import (
    ASSERTION_PROPS,
    BatchRefused,
    OBAssertion,
    OBBadge,
    OBDocument,
    OBOrganisation,
    OpenBadgesReport,
)
from colearn.ingest.spine import ingest_spine, read_spine

if TYPE_CHECKING:
    from colearn.openbadges.verify import Verifier

#: Writes imported awards: every key of ``ASSERTION_PROPS`` in the assertion's ``CREATE`` map.
ASSERTION_STATEMENT = queries.merge_assertions_optional_issuer(ASSERTION_PROPS)


#: Why an award a learner imported is not ingested again (``OpenBadgesReport.skipped``).
IN_A_PORTFOLIO = ("award '{url}' is already in a learner's portfolio (they imported it); "
                  "it is left as it is")


def _check_assertion_ids(store: GraphStore, docs: list[OBDocument]
                         ) -> tuple[list[OBDocument], list[tuple[str, str]], list[tuple[str, str]]]:
    """Sort documents by their assertion ids: ``(to write, refused, passed over)``.

    Refused ``[(file, reason)]``: an id that another file of the batch, or an award in
    the graph, uses for another badge or recipient. Passed over ``[(file, reason)]``:
    an award a learner has imported (it is TO them, not to the learner an ingest
    derives from its recipient), when the document is that same award: the same badge
    and the same recipient (the stored ``recipient_learner``, i.e. the same IdentityHash
    and salt). Nothing of it is written again, so the import stands as it is."""
    kept: list[OBDocument] = []
    refused: list[tuple[str, str]] = []
    seen: dict[str, tuple[str, str, str]] = {}
    for d in docs:
        clash = next(((a, seen[a.id]) for a in d.assertions
                      if a.id in seen and seen[a.id][:2] != (a.badge_id, a.learner.id)), None)
        if clash:
            a, (_, _, other) = clash
            refused.append((str(d.path), f"assertion id '{a.source_url}' is also used by {other} for a different "
                                         "badge or recipient; an id names one award"))
            continue
        for a in d.assertions:
            seen.setdefault(a.id, (a.badge_id, a.learner.id, str(d.path)))
        kept.append(d)
    if not seen:
        return kept, refused, []
    existing = {r["id"]: r for r in store.read(queries.ASSERTION_ENDPOINTS, {"ids": sorted(seen)})}

    def clashes(a: OBAssertion) -> bool:
        got = existing.get(a.id)
        return got is not None and (got["badge_id"], got["learner_id"]) != (a.badge_id, a.learner.id)

    def imported(a: OBAssertion) -> bool:
        got = existing[a.id]
        return got["badge_id"] == a.badge_id and got["recipient_learner"] == a.learner.id

    final: list[OBDocument] = []
    passed: list[tuple[str, str]] = []
    for d in kept:
        clash_a = next((a for a in d.assertions if clashes(a) and not imported(a)), None)
        if clash_a:
            refused.append((str(d.path), f"assertion id '{clash_a.source_url}' is already in the graph for a "
                                         "different badge or recipient; an id names one award"))
        elif held := [a for a in d.assertions if clashes(a)]:
            passed.append((str(d.path), f"{d.kind}: not ingested: {IN_A_PORTFOLIO.format(url=held[0].source_url)}"))
        else:
            final.append(d)
    return final, refused, passed


def _verification_refusal(verifier: "Verifier", document: object) -> str | None:
    """Why an award document fails the checks ``colearn verify`` makes (offline), as
    ``"<check>: <detail>; ..."``, or None. A plain expiry is not a refusal: ingest
    loads history (``VerificationReport.refusals``)."""
    try:
        report = verifier.verify(document)  # type: ignore[arg-type]
    except InvalidInput as exc:
        return exc.detail
    failed = report.refusals(history=True)
    if not failed:
        return None
    return "it does not verify: " + "; ".join(f"{c.name}: {c.detail}" for c in failed)


def ingest_openbadges(store: GraphStore, paths: list[Path] | list[str], *, strict: bool = True,
                      spine: Path | str | None = None, verifier: "Verifier | None" = None) -> OpenBadgesReport:
    """Ingest a batch of Open Badges 2.0 / 3.0 files: all of them or, in strict mode, none.

    Every file is parsed and validated (``parse_openbadges_document``); each
    award (an Assertion or a credential) must also pass the offline checks
    ``colearn verify`` and a portfolio import make (``verify.Verifier``: the
    format and image rules, a proof that verifies where one can be checked,
    the date rule, revocation), except that an award past its expiry is loaded
    (a record of what was learned). Then assertion ids are checked against the
    batch and the graph, before anything is written: an id used for another
    award is refused, and an award a learner has since imported into their
    portfolio (the same badge and recipient) is passed over, left as the import
    made it. Writes (idempotent ``UNWIND`` statements): the spine,
    Organisations, Badges (with ``DEFINES`` and ``ALIGNS_TO``), placeholders
    for objects known by URL only, then Learners and Assertions.

    Args:
        store: the graph.
        paths: the files.
        strict: True (default): one refused file refuses the whole batch and
            nothing is written. False: the good files are ingested and the
            refused ones listed in ``report.refused`` (what the CLI does).
        spine: the spine file (alignments may name its cells); default the
            bundled one.
        verifier: checks each award; default one for this service's published
            documents and keys (``COLEARN_BASE_URL``, ``COLEARN_DATA_DIR``).

    Returns:
        Rows written per label, ``refused`` ``[(file, reason)]`` (non-strict),
        ``skipped`` ``[(file, reason)]`` for recognised types not ingested and
        for awards already in a learner's portfolio (``IN_A_PORTFOLIO``), and
        ``stubs`` ``[(label, source_url)]`` for new placeholders.

    Raises:
        BatchRefused: (an ``InvalidInput``) in strict mode, when any file is
            refused; ``.refused`` lists each file with its reason.
        InvalidInput: the spine file is bad.
        StoreUnavailable: the store cannot be reached.
    """
    spine_file = read_spine(spine)
    files = [Path(p) for p in paths]
    source = str(files[0]) if len(files) == 1 else \
        f"{len(files)} files in {os.path.commonpath([str(f.resolve().parent) for f in files])}" if files else "no files"
    report = OpenBadgesReport(source=source)
    docs: list[OBDocument] = []
    refused: list[tuple[str, str]] = []
    if verifier is None:
        from colearn.openbadges.documents import Publisher
        from colearn.openbadges.verify import Verifier

        verifier = Verifier(Publisher.from_settings(store, get_settings()))
    for f in files:
        try:
            raw = load_json(f)
            doc = parse_openbadges_document(f, spine=spine_file, document=raw)
        except InvalidInput as exc:
            named = not exc.field or exc.field in exc.detail
            refused.append((str(f), exc.detail if named else f"field '{exc.field}': {exc.detail}"))
            continue
        wrong = _verification_refusal(verifier, raw) if doc.assertions and not doc.skipped else None
        if wrong is not None:
            refused.append((str(f), f"{doc.kind}: {wrong}"))
        else:
            docs.append(doc)
    for d in docs:
        if d.skipped:
            report.skipped.append((str(d.path), f"{d.kind}: not ingested: {d.skipped}"))
    to_write, clashes, passed = _check_assertion_ids(store, [d for d in docs if not d.skipped])
    refused += clashes
    report.skipped.extend(passed)
    if refused and strict:
        raise BatchRefused(refused, len(files))
    report.refused.extend(refused)
    if to_write:
        _write(store, to_write, report, spine)
    return report


def write_documents(store: GraphStore, docs: list[OBDocument], *, source: str,
                    spine: Path | str | None = None, create_only: bool = False) -> OpenBadgesReport:
    """Write parsed documents (from ``parse_openbadges_document``) as ``ingest_openbadges``
    does, without its batch checks: for a caller that checked them itself (an
    import into one learner's portfolio). The spine is not written: alignments
    link to the cells the graph already has, so a city's own edits to its
    cells are kept. ``create_only``: an organisation or badge that exists by the
    time it is written is left as it is (an import never changes one)."""
    report = OpenBadgesReport(source=source)
    _write(store, docs, report, spine, with_spine=False, create_only=create_only)
    return report


def _write(store: GraphStore, docs: list[OBDocument], report: OpenBadgesReport,
           spine: Path | str | None, *, with_spine: bool = True, create_only: bool = False) -> None:
    orgs: dict[str, OBOrganisation] = {}
    org_stubs: dict[str, OBOrganisation] = {}
    badges: dict[str, OBBadge] = {}
    badge_stubs: dict[str, OBBadge] = {}
    assertions: dict[str, OBAssertion] = {}
    for d in docs:
        for o in d.organisations:
            if o.stub:
                org_stubs.setdefault(o.id, o)
            else:
                orgs[o.id] = OBOrganisation(o.id, o.source_url, {**orgs[o.id].props, **o.props}) \
                    if o.id in orgs else o
        for b in d.badges:
            if b.stub:
                badge_stubs.setdefault(b.id, b)
            else:
                badges[b.id] = b
        for a in d.assertions:
            assertions.setdefault(a.id, a)
    org_stubs = {k: v for k, v in org_stubs.items() if k not in orgs}
    badge_stubs = {k: v for k, v in badge_stubs.items() if k not in badges}
    new_org_stubs = {r["id"] for r in store.read(queries.missing_ids(Label.ORGANISATION), {"ids": sorted(org_stubs)})}
    new_badge_stubs = {r["id"] for r in store.read(queries.missing_ids(Label.BADGE), {"ids": sorted(badge_stubs)})}
    report.stubs.extend((str(Label.ORGANISATION), org_stubs[i].source_url) for i in sorted(new_org_stubs))
    report.stubs.extend((str(Label.BADGE), badge_stubs[i].source_url) for i in sorted(new_badge_stubs))

    if with_spine:
        ingest_spine(store, spine)
    # issuers and badges, then the stubs of those only referred to (a stub never overwrites)
    full = queries.merge_stub_nodes if create_only else queries.merge_nodes
    for label, nodes, merge in ((Label.ORGANISATION, orgs, full),
                                (Label.ORGANISATION, org_stubs, queries.merge_stub_nodes),
                                (Label.BADGE, badges, full),
                                (Label.BADGE, badge_stubs, queries.merge_stub_nodes)):
        report.add(label, write_batches(store, merge(label), [{"id": n.id, "props": n.props} for n in nodes.values()],
                                        label=str(label), record=feed.CATALOGUE))
    write_batches(store, queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                  [{"id": b.id, "targets": [{"id": b.issuer_id, "props": {}}]}
                   for b in badges.values() if b.issuer_id], label=str(Label.BADGE), record=feed.CATALOGUE)
    write_batches(store, queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                  [{"id": b.id, "targets": [{"id": c, "props": {}} for c in b.cells]} for b in badges.values()],
                  label=str(Label.BADGE), record=feed.CATALOGUE)
    report.add(Label.ASSERTION, write_batches(store, ASSERTION_STATEMENT, [{
        "id": a.id, "organisation_id": a.issuer_id, "badge_id": a.badge_id, "learner_id": a.learner.id,
        "learner_props": a.learner.props, "props": a.props} for a in assertions.values()],
        label="Open Badges awards", record=feed.AWARDS))
    report.add(Label.LEARNER, len({a.learner.id for a in assertions.values()}))
    touched = sorted(set(badges) | set(badge_stubs) | {a.badge_id for a in assertions.values()})
    if touched:
        store.write(queries.LINK_ASSERTIONS_TO_BADGE_ISSUER, {"badge_ids": touched})
