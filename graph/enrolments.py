"""A learner's pathway enrolments, as graph operations: enrol, leave, their progress
(with the next step's badges named) and, for an organisation's uptake counts, who
started and who completed each pathway.

Statements: ``graph/learner_queries.py`` and ``graph/queries/pathways.py``.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from colearn.errors import NotFound
from colearn.graph import learner_queries as lq
from colearn.graph import queries
from colearn.graph.access import learner_exists
from colearn.graph.store import GraphStore

__all__ = ["enrol", "enrolment_learners", "leave", "my_pathways", "steps_met"]


def steps_met(steps: Sequence[dict[str, Any]], held: set[str]) -> tuple[int, int]:
    """``(met, total)`` over a pathway's non-optional steps: a step is met by any
    ``required`` (default 1) of its badges (the Navigatr/Badgr rule, ARCHITECTURE.md)."""
    counted = [s for s in steps if not s.get("optional")]
    met = sum(1 for s in counted if len(held & set(s.get("badges") or [])) >= int(s.get("required") or 1))
    return met, len(counted)


def enrol(store: GraphStore, learner_id: str, pathway_id: str, *, now: int | None = None) -> dict[str, Any]:
    """Enrol a learner in a published pathway; again changes nothing.

    Returns ``{pathway_id, on, created}``.

    Raises:
        NotFound: unknown learner, or no published pathway with that id.
    """
    rows = store.write(lq.ENROL, {"learner_id": learner_id, "pathway_id": pathway_id, "now": int(time.time()) if now is None else int(now)})
    if not rows:
        if not learner_exists(store, learner_id):
            raise NotFound(f"learner '{learner_id}' not found")
        raise NotFound(f"no published pathway '{pathway_id}'")
    return rows[0]


def leave(store: GraphStore, learner_id: str, pathway_id: str) -> bool:
    """Leave a pathway; False if the learner was not enrolled."""
    rows = store.write(lq.LEAVE_PATHWAY, {"learner_id": learner_id, "pathway_id": pathway_id})
    return bool(rows and rows[0]["left"])


def _pathway(store: GraphStore, pathway_id: str) -> dict[str, Any] | None:
    rows = store.read(queries.PATHWAY_GET, {"id": pathway_id})
    return rows[0]["record"] if rows else None


def my_pathways(store: GraphStore, learner_id: str, *, now: int | None = None) -> list[dict[str, Any]]:
    """A learner's enrolled pathways with progress: ``[{pathway_id, title, status,
    destination, on, steps_met, steps_total, progress, completed, next_step}]``
    (``next_step``: the first unmet step's ``{index (1-based), title, badges,
    named_badges}``, ``named_badges`` being ``[{badge_id, name}]`` in the order of
    ``badges``, the names read in one statement for every pathway). Steps are met by the
    badges of ``LEARNER_VERIFIED_PORTFOLIO`` at ``now``, the ones a completion counts:
    imports marked ``verified: false`` meet no step."""
    t = int(time.time()) if now is None else int(now)
    held = {r["badge_id"] for r in store.read(queries.LEARNER_VERIFIED_PORTFOLIO,
                                              {"learner_id": learner_id, "now": t})}
    out = []
    for row in store.read(lq.LEARNER_ENROLMENTS, {"learner_id": learner_id}):
        pw = _pathway(store, row["pathway_id"])
        if pw is None:
            continue
        steps = [s for s in pw.get("steps") or [] if not s.get("optional")]
        met, total = steps_met(steps, held)
        nxt = next((i for i, s in enumerate(steps)
                    if len(held & set(s.get("badges") or [])) < int(s.get("required") or 1)), None)
        out.append({"pathway_id": pw["id"], "title": pw.get("title") or pw["id"], "status": pw.get("status"),
                    "destination": pw.get("destination"), "on": row["on"], "steps_met": met, "steps_total": total,
                    "progress": met / total if total else 0.0, "completed": total > 0 and met == total,
                    "next_step": None if nxt is None else {"index": nxt + 1, "title": steps[nxt].get("title"),
                                                           "badges": list(steps[nxt].get("badges") or [])}})
    steps_shown = [r["next_step"] for r in out if r["next_step"] is not None]
    ids = sorted({b for step in steps_shown for b in step["badges"]})
    names = {r["id"]: r["name"] for r in store.read(lq.BADGE_NAMES, {"ids": ids})} if ids else {}
    for step in steps_shown:
        step["named_badges"] = [{"badge_id": b, "name": names.get(b)} for b in step["badges"]]
    return out


def enrolment_learners(store: GraphStore, organisation_id: str, *, now: int | None = None) -> list[dict[str, Any]]:
    """Who started and who completed each of an organisation's pathways with enrolments:
    ``[{pathway_id, title, started: frozenset of learner ids, completed: the subset of
    them whose badges held now (accepted, unexpired, unverified imports left out:
    ``ORGANISATION_ENROLMENTS``) meet every non-optional step}]``, by pathway id. The
    ids are for counting only: the API publishes counts, small ones hidden
    (``insights.uptake``)."""
    t = int(time.time()) if now is None else int(now)
    per: dict[str, dict[str, set[str]]] = {}
    for row in store.read(lq.ORGANISATION_ENROLMENTS, {"organisation_id": organisation_id, "now": t}):
        per.setdefault(row["pathway_id"], {})[row["learner_id"]] = set(row["held"] or [])
    out = []
    for pid, helds in sorted(per.items()):
        pw = _pathway(store, pid) or {}
        done = set()
        for learner, held in helds.items():
            met, total = steps_met(pw.get("steps") or [], held)
            if total > 0 and met == total:
                done.add(learner)
        out.append({"pathway_id": pid, "title": pw.get("title") or pid, "started": frozenset(helds),
                    "completed": frozenset(done)})
    return out
