"""Recommended pathway authoring: create, update, publish, archive, and the
completion award.

A pathway is validated whole, and refused with every problem at once
(``validated``): its shape with the ``PathwayRecord`` the catalogue reader also
uses (``colearn.records``: steps present, each step with badges, ``required`` not
above the step's size), and together with it the pathway rules of
``records.catalogue`` that the reader applies too (organisation, destination and
badges exist; a badge in one step only; the completion badge in no step and
defined by the pathway's own organisation, since its award is issued in that
organisation's name), so that fixing one answer's problems never brings up new
ones. It is written whole in one statement (``queries.pathway_upsert``). A step
that sits lower on the spine than the step before it is a warning, not an error:
organisations sometimes mean it (a "give back" step at the end).

Only the authoring organisation (or admin) may change a pathway; drafts are
visible to them alone (``domain/policy.py``: ``CHANGE_OWN``, ``SEE_DRAFT``).

Completion: when a learner's portfolio meets every non-optional step, the
pathway's completion badge is awarded once - one idempotent ``MERGE`` statement
(``queries.AWARD_PATHWAY_COMPLETION``) on an assertion id derived from the
pathway and the learner, so checking again never awards twice
(``domain.awards.award_completion``); and a learner
who already holds the completion badge live (issued or accepted, from any
pathway or a direct award) is not awarded it again. The award is ``issued`` by
the organisation that defines the badge and, like every award, counts once the
learner accepts it. (A completion is asked for by learner id, not by a recipient
email or URL, and must lock its pathway too; so it is its own statement.) Imports whose
origin was not established never count toward a completion.

A completion is published as an Open Badge like any award (OB 2.0 hosted
assertion, OB 3.0 credential with a status list bit): its recipient is the
IdentityObject of the learner's latest award issued here, else the learner's page
here hashed with a fresh salt (``domain.completions.award_completion``), so a
learner known only through the award history or imports is published too.

A pathway needs a step that is not optional (``records.catalogue.no_required_step``,
on every write and on publish): else holding nothing would complete it.

Policy when a step badge is revoked: a completion records that every step was
met, so when revoking one of the learner's awards leaves a pathway's steps
unmet, that pathway's completion award is revoked too, with the reason
"the learner no longer holds <badge name>, a step of its pathway"
(``domain.awards.stale_step_reason``). Revoking an
award that another award of the learner still satisfies changes nothing.

Completion cycles: pathways whose completion badges need each other (P1's
completion is a step of P2 and P2's of P1) can only be completed by a learner
who already holds one of them. Writing or publishing such a pathway is allowed
but answers a warning naming the cycle (``completion_cycle_warnings``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError, field_validator

from colearn.domain import catalogue as domain_catalogue
from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.domain.awards import (COMPLETION_SOURCE, Completion, award_completion, complete_after_award,
                                   completion_assertion_id, unmet_steps)
from colearn.errors import Conflict, NotFound
from colearn.graph import queries, references
from colearn.graph.schema import Label, PathwayStatus
from colearn.graph.store import GraphStore
from colearn.records.fields import merge_patch
from colearn.records.catalogue import (PathwayRecord, StepRecord, no_required_step, pathway_reference_problems,
                                       pathway_refs, step_badge_problems, step_id)
from colearn.service.auth import Principal
from colearn.service.catalogue import field_error, validation_error
from colearn.text import counted

__all__ = ["COMPLETION_SOURCE", "Completion", "complete_after_award", "completion_assertion_id", "unmet_steps"]


def _pathway(pathway_id: str, organisation: str) -> Resource:
    """A pathway as a resource of the policy: its authoring organisation owns it."""
    return Resource(f"pathway '{pathway_id}'", owners=(organisation,))


def may_change(principal: Principal, pathway_id: str, organisation: str) -> None:
    """Refuse unless ``principal`` may author ``organisation``'s pathway ``pathway_id``
    (``Action.CHANGE_OWN``).

    Raises:
        Forbidden: it may not.
    """
    policy.require(principal, Action.CHANGE_OWN, _pathway(pathway_id, organisation))


def page(store: GraphStore, principal: Principal, *, q: str | None, status: str | None,
         destination: str | None, organisation: str | None, limit: int, offset: int) -> tuple[int, list[dict]]:
    """One page of pathways the caller may see (drafts only their authors' and admin's).

    Returns:
        The total matching, and the page's pathway records (``queries.PATHWAY_PAGE``'s shape).
    """
    row = store.read(queries.PATHWAY_PAGE, {
        "q": q.strip() if q and q.strip() else None, "status": status, "destination": destination,
        "organisation": organisation, "viewer": policy.draft_viewer(principal), "limit": limit, "offset": offset})[0]
    return row["total"], row["data"]


def get(store: GraphStore, principal: Principal, pathway_id: str) -> dict[str, Any]:
    """A pathway; a draft is NotFound to anyone but its author and admin
    (the rule: ``graph.queries.pathways._VISIBLE_TO_VIEWER``, given the viewer by
    ``policy.draft_viewer``)."""
    rows = store.read(queries.PATHWAY_GET_FOR_VIEWER, {"id": pathway_id, "viewer": policy.draft_viewer(principal)})
    if not rows:
        raise NotFound(f"pathway '{pathway_id}' does not exist")
    return rows[0]["record"]


def validated(store: GraphStore, data: Mapping[str, Any], model: type[PathwayRecord] = PathwayRecord,
              errors: Iterable[dict[str, Any]] = ()) -> PathwayRecord:
    """Validate a pathway whole, and refuse it with every problem at once.

    The record's shape (``model``: fields, steps, ``required``) and the pathway
    rules (``records.catalogue``: references that name nothing, a badge in two
    steps, the completion badge in a step or not the organisation's own) are
    checked together, so that fixing what one answer lists never brings up a new
    problem in the next. A part that is itself invalid (a step whose ``badges``
    are not a list of ids) is left out of the rules that need it; every other
    part is still checked. Reads: one ``references.missing`` for all the references
    together (organisation, destination, step and completion badges) and one
    ``BADGE_ISSUERS`` for the completion badge.

    Args:
        store: the graph.
        data: the pathway as sent (a request body, or a stored pathway with a patch on top).
        model: the record model to validate with.
        errors: problems the caller found already (``{loc, msg, type}``, ``loc`` from ``body``).

    Returns:
        The validated record.

    Raises:
        RequestValidationError: 422 with one ``errors`` entry per problem, each
            naming its field (``body.steps.2.badges.0``).
    """
    found = list(errors)
    record: PathwayRecord | None = None
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        found += validation_error(exc).errors()
    refs = pathway_refs(record if record is not None else data)
    missing = references.missing(store, {Label(kind): ids for kind, ids in refs.named().items()})
    done = refs.completion_badge
    issuers: dict[str, str | None] = {} if done is None else {done: None} | {
        r["badge_id"]: r["issuer_id"] for r in store.read(queries.BADGE_ISSUERS, {"badge_ids": [done]})}
    rules = [(fld if i is None else f"steps.{i}.{fld}", msg) for i, fld, msg in step_badge_problems(refs)]
    rules += pathway_reference_problems(refs, unknown=lambda kind, ref: ref in missing[Label(kind)],
                                        issuers=issuers)
    found += [field_error(fld, msg).errors()[0] for fld, msg in rules]
    if found:
        raise RequestValidationError(found)
    assert record is not None
    return record


def spine_warnings(store: GraphStore, pathway: PathwayRecord | dict[str, Any]) -> list[dict[str, str]]:
    """A warning for each step that sits lower on the spine than the step before it.

    A step's level is the lowest layer at which it can be met: over its badges,
    the smallest of each badge's highest layer. Badges without a cell are ignored.

    Returns:
        ``[{field: "steps.<i>", message}]``, in step order.
    """
    steps = pathway.steps if isinstance(pathway, PathwayRecord) else [
        StepRecord.model_validate({k: s[k] for k in ("title", "badges", "required", "optional")})
        for s in pathway["steps"]]
    ids = sorted({b for s in steps for b in s.badges})
    cells = {r["id"]: r["cells"] for r in store.read(queries.BADGE_LAYERS, {"ids": ids})}
    levels: list[tuple[int, str] | None] = []
    for s in steps:
        tops = [max((c["layer_rank"], c["layer"]) for c in cells[b]) for b in s.badges if cells.get(b)]
        levels.append(min(tops) if tops else None)
    warnings = []
    for i in range(1, len(steps)):
        before, here = levels[i - 1], levels[i]
        if before is not None and here is not None and here[0] < before[0]:
            warnings.append({"field": f"steps.{i}", "message": (
                f"step {i + 1} ('{steps[i].title}') can be met at the {here[1]} layer, lower on the spine "
                f"than step {i} ('{steps[i - 1].title}', {before[1]}); learners usually climb the layers in order")})
    return warnings


def _write(store: GraphStore, pathway: PathwayRecord, *, create: bool) -> None:
    steps = [{"id": step_id(pathway.id, n), "order": n, "badges": list(s.badges),
              "props": {"title": s.title, "required": s.required, "optional": s.optional}}
             for n, s in enumerate(pathway.steps, 1)]
    params = {"id": pathway.id, "organisation": pathway.organisation, "destination": pathway.destination,
              "completion_badge": pathway.completion_badge, "steps": steps,
              "props": {"title": pathway.title, "description": pathway.description,
                        "status": str(pathway.status), "kind": str(pathway.kind),
                        **({"status_on": int(time.time())} if create else {})}}
    try:
        written = domain_catalogue.write_pathway(store, params, create=create)
    except Conflict as exc:
        raise Conflict(f"pathway '{pathway.id}' already exists") from exc
    if not written:
        raise NotFound(f"pathway '{pathway.id}' does not exist")


@dataclass(frozen=True)
class Written:
    """A pathway as written, and the warnings about it."""

    record: dict[str, Any]
    warnings: list[dict[str, str]]


def create(store: GraphStore, principal: Principal, body: Mapping[str, Any]) -> Written:
    """Create a pathway: a draft, or published at once when ``status`` is ``published``.

    Publishing at creation passes the same checks as writing a draft and then
    ``POST /pathways/{id}/publish`` (which adds none of its own: who may author
    it, and every reference, step and completion badge, are checked on every
    write) and answers the same warnings (spine order, completion cycles); the
    status time is stamped as a publish stamps it.

    Args:
        store: the graph.
        principal: the caller.
        body: the pathway as sent (``PathwayCreate``'s fields), not yet validated.

    Raises:
        Forbidden: the caller may not author for the body's ``organisation``
            (asked before anything else, when the body names one; an organisation
            key naming another organisation is told so, naming ``body.organisation``).
        RequestValidationError: every problem of the body at once (``validated``):
            its shape, ``status`` ``archived`` (a new pathway is a draft or
            published), unknown references, a badge in two steps, a foreign or
            stepped completion badge (422, one entry per field).
        Conflict: the id is taken.
    """
    refs = pathway_refs(body)
    if refs.organisation is not None:
        policy.require_own_organisation(principal, refs.organisation, noun="pathways", change="create",
                                        field="body.organisation")
        may_change(principal, refs.id or "(new)", refs.organisation)
    pathway = validated(store, body, PathwayCreate)
    may_change(principal, pathway.id, pathway.organisation)
    _write(store, pathway, create=True)
    return Written(get(store, principal, pathway.id), _warnings(store, pathway, pathway.id))


def _warnings(store: GraphStore, pathway: PathwayRecord | dict[str, Any], pathway_id: str) -> list[dict[str, str]]:
    return spine_warnings(store, pathway) + completion_cycle_warnings(store, pathway_id)


def completion_cycle_warnings(store: GraphStore, pathway_id: str) -> list[dict[str, str]]:
    """A warning when ``pathway_id``'s completion badge lies on a cycle of completion
    badges that need each other, through the published pathways (and this one).

    Returns:
        ``[{field: "completion_badge", message}]``: one per cycle through it.
    """
    rows = store.read(queries.PATHWAY_COMPLETION_NEEDS, {"id": pathway_id})
    needs = nx.DiGraph()
    mine = None
    for r in rows:
        for b in r["needs"]:
            needs.add_edge(b, r["completion"], pathway=r["pathway_id"])
        if r["pathway_id"] == pathway_id:
            mine = r["completion"]
    if mine is None or mine not in needs:
        return []
    warnings = []
    for cycle in sorted(nx.simple_cycles(needs)):
        if mine not in cycle:
            continue
        start = cycle.index(mine)
        cycle = cycle[start:] + cycle[:start]
        hops = [f"'{b}' is a step of pathway '{needs.edges[b, c]['pathway']}', which completes with '{c}'"
                for b, c in zip(cycle, cycle[1:] + cycle[:1])]
        warnings.append({"field": "completion_badge", "message": (
            "completion cycle: " + "; ".join(hops) + ". A learner can complete these pathways only by already "
            "holding one of their completion badges")})
    return warnings


def update(store: GraphStore, principal: Principal, pathway_id: str, patch: dict[str, Any]) -> Written:
    """Apply a patch to a pathway (``steps``, when given, replace them all) and write it whole.

    Args:
        store: the graph.
        principal: the caller.
        pathway_id: the pathway.
        patch: the fields to change as sent (``PathwayUpdate``'s; a null clears a field
            whose default is empty: ``records.fields.merge_patch``), not yet validated:
            the patched pathway is validated whole.

    Raises:
        NotFound: no such pathway (or a draft of another organisation).
        Forbidden: the caller is not its author, or would give it to another organisation.
        Conflict: the pathway is archived (publish it again to change it).
        RequestValidationError: every problem of the patched pathway at once
            (``validated``; an ``id`` in the patch is one of them).
    """
    current = get(store, principal, pathway_id)
    may_change(principal, pathway_id, current["organisation"])
    if current["status"] == PathwayStatus.ARCHIVED:
        raise Conflict(f"pathway '{pathway_id}' is archived; publish it again before changing it")
    base = {k: current[k] for k in ("title", "description", "status", "kind", "organisation", "destination",
                                    "completion_badge", "steps")}
    base["description"] = base["description"] or ""
    moved = pathway_refs(patch).organisation
    if moved is not None:
        policy.require_own_organisation(principal, moved, noun=f"pathway '{pathway_id}'", change="update",
                                        field="body.organisation")
    fixed = [field_error("id", "the id is the path's; a patch cannot change it").errors()[0]] if "id" in patch else []
    pathway = validated(store, {**merge_patch(PathwayRecord, base, patch), "id": pathway_id}, errors=fixed)
    may_change(principal, pathway_id, pathway.organisation)
    _write(store, pathway, create=False)
    return Written(get(store, principal, pathway_id), _warnings(store, pathway, pathway_id))


#: Which statuses each transition starts from (the target itself: nothing to do).
_TRANSITIONS: dict[PathwayStatus, tuple[PathwayStatus, ...]] = {
    PathwayStatus.PUBLISHED: (PathwayStatus.DRAFT, PathwayStatus.ARCHIVED),
    PathwayStatus.ARCHIVED: (PathwayStatus.DRAFT, PathwayStatus.PUBLISHED),
}


def set_status(store: GraphStore, principal: Principal, pathway_id: str, to: PathwayStatus) -> Written:
    """Publish or archive a pathway (doing it twice changes nothing).

    Raises:
        NotFound: no such pathway (or a draft of another organisation).
        Forbidden: the caller is not its author.
        RequestValidationError: publishing a pathway whose steps are all optional
            (``records.catalogue.no_required_step``; one stored before the rule),
            422 naming ``body.steps``.
    """
    current = get(store, principal, pathway_id)
    may_change(principal, pathway_id, current["organisation"])
    problem = no_required_step([s["optional"] for s in current["steps"]])
    if to == PathwayStatus.PUBLISHED and problem:
        raise field_error("steps", problem)
    if current["status"] in _TRANSITIONS[to]:
        domain_catalogue.set_pathway_status(store, pathway_id, str(to), now=int(time.time()))
    return Written(get(store, principal, pathway_id), _warnings(store, current, pathway_id))


def delete(store: GraphStore, principal: Principal, pathway_id: str) -> None:
    """Delete a pathway (a draft, published or archived) with its steps; learners'
    enrolments in it go too. Its change is recorded in the change feed.

    Raises:
        NotFound: no such pathway (or a draft of another organisation).
        Forbidden: the caller is not its author (nor admin).
        Conflict: learners hold live completion awards of it (issued or accepted),
            named; revoke them first, or archive the pathway instead.
    """
    current = get(store, principal, pathway_id)
    may_change(principal, pathway_id, current["organisation"])
    row = domain_catalogue.delete_pathway(store, pathway_id)
    if row["deleted"]:
        return
    if not row["completions"]:
        raise NotFound(f"pathway '{pathway_id}' does not exist")
    awards = counted(row["completions"], "live completion award", "live completion awards", row["named"])
    raise Conflict(f"pathway '{pathway_id}' is still in use ({awards}); revoke those first, or archive the "
                   "pathway (POST /pathways/{id}/archive) to withdraw it")


def complete(store: GraphStore, principal: Principal, pathway_id: str, learner_id: str, *, base_url: str,
             now: int | None = None) -> Completion:
    """Award the pathway's completion badge if the learner's portfolio meets every step
    (``domain.awards.award_completion``).

    Who: admin, the pathway's author, or the learner themself.

    Returns:
        The ``Completion`` (``completed``, ``awarded``, ``created``, ``unmet_steps``, ...).

    Raises:
        NotFound: no such pathway visible to the caller, a pathway not published,
            no such learner, or a completion badge with no issuing organisation.
        Forbidden: any other caller.
    """
    pathway = get(store, principal, pathway_id)
    policy.require(principal, Action.COMPLETE_PATHWAY, Resource(
        f"pathway '{pathway_id}'", owners=(pathway["organisation"],), learner=learner_id))
    return award_completion(store, pathway, learner_id, base_url=base_url, now=now)


class PathwayCreate(PathwayRecord):
    """A recommended pathway to author: a draft by default, or ``published`` at once
    (the same checks as publishing); ``archived`` is refused."""

    status: PathwayStatus = PathwayStatus.DRAFT

    @field_validator("status")
    @classmethod
    def _not_archived(cls, status: PathwayStatus) -> PathwayStatus:
        if status == PathwayStatus.ARCHIVED:
            raise ValueError("a new pathway is a draft or published; archive it with POST /pathways/{id}/archive")
        return status

