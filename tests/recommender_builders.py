"""Small hand-made data for the recommender tests: a two-domain spine, seven badges, six learners.

Holders: first 5 (u1-u4, t), club 4 (u1-u3, u5), show 2, read 1, quiz 1, lead 0, free 0.
Co-occurrence with first: club 3 (u1, u2, u3), show 2 (u1, u2), read 1 (u3), quiz 1 (u4).
"""

from __future__ import annotations

from typing import Any

LAYERS = ["engagement", "participation", "demonstration", "leadership"]
DOMAINS = [("skills", "Skills"), ("knowledge", "Knowledge")]

#: ``SPINE_CELLS``-like rows: 2 domains x 4 layers.
CELLS = [
    {"id": f"{d}.{lay}", "layer": lay, "domain": d, "layer_rank": lr, "domain_rank": dr,
     "name": f"{dn}: {lay.title()}"}
    for dr, (d, dn) in enumerate(DOMAINS) for lr, lay in enumerate(LAYERS)
]

#: ``BADGE_CATALOGUE``-like rows.
BADGES = [
    {"id": "first", "name": "First", "cells": ["skills.engagement"]},
    {"id": "club", "name": "Club", "cells": ["skills.participation"]},
    {"id": "show", "name": "Show", "cells": ["skills.demonstration"]},
    {"id": "lead", "name": "Lead", "cells": ["skills.leadership"]},
    {"id": "read", "name": "Read", "cells": ["knowledge.engagement"]},
    {"id": "quiz", "name": "Quiz", "cells": ["knowledge.participation"]},
    {"id": "free", "name": "Free", "cells": []},
]

#: What each learner holds, in earning order.
HELD = {
    "u1": ["first", "club", "show"],
    "u2": ["first", "club", "show"],
    "u3": ["first", "club", "read"],
    "u4": ["first", "quiz"],
    "u5": ["club"],
    "t": ["first"],
}


def awards() -> list[tuple[str, str, int, int]]:
    """``(learner_id, badge_id, awarded_on, award_id)`` rows for ``HELD``, plus one repeat award."""
    rows, n = [], 0
    for learner, badges in HELD.items():
        for i, b in enumerate(badges):
            n += 1
            rows.append((learner, b, 1_000 + 10 * i, n))
    rows.append(("u1", "first", 5_000, 999))  # a repeat award: counts once
    return rows


def site_result(ours: float = 0.7, theirs: float = 0.6, n_cases: int = 40) -> dict[str, Any]:
    """A ``benchmark.run``-shaped result (no per-case rows) for the report writers: the recommender's
    means ``ours``, every baseline's ``theirs`` (ppr's a little above), each interval +-0.02;
    ``n_cases`` held-out cases."""
    from colearn.recommender.benchmark import BASELINES, FULL
    from colearn.recommender.report import METRICS

    def model(v: float) -> dict[str, dict[str, float]]:
        return {m: {"mean": v, "low": v - 0.02, "high": v + 0.02} for m in METRICS}

    return {"split": "test", "n_cases": n_cases, "n_awards": 900, "n_badges": 30, "n_learners": 120,
            "checkpoints": [100, 200], "fallback_cases": 0, "served_signal_cases": 0, "guard": [],
            "ranker_params": {"n_models": 3},
            "models": {FULL: model(ours), **{b: model(theirs + (0.01 if b == "ppr" else 0.0)) for b in BASELINES}}}


def suite_result(**sites: tuple[float, ...]) -> dict[str, Any]:
    """A ``suite.run_suite``-shaped result: ``site=(ours, theirs[, n_cases])`` per site (``site_result``)."""
    return {"split": "test", "sites": {name: {**site_result(*v), "pooled_sites": sorted(set(sites) - {name})}
                                       for name, v in sites.items()},
            "ranker_params": {"n_models": 3}, "prior_per_site": 2000, "prior_sites": []}
