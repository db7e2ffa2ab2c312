"""The demo city's learners and awards (``learners.csv`` and ``award_history.csv`` of ``data/demo-city``).

Run once from the repository root and commit the output as data::

    .venv/bin/python -m colearn.ingest.synthetic.demo

The output depends only on ``SEED``, the demo city's catalogue YAML and the
spine (read from data, ``Ladder``): no clock, no network, so running it again
gives the same files.

The learners are invented. Each lives in one of Brackenford's districts, states
one to three interest themes (districts lean toward different themes), the
destinations those themes lead to and a line of free text. Their awards follow
one of four journeys between January 2025 and October 2026:

* ``pathway``: works through a recommended pathway whose theme they like, step
  by step (each step met by ``required`` of its badges); most drop out on the
  way, those who meet every step get the completion badge;
* ``climber``: moves up the spine's layers within one or two of their themes;
* ``stuck``: keeps collecting engagement and participation badges for months
  but never reaches demonstration or leadership (more common in Northgate and
  Millbrook, which have fewer of those opportunities): the "unseen talent";
* ``taster``: one engagement badge and no more.

Learners on the first three journeys may also pick up a first badge or two in
another theme they stated ("side trips").
Every award is issued by the organisation that defines the badge; about 2% are
still awaiting the learner (``issued``) and 1% were ``revoked``. Badges with
``expires_after_days`` get an ``expires_on``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from colearn.ingest.synthetic.ladder import Ladder
from colearn.ingest.synthetic.output import write_csv

__all__ = ["AWARD_COLUMNS", "LEARNER_COLUMNS", "SEED", "generate", "main", "write_activity"]

SEED = 20250106
N_LEARNERS = 760
START = date(2025, 1, 6)
END = date(2026, 10, 31)
#: The columns of the two files, in order.
LEARNER_COLUMNS = ("id", "home_place", "themes", "destinations", "interests")
AWARD_COLUMNS = ("id", "learner", "badge", "organisation", "issued_on", "status", "expires_on")

#: District -> (weight of living there, themes its learners lean toward).
DISTRICTS: dict[str, tuple[float, list[str]]] = {
    "city-centre": (0.15, ["youth-voice", "volunteering", "life-skills"]),
    "northgate": (0.22, ["creative-industries", "youth-voice", "digital"]),
    "riverside": (0.18, ["active-lives", "mind-and-mood", "green-brackenford"]),
    "eastfield": (0.20, ["digital", "health-and-care", "life-skills"]),
    "millbrook": (0.12, ["creative-industries", "enterprise-and-business", "green-brackenford"]),
    "harbourside": (0.13, ["digital", "enterprise-and-business", "creative-industries"]),
}
#: Share of "stuck" journeys by district (the rest split between the others).
STUCK_SHARE = {"northgate": 0.40, "millbrook": 0.40}
DEFAULT_STUCK = 0.14
#: Recommended pathway -> the theme that draws learners to it.
PATHWAY_THEME = {
    "digital-careers": "digital",
    "young-entrepreneur": "enterprise-and-business",
    "youth-voice-leader": "youth-voice",
    "health-and-care-study": "health-and-care",
}
PHRASES = {
    "youth-voice": "having a say about my area", "green-brackenford": "cleaning up the river",
    "volunteering": "helping out in the community", "mind-and-mood": "looking after my mental health",
    "active-lives": "football and staying fit", "life-skills": "sorting out money and a CV",
    "digital": "making games and apps", "creative-industries": "art, music and making things",
    "health-and-care": "maybe working at the hospital", "enterprise-and-business": "starting my own business",
}


def _load(folder: Path, name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    return loaded


def _demo_city() -> Path:
    from colearn.ingest.catalogue import demo_city_path

    return demo_city_path()


def generate(rng: random.Random, catalogue: Path | None = None,
             ladder: Ladder | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Learners and awards, both as CSV-ready dicts (``LEARNER_COLUMNS``, ``AWARD_COLUMNS``).

    Args:
        rng: the random source (``random.Random(SEED)`` for the committed files).
        catalogue: the folder with ``themes.yaml``, ``badges.yaml`` and
            ``pathways.yaml``; default the bundled demo city.
        ladder: the spine; default the bundled one. A badge's layer is the
            lowest among its cells (as the pathway checks read it).
    """
    folder = catalogue or _demo_city()
    ladder = ladder or Ladder.read()
    themes = {t["id"]: t for t in _load(folder, "themes.yaml")}
    badges = {b["id"]: b for b in _load(folder, "badges.yaml")}
    pathways = {p["id"]: p for p in _load(folder, "pathways.yaml")}
    completion = {p.get("completion_badge") for p in pathways.values()} - {None}
    earnable = [b for b in badges.values() if b["id"] not in completion]
    districts = list(DISTRICTS)
    weights = [DISTRICTS[d][0] for d in districts]
    span = (END - START).days - 75

    learners: list[dict[str, Any]] = []
    awards: list[dict[str, Any]] = []
    for n in range(1, N_LEARNERS + 1):
        lid = f"bf-{n:04d}"
        home = rng.choices(districts, weights)[0]
        leaning = DISTRICTS[home][1]
        pool = leaning * 3 + list(themes)
        wanted: list[str] = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            t = rng.choice(pool)
            if t not in wanted:
                wanted.append(t)
        dests = sorted({d for t in wanted for d in themes[t]["destinations"] if rng.random() < 0.5})
        text = "; ".join(PHRASES[t] for t in wanted[:2])
        learners.append({"id": lid, "home_place": home, "themes": ";".join(wanted),
                         "destinations": ";".join(dests), "interests": text})

        stuck = STUCK_SHARE.get(home, DEFAULT_STUCK)
        journey = rng.choices(["pathway", "climber", "stuck", "taster"],
                              [0.30, 0.40 - stuck + DEFAULT_STUCK, stuck, 0.16])[0]
        day = START + timedelta(days=rng.randrange(span))
        held: list[tuple[str, date]] = []

        def earn(badge_id: str, when: date) -> None:
            if all(b != badge_id for b, _ in held):
                held.append((badge_id, when))

        def gap(lo: int, hi: int) -> timedelta:
            return timedelta(days=rng.randint(lo, hi))

        if journey == "pathway":
            liked = [p for p, t in PATHWAY_THEME.items() if t in wanted]
            pw = pathways[rng.choice(liked or list(pathways))]
            keep_going = 1.0
            met_all = True
            for step in pw["steps"]:
                if step.get("optional"):
                    if met_all and rng.random() < 0.45:
                        for b in rng.sample(step["badges"], step.get("required", 1)):
                            day += gap(10, 40)
                            earn(b, day)
                    continue
                if rng.random() > keep_going:
                    met_all = False
                    break
                for b in rng.sample(step["badges"], step.get("required", 1)):
                    day += gap(5, 30)
                    earn(b, day)
                day += gap(14, 60)
                keep_going = 0.72
            if met_all and pw.get("completion_badge"):
                earn(pw["completion_badge"], day + gap(3, 20))
        elif journey == "climber":
            for t in wanted[:2]:
                top = rng.choices([1, 2, 3], [0.25, 0.5, 0.25])[0]
                for layer in range(top + 1):
                    options = [b for b in earnable
                               if t in b.get("themes", []) and ladder.lowest(b["cells"]) == layer]
                    for badge in rng.sample(options, min(len(options), rng.choice([1, 1, 2]))):
                        day += gap(14, 75)
                        earn(badge["id"], day)
        elif journey == "stuck":
            options = [b for b in earnable if ladder.highest(b["cells"]) <= 1
                       and set(b.get("themes", [])) & set(wanted + leaning)]
            for badge in rng.sample(options, min(len(options), rng.randint(3, 6))):
                day += gap(25, 90)
                earn(badge["id"], day)
        else:
            options = [b for b in earnable
                       if ladder.highest(b["cells"]) == 0 and set(b.get("themes", [])) & set(wanted)]
            earn(rng.choice(options or [b for b in earnable if ladder.highest(b["cells"]) == 0])["id"], day)

        if journey != "taster":
            # Side trips: a first badge or two in another theme they stated.
            side = [b for b in earnable
                    if ladder.highest(b["cells"]) <= 1 and set(b.get("themes", [])) & set(wanted)]
            for badge in rng.sample(side, min(len(side), rng.choice([0, 1, 1, 2]))):
                earn(badge["id"], START + timedelta(days=rng.randrange(span + 60)))

        for badge_id, when in held:
            if when > END:
                continue
            badge = badges[badge_id]
            status = rng.choices(["accepted", "issued", "revoked"], [0.97, 0.02, 0.01])[0]
            days = badge.get("expires_after_days")
            awards.append({"learner": lid, "badge": badge_id, "organisation": badge["issuer"],
                           "issued_on": when.isoformat(), "status": status,
                           "expires_on": (when + timedelta(days=days)).isoformat() if days else ""})
    awards.sort(key=lambda a: (a["issued_on"], a["learner"], a["badge"]))
    for i, a in enumerate(awards, 1):
        a["id"] = f"bf-a{i:05d}"
    return learners, awards


def write_activity(out: Path | None = None, catalogue: Path | None = None) -> tuple[int, int]:
    """Write ``learners.csv`` and ``award_history.csv`` made from ``SEED`` into ``out``.

    Args:
        out: the folder to write; default the bundled demo city (``data/demo-city``).
        catalogue: the catalogue folder read; default the bundled demo city.

    Returns:
        How many learners and awards were written.
    """
    folder = out or _demo_city()
    learners, awards = generate(random.Random(SEED), catalogue)
    write_csv(folder / "learners.csv", LEARNER_COLUMNS, learners)
    write_csv(folder / "award_history.csv", AWARD_COLUMNS, awards)
    return len(learners), len(awards)


def main() -> None:
    """Rewrite the bundled demo city's ``learners.csv`` and ``award_history.csv``."""
    n_learners, n_awards = write_activity()
    print(f"{n_learners} learners, {n_awards} awards")


if __name__ == "__main__":
    main()
