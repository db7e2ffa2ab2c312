"""Pathway completion: when a learner's portfolio meets every step of a published
pathway, its completion badge is awarded, once. A draft or archived pathway completes
nobody while it is so; either may be published (again) and then completes as any.

``domain.awards`` calls ``complete_after_award`` when an award enters a
portfolio (an accept, a verified import), and ``unmet_steps`` /
``completion_assertion_id`` when a revoked step badge leaves a completion
unmet (``awards.revoke_stale_completions``). The completion award is one
idempotent statement recorded in the change feed like every award
(``graph/feed.py``). Unverified imports never count (``queries._COUNTS``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from colearn.errors import NotFound
from colearn.graph import feed, queries
from colearn.graph.enrolments import numbered_steps, step_met
from colearn.graph.issuing import COMPLETION_SOURCE, completion_assertion_id, hashed_recipient, learner_page
from colearn.graph.schema import AssertionStatus, PathwayStatus
from colearn.graph.store import GraphStore
from colearn.records.catalogue import no_required_step

log = logging.getLogger(__name__)

__all__ = ["COMPLETION_SOURCE", "Completion", "award_completion", "complete_after_award",
           "completion_assertion_id", "name_unnamed_completions", "unmet_steps"]


@dataclass(frozen=True)
class Completion:
    """The outcome of checking a pathway's completion for a learner.

    Attributes:
        pathway_id, learner_id: the pathway and the learner.
        completed: every non-optional step is met (never, for a pathway with no
            required step: ``records.catalogue.no_required_step``).
        awarded: its completion badge is awarded (now or before) and not revoked;
            False with ``assertion_id`` set when its one completion award was
            revoked or withdrawn (a completion is awarded once, ever).
        created: this call made the completion award.
        assertion_id: the completion award, if any.
        badge_id: the pathway's completion badge (None when it has none).
        unmet_steps: 1-based orders of the steps not met.
    """

    pathway_id: str
    learner_id: str
    completed: bool
    awarded: bool
    created: bool
    assertion_id: str | None
    badge_id: str | None
    unmet_steps: list[int]


def unmet_steps(pathway: dict[str, Any], held: set[str]) -> list[int]:
    """The 1-based orders of the non-optional steps ``held`` badges do not meet (``enrolments.step_met``)."""
    return [n for n, s in numbered_steps(pathway) if not step_met(s, held)]


def award_completion(store: GraphStore, pathway: dict[str, Any], learner_id: str, *, base_url: str,
                     now: int | None = None) -> Completion:
    """Award a published pathway's completion badge if the learner's portfolio meets every step.

    One idempotent statement (``queries.AWARD_PATHWAY_COMPLETION``) on an id
    derived from pathway and learner, so checking again never awards twice; the
    award is ``issued`` by the badge's organisation and counts once accepted.
    A learner who holds the badge live (issued or accepted, not expired: from
    another pathway, a direct award, a claim code) gets no second copy: the
    answer is that award (``created`` False). The statement checks this itself,
    under the locks a direct award takes, so a racing award cannot slip in
    between. A completion revoked or withdrawn is not awarded again
    (``awarded`` False with its id). Who may ask is the caller's business
    (``service.authoring.complete``).

    The award is published like any award made here (OB 2.0 hosted, OB 3.0,
    baked, shared): its recipient is the one of the learner's latest award
    issued here (the same person, a fresh award), else the learner's page
    ``{base_url}/learners/{learner_id}`` hashed with a fresh salt, as a direct
    award by ``learner_id`` or a claim code names them; so a learner known only
    from an ingested history or from imports is published too.

    Args:
        store: the graph.
        pathway: a ``PATHWAY_GET`` record (``id``, ``status``, ``steps``, ``completion_badge``).
        learner_id: the learner.
        base_url: the service's public base URL (``Settings.base_url``), under
            which the learner's page names them.
        now: epoch seconds; default now.

    Raises:
        NotFound: the pathway is not published (or was deleted meanwhile), the
            learner does not exist, or the completion badge has no issuing
            organisation.
    """
    pathway_id = pathway["id"]
    if pathway["status"] != PathwayStatus.PUBLISHED:
        raise NotFound(f"pathway '{pathway_id}' is not published")
    if not store.read(queries.GET_LEARNER, {"learner_id": learner_id}):
        raise NotFound(f"learner '{learner_id}' does not exist")
    now = int(time.time()) if now is None else now
    # unverified imports never complete a pathway (openbadges/importing.py)
    held = {r["badge_id"] for r in store.read(queries.LEARNER_VERIFIED_PORTFOLIO,
                                               {"learner_id": learner_id, "now": now})}
    unmet = unmet_steps(pathway, held)
    badge = pathway["completion_badge"]
    # a pathway stored before every pathway needed a required step is met by holding nothing
    vacuous = no_required_step([s["optional"] for s in pathway["steps"]]) is not None
    if unmet or badge is None or vacuous:
        return Completion(pathway_id, learner_id, not unmet and not vacuous, False, False, None, badge, unmet)
    # one statement decides and writes (queries.AWARD_PATHWAY_COMPLETION): under the
    # pathway's and the badge organisation's locks it looks for a live award of the badge,
    # so a direct award or another completion racing this one gives no second copy
    rows = store.write(feed.recorded(queries.AWARD_PATHWAY_COMPLETION), {
        "id": completion_assertion_id(pathway_id, learner_id), "pathway_id": pathway_id, "learner_id": learner_id,
        "now": now, "props": {"status": str(AssertionStatus.ISSUED), "issued_on": now, "source": COMPLETION_SOURCE,
                              "pathway_id": pathway_id},
        "recipient": hashed_recipient(learner_page(base_url, learner_id)),
        "feed": feed.change(feed.AWARDS, pairs=[(learner_id, badge)])})
    if not rows:
        if not store.read(queries.PATHWAY_GET, {"id": pathway_id}):  # deleted since it was read
            raise NotFound(f"pathway '{pathway_id}' does not exist")
        raise NotFound(f"the completion badge '{badge}' of pathway '{pathway_id}' has no issuing organisation")
    got = rows[0]
    # awarded once, ever: a completion revoked (a step badge revoked) or withdrawn stays so
    awarded = bool(got["held"]) or got["status"] != AssertionStatus.REVOKED
    return Completion(pathway_id, learner_id, True, awarded, bool(got["created"]), got["id"], badge, [])


def name_unnamed_completions(store: GraphStore, base_url: str) -> int:
    """Name the learner of every completion award stored without a recipient, so that
    it is published like any award made here.

    Until 2026-12-06 a completion copied its recipient from the learner's latest award
    issued here, and a learner with none (known from an ingested history or from
    imports) got a completion with no recipient, which every hosted document answered
    404. Each such completion still held by a learner gets the recipient a completion
    is given now: the learner's page ``{base_url}/learners/{learner_id}`` hashed with a
    fresh salt (``award_completion``). One read and one write (``queries.UNNAMED_COMPLETIONS``,
    ``queries.NAME_COMPLETIONS``); a completion named meanwhile, by another process
    doing the same, is left as it is. The API runs it at start.

    Returns:
        How many completions were named (0 once done).
    """
    rows = [{"id": r["id"], **hashed_recipient(learner_page(base_url, r["learner_id"]))}
            for r in store.read(queries.UNNAMED_COMPLETIONS, {"source": COMPLETION_SOURCE})]
    if not rows:
        return 0
    named = store.write(queries.NAME_COMPLETIONS, {"rows": rows})
    count = int(named[0]["named"]) if named else 0
    log.warning("named the learner of %d completion awards stored without a recipient", count)
    return count


def complete_after_award(store: GraphStore, learner_id: str, badge_id: str, *, base_url: str) -> list[Completion]:
    """Award the completion badge of every published pathway that a newly held
    ``badge_id`` completes for ``learner_id`` (each at most once, ever).

    Called when a learner accepts an award or imports a verified badge, so that
    completing the last step is enough: nobody has to claim the completion.

    A pathway whose completion cannot be awarded (its completion badge has no
    issuing organisation of its own: ``award_completion``'s ``NotFound``) is
    logged and passed over: the award that was accepted stays accepted, and the
    caller's answer is not turned into an error by a pathway it did not ask about.
    ``base_url`` names the learner in each award (``award_completion``).

    Returns:
        The completions that were newly awarded (``created``), in pathway id order.
    """
    done = []
    for row in store.read(queries.PATHWAYS_COMPLETED_BY_BADGE, {"badge_id": badge_id}):
        found = store.read(queries.PATHWAY_GET, {"id": row["id"]})
        if not found:
            continue
        try:
            result = award_completion(store, found[0]["record"], learner_id, base_url=base_url)
        except NotFound as exc:
            log.warning("pathway '%s' not completed for learner '%s': %s", row["id"], learner_id, exc.message)
            continue
        if result.created:
            done.append(result)
    return done

