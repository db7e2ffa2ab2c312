"""Small hand-made data for the recommender tests: a two-domain spine, seven badges, six learners.

Holders: first 5 (u1-u4, t), club 4 (u1-u3, u5), show 2, read 1, quiz 1, lead 0, free 0.
Co-occurrence with first: club 3 (u1, u2, u3), show 2 (u1, u2), read 1 (u3), quiz 1 (u4).
"""

from __future__ import annotations

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
