"""Generate the demo city's learners and awards: ``learners.csv`` and ``awards.csv``.

Run once from the repository root and commit the output as data::

    .venv/bin/python data/demo-city/generate.py

The output depends only on ``SEED`` and the catalogue YAML beside this file
(no clock, no network), so running it again gives the same files.

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

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import yaml

SEED = 20250106
N_LEARNERS = 760
START = date(2025, 1, 6)
END = date(2026, 10, 31)
HERE = Path(__file__).resolve().parent
LAYERS = ["engagement", "participation", "demonstration", "leadership"]

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


def _load(name: str) -> list[dict]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def _layer(badge: dict) -> int:
    """A badge's layer: the lowest layer among its cells (as the pathways test reads it)."""
    return min(LAYERS.index(c.split(".")[1]) for c in badge["cells"])


def _top_layer(badge: dict) -> int:
    return max(LAYERS.index(c.split(".")[1]) for c in badge["cells"])


def generate(rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Learners and awards (award ids not yet given), both as CSV-ready dicts."""
    themes = {t["id"]: t for t in _load("themes.yaml")}
    badges = {b["id"]: b for b in _load("badges.yaml")}
    pathways = {p["id"]: p for p in _load("pathways.yaml")}
    completion = {p.get("completion_badge") for p in pathways.values()} - {None}
    earnable = [b for b in badges.values() if b["id"] not in completion]
    districts = list(DISTRICTS)
    weights = [DISTRICTS[d][0] for d in districts]
    span = (END - START).days - 75

    learners: list[dict] = []
    awards: list[dict] = []
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
                    options = [b for b in earnable if t in b.get("themes", []) and _layer(b) == layer]
                    for badge in rng.sample(options, min(len(options), rng.choice([1, 1, 2]))):
                        day += gap(14, 75)
                        earn(badge["id"], day)
        elif journey == "stuck":
            options = [b for b in earnable if _top_layer(b) <= 1
                       and set(b.get("themes", [])) & set(wanted + leaning)]
            for badge in rng.sample(options, min(len(options), rng.randint(3, 6))):
                day += gap(25, 90)
                earn(badge["id"], day)
        else:
            options = [b for b in earnable if _top_layer(b) == 0 and set(b.get("themes", [])) & set(wanted)]
            earn(rng.choice(options or [b for b in earnable if _top_layer(b) == 0])["id"], day)

        if journey != "taster":
            # Side trips: a first badge or two in another theme they stated.
            side = [b for b in earnable if _top_layer(b) <= 1 and set(b.get("themes", [])) & set(wanted)]
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


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Write ``learners.csv`` and ``awards.csv`` beside this file."""
    learners, awards = generate(random.Random(SEED))
    _write(HERE / "learners.csv", ["id", "home_place", "themes", "destinations", "interests"], learners)
    _write(HERE / "awards.csv", ["id", "learner", "badge", "organisation", "issued_on", "status", "expires_on"],
           awards)
    print(f"{len(learners)} learners, {len(awards)} awards")


if __name__ == "__main__":
    main()
