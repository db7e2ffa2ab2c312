"""The dry run of a bulk award (``domain.awards.award_many`` with ``dry_run``): what
its write would create or answer, read from the graph and written nowhere.

A dry run claims nothing happened: every award it answers has ``created`` False
and says in ``would_create`` whether the real call would make it (True) or answer
one that exists (False: the idempotency key names it, or the learner holds the
badge live), and its ``detail`` speaks of what would be done.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from colearn.domain.award_rows import award_of, held_detail, live_pairs, withdrawn_award
from colearn.graph.issuing import Award, AwardReport, AwardRequest
from colearn.graph.schema import AssertionStatus
from colearn.graph.store import GraphStore

__all__ = ["preview"]

#: ``(record, row, request)`` of each request the checks passed (``award_many``).
Kept = list[tuple[int, dict[str, Any], AwardRequest]]


def preview(store: GraphStore, report: AwardReport, kept: Kept, existing: dict[str, dict[str, Any]],
            first: dict[int, int], now: int, batch_size: int) -> AwardReport:
    """Fill ``report`` (which holds the refusals) with what the write of ``kept`` would do,
    and mark it a dry run.

    Args:
        store: the graph, only read.
        report: the call's report so far.
        kept: the requests the checks passed, as rows of ``queries.AWARD_ASSERTIONS``.
        existing: the assertions the rows' ids already name, by id.
        first: the rows that repeat an earlier row's (learner, badge) pair, each mapped
            to that earlier row's index in ``kept``.
        now: epoch seconds: an award expiring by then is not held live.
        batch_size: pairs per read.

    Returns:
        ``report``, with ``dry_run`` True and one award per row of ``kept``: the one
        named by its key, as stored (``would_create`` False, as a real retry answers it;
        a withdrawn one as ``award_rows.withdrawn_award`` answers it), the one held live
        (False), the award the row would create (True: its ``status`` is the one it
        would have, ``issued``), or for a repeat, the earlier row's (False).
    """
    live = live_pairs(store, kept, existing, now, batch_size)
    report.dry_run = True
    for i, (_, row, req) in enumerate(kept):
        if existing.get(row["id"], {}).get("withdrawn"):  # its key answers the withdrawn award
            report.awards.append(replace(withdrawn_award(existing[row["id"]], req.idempotency_key, dry_run=True),
                                         would_create=False))
            report.requests.append(req)
            continue
        if row["id"] in existing:  # its key names a live award: a real retry answers that award as stored
            report.awards.append(replace(award_of(existing[row["id"]], created=False), would_create=False))
            report.requests.append(req)
            continue
        held = live.get((row["learner_id"], row["badge_id"]))
        new = report.awards[first[i]] if i in first else None
        p = row["props"]
        report.awards.append(replace(award_of(held, created=False, detail=held_detail(held, dry_run=True)),
                                     would_create=False) if held is not None else Award(
            id=new.id if new else row["id"], badge_id=row["badge_id"], learner_id=row["learner_id"],
            status=str(AssertionStatus.ISSUED), created=False,
            would_create=new is None,
            issued_on=int(p["issued_on"]), expires_on=p.get("expires_on"), status_index=-1,
            detail=None if new is None else (
                f"an earlier record would award badge '{row['badge_id']}' to learner '{row['learner_id']}' "
                f"(assertion {new.id}): no second copy would be awarded")))
        report.requests.append(req)
    report.sort()
    return report

