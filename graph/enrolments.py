"""A learner's pathway enrolments, as graph operations: enrol, leave, the pathways they
started with the badges they hold (``enrolled``), every published recommended pathway
(``published_pathways``, which the recommender scores) and, for an organisation's uptake
counts, who started and who completed each pathway; and the one rule of when a step is
met (``step_met``, ``steps_met``), which the recommender and ``domain.completions`` read
from here too.

Statements: ``graph/learner_queries.py`` and ``graph/queries/pathways.py``.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from colearn.errors import NotFound
from colearn.graph import learner_queries as lq
from colearn.graph import queries
from colearn.graph.access import learner_exists
from colearn.graph.store import GraphStore

__all__ = ["badge_names", "enrol", "enrolled", "enrolment_learners", "leave", "numbered_steps", "published_pathways", "required_steps", "step_met",
           "steps_met"]


def step_met(step: Mapping[str, Any], held: Collection[str]) -> bool:
    """Whether ``held`` badge ids meet ``step``: at least its ``required`` (default 1) of its
    ``badges`` are held (the Navigatr/Badgr rule, ARCHITECTURE.md)."""
    return len(set(held) & set(step.get("badges") or [])) >= int(step.get("required") or 1)


def numbered_steps(pathway: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """``[(order, step)]``: a pathway's non-optional steps (those its progress counts), in
    order, each with its 1-based order among all the pathway's steps, optional ones too."""
    return [(n, s) for n, s in enumerate(pathway.get("steps") or [], 1) if not s.get("optional")]


def required_steps(pathway: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A pathway's non-optional steps, in order (``numbered_steps`` without their orders)."""
    return [s for _, s in numbered_steps(pathway)]


def steps_met(pathway: Mapping[str, Any], held: Collection[str]) -> list[bool]:
    """Per non-optional step of ``pathway`` (``required_steps``), whether ``held`` meet it (``step_met``)."""
    return [step_met(s, held) for s in required_steps(pathway)]


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


def enrolled(store: GraphStore, learner_id: str, *, now: int | None = None) -> tuple[set[str], list[dict[str, Any]]]:
    """The badges a learner holds that meet steps, and the pathways they started.

    Returns:
        ``(held, pathways)``: ``held`` the ids of the badges of ``LEARNER_VERIFIED_PORTFOLIO``
        at ``now`` (default now), those a completion counts (imports marked ``verified:
        false`` meet no step); ``pathways`` a ``PATHWAY_GET`` record per enrolment, oldest
        first, with ``on`` (epoch seconds) added (a pathway deleted meanwhile is left out).
    """
    t = int(time.time()) if now is None else int(now)
    held = {r["badge_id"] for r in store.read(queries.LEARNER_VERIFIED_PORTFOLIO,
                                              {"learner_id": learner_id, "now": t})}
    out = []
    for row in store.read(lq.LEARNER_ENROLMENTS, {"learner_id": learner_id}):
        pw = _pathway(store, row["pathway_id"])
        if pw is not None:
            out.append({**pw, "on": row["on"]})
    return held, out


def badge_names(store: GraphStore, ids: Iterable[str]) -> dict[str, str | None]:
    """``{badge_id: name}`` for those of ``ids`` that exist (one ``BADGE_NAMES`` read; none for no id)."""
    wanted = sorted(set(ids))
    return {r["id"]: r["name"] for r in store.read(lq.BADGE_NAMES, {"ids": wanted})} if wanted else {}


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
            met = steps_met(pw, held)
            if met and all(met):
                done.add(learner)
        out.append({"pathway_id": pid, "title": pw.get("title") or pid, "started": frozenset(helds),
                    "completed": frozenset(done)})
    return out


#: How many pathways ``published_pathways`` reads per statement.
PATHWAY_PAGE_SIZE = 10_000


def published_pathways(store: GraphStore, *, page_size: int = PATHWAY_PAGE_SIZE) -> list[dict[str, Any]]:
    """Every published recommended pathway (``PATHWAY_PAGE`` records, steps in order), by id:
    read in pages of ``page_size`` until the page total is reached, so none is left out however
    many there are; only the recommended ones are kept between pages. A pathway met twice (the
    pages moved under a concurrent write) is kept once. ValueError for a ``page_size`` below 1."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    offset = 0
    while True:
        rows = store.read(queries.PATHWAY_PAGE, {"q": None, "status": "published", "destination": None,
                                                 "organisation": None, "viewer": None, "offset": offset,
                                                 "limit": page_size})
        page = rows[0]["data"] if rows else []
        for p in page:
            if p.get("kind") in (None, "recommended") and p["id"] not in seen:
                seen.add(p["id"])
                out.append(p)
        offset += page_size
        if not page or offset >= rows[0]["total"]:
            return out
