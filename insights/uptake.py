"""How many learners started and completed an organisation's pathways
(``GET /organisations/{org}/pathway-enrolments``), with small counts hidden by the
insights' rule (``insights.privacy``): per pathway, started then completed is a
chain (completed learners are a subset of those who started), so a count between
1 and k-1 is hidden (``primary``), and so is a completed count that differs from
the started count shown by 1 to k-1 learners (``complementary``); the answer
carries the same ``privacy`` block as every insight."""

from __future__ import annotations

from typing import Any

from colearn.graph import enrolments
from colearn.graph.store import GraphStore
from colearn.insights.privacy import Cell, suppress_chain, with_privacy


def pathway_uptake(store: GraphStore, organisation_id: str, k: int, *, now: int | None = None) -> dict[str, Any]:
    """Learners who started and completed each of the organisation's pathways with enrolments.

    Args:
        store: the graph.
        organisation_id: the authoring organisation.
        k: the least number of learners a published count may have (``COLEARN_INSIGHTS_MIN_LEARNERS``).
        now: epoch seconds at which badges held are read; default now.

    Returns:
        ``{"organisation_id", "privacy", "data": [{pathway_id, title, started: {learners,
        suppressed}, completed: {learners, suppressed}}]}``: ``learners`` is null when
        ``suppressed`` is ``primary`` or ``complementary``. Never a learner id.
    """
    data = []
    for row in enrolments.enrolment_learners(store, organisation_id, now=now):
        started, completed = Cell(row["started"]), Cell(row["completed"])
        suppress_chain([started, completed], k)
        data.append({"pathway_id": row["pathway_id"], "title": row["title"], "started": started.publish(),
                     "completed": completed.publish()})
    return with_privacy({"organisation_id": organisation_id, "data": data}, k)
