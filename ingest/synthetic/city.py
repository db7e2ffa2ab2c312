"""A synthetic City of Learning of a chosen size, made from a seed: input for benchmarks and evaluation.

``generate_city(size, seed)`` returns a ``City``; ``write_city(city, folder)``
(``synthetic.output``) writes it in the formats the readers take (catalogue CSV files beside
``learners.csv`` and ``award_history.csv``), so ``colearn ingest catalogue FOLDER``
loads it. The same size and seed always give the same city, byte for byte
(``random.Random`` only, no clock, no hash ordering).

Sizes (``SIZES``):

==== ========= ====== ============= ============ ==========
size learners  badges opportunities organisations assertions
==== ========= ====== ============= ============ ==========
S        1,000    200           800           40     10,000
M       10,000  1,000         4,000          150    100,000
L      100,000  5,000        20,000          500  1,000,000
==== ========= ====== ============= ============ ==========

How the city is made:

- The spine is the bundled one (``data/spine.yaml``); its destinations are
  the city's. Themes (civic, wellbeing, sector) each lead to one or two
  destinations; organisations work in one to three themes.
- Each badge has one theme (a sixth have a second) and one layer; it aligns to
  that layer in one domain (a quarter in two). Layers get fewer badges going
  up (35/30/22/13%). Badges in a (theme, layer) bucket differ in popularity
  (Zipf weights), so some are common and most are rare.
- Every badge has at least one opportunity (when there are at least as many
  opportunities as badges), run by its issuer or another organisation of its
  theme, online, offline or blended in a venue.
- Pathways climb the layers of one theme, one step per layer, each step
  accepting one to three badges of that layer.
- Learners: awards per learner are log-normal (sigma 1.8) scaled to the size's
  total, so many learners hold one or two badges and a few hold hundreds.
  Each learner has one to three interest themes (popular themes more often)
  and a home district. A learner's awards follow their themes up the spine:
  mostly their main theme, at the layer they have reached there, moving up a
  layer with probability 0.35 after each award; sometimes a step back, and
  now and then another theme. Times run forward from a start day in
  2023-2025 with gaps of about two weeks. 1% of awards repeat a badge the
  learner holds; 2% are still ``issued`` (not accepted) and 1% ``revoked``.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from colearn.errors import InvalidInput
from colearn.ingest.synthetic.ladder import Ladder

__all__ = ["SIZES", "City", "CitySize", "generate_city"]


@dataclass(frozen=True)
class CitySize:
    """How big a synthetic city is.

    Attributes:
        name: ``S``, ``M`` or ``L``.
        learners: learners with at least one award.
        badges: badge classes.
        opportunities: opportunities.
        organisations: organisations.
        districts: districts (places learners live in).
        venues: venues (places opportunities are in), each within a district.
        themes: themes.
        pathways: recommended pathways.
        assertions: awards in all.
    """

    name: str
    learners: int
    badges: int
    opportunities: int
    organisations: int
    districts: int
    venues: int
    themes: int
    pathways: int
    assertions: int


#: The sizes ``colearn generate --size`` knows.
SIZES: dict[str, CitySize] = {
    "S": CitySize("S", learners=1_000, badges=200, opportunities=800, organisations=40, districts=8,
                  venues=40, themes=12, pathways=24, assertions=10_000),
    "M": CitySize("M", learners=10_000, badges=1_000, opportunities=4_000, organisations=150, districts=12,
                  venues=120, themes=16, pathways=60, assertions=100_000),
    "L": CitySize("L", learners=100_000, badges=5_000, opportunities=20_000, organisations=500, districts=20,
                  venues=400, themes=20, pathways=200, assertions=1_000_000),
}

_THEMES: tuple[tuple[str, str, str], ...] = (
    ("digital", "Digital and tech", "sector"), ("youth-voice", "Youth voice", "civic"),
    ("green-city", "Green city", "civic"), ("mind-and-mood", "Mind and mood", "wellbeing"),
    ("creative-industries", "Creative industries", "sector"), ("active-lives", "Active lives", "wellbeing"),
    ("health-and-care", "Health and care", "sector"), ("volunteering", "Volunteering", "civic"),
    ("money-and-life", "Money and life skills", "wellbeing"), ("enterprise", "Enterprise", "sector"),
    ("engineering", "Engineering", "sector"), ("food-and-growing", "Food and growing", "wellbeing"),
    ("heritage", "Heritage and history", "civic"), ("music", "Music", "sector"),
    ("science", "Science", "sector"), ("languages", "Languages", "wellbeing"),
    ("sport-leadership", "Sport leadership", "wellbeing"), ("media", "Media and journalism", "sector"),
    ("community-safety", "Community safety", "civic"), ("construction", "Construction", "sector"),
    ("hospitality", "Hospitality", "sector"), ("outdoors", "Outdoors", "wellbeing"),
    ("democracy", "Democracy", "civic"), ("care-leavers", "Next steps", "wellbeing"),
)
_ORG_KINDS = ("youth_club", "college", "employer", "council", "library", "charity", "museum", "sports_club")
_LAYER_SHARE = (0.35, 0.30, 0.22, 0.13)
_LAYER_WORDS = ("Starter", "Member", "Practitioner", "Leader", "Mentor", "Champion")
_MODES = (("offline", 0.55), ("online", 0.25), ("blended", 0.20))
#: First and last moment of award times (UTC).
_START = datetime(2023, 1, 1, tzinfo=UTC)
_SPAN_DAYS = 3 * 365
_P_UP = 0.35
_P_BACK = 0.10
_P_OTHER_THEME = 0.15
_P_EXPLORE = 0.05
_P_REPEAT = 0.01
_GAP_DAYS = 14.0
_SIGMA = 1.8


@dataclass
class City:
    """A generated city: catalogue records and activity rows, plain dicts in file order.

    Attributes:
        size: the size it was made at.
        seed: the seed it was made from.
        themes, places, organisations, badges, opportunities, pathways:
            catalogue records (the shapes of ``ingest.catalogue``; list fields
            as lists, pathways with ``steps``).
        learners: ``learners.csv`` rows (``themes`` and ``destinations`` as lists).
        awards: ``award_history.csv`` rows, oldest first (``issued_on`` ISO 8601 UTC).
    """

    size: CitySize
    seed: int
    themes: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    badges: list[dict[str, Any]] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    pathways: list[dict[str, Any]] = field(default_factory=list)
    learners: list[dict[str, Any]] = field(default_factory=list)
    awards: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """How many records of each kind (and pathway steps)."""
        return {
            "themes": len(self.themes), "places": len(self.places), "organisations": len(self.organisations),
            "badges": len(self.badges), "opportunities": len(self.opportunities),
            "pathways": len(self.pathways), "pathway_steps": sum(len(p["steps"]) for p in self.pathways),
            "learners": len(self.learners), "assertions": len(self.awards),
        }



class _Picker:
    """Weighted choice with precomputed cumulative weights (``bisect``, O(log n))."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def _zipf(n: int, s: float) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def _split(total: int, shares: Sequence[float]) -> list[int]:
    """``total`` split by ``shares`` into integers that add up to it (largest remainders)."""
    raw = [total * s / sum(shares) for s in shares]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[:total - sum(out)]:
        out[i] += 1
    return out


def _counts(rng: random.Random, learners: int, total: int, cap: int) -> list[int]:
    """Awards per learner: log-normal, scaled to add up to ``total``, each in ``[1, cap]``."""
    if total < learners:
        raise InvalidInput(f"{total} assertions cannot give each of {learners} learners one")
    draws = [rng.lognormvariate(0.0, _SIGMA) for _ in range(learners)]

    def total_at(scale: float) -> int:
        return sum(min(cap, 1 + int(d * scale)) for d in draws)

    if total_at(1e12) < total:
        raise InvalidInput(f"{total} assertions do not fit {learners} learners of at most {cap} each")
    low, high = 0.0, (total - learners) / sum(draws) * 4 + 1.0
    while total_at(high) < total:
        high *= 2
    for _ in range(60):  # the largest scale whose total stays at or below ``total``
        mid = (low + high) / 2
        low, high = (mid, high) if total_at(mid) <= total else (low, mid)
    counts = [min(cap, 1 + int(d * low)) for d in draws]
    # What rounding left goes to the most active learners below the cap, one each.
    short = total - sum(counts)
    for j in sorted(range(learners), key=lambda i: -draws[i]):
        if short == 0:
            break
        if counts[j] < cap:
            counts[j] += 1
            short -= 1
    return counts


def _catalogue(city: City, rng: random.Random) -> dict[str, Any]:
    size = city.size
    ladder = Ladder.read()
    layers, domains, destinations = list(ladder.layers), list(ladder.domains), list(ladder.destinations)

    for i in range(size.themes):
        slug, name, kind = _THEMES[i % len(_THEMES)]
        if i >= len(_THEMES):
            slug, name = f"{slug}-{i // len(_THEMES) + 1}", f"{name} {i // len(_THEMES) + 1}"
        city.themes.append({"id": slug, "name": name, "kind": kind,
                            "description": f"{name}: learning across the city.",
                            "destinations": rng.sample(destinations, rng.choice((1, 1, 2)))})
    theme_ids = [t["id"] for t in city.themes]

    for i in range(size.districts):
        city.places.append({"id": f"district-{i + 1:02d}", "name": f"District {i + 1}", "kind": "district",
                            "lat": round(53.5 + rng.uniform(-0.05, 0.05), 5),
                            "lon": round(-1.85 + rng.uniform(-0.08, 0.08), 5), "within": None})
    districts = [p["id"] for p in city.places]
    venues = []
    for i in range(size.venues):
        venues.append(f"venue-{i + 1:04d}")
        city.places.append({"id": venues[-1], "name": f"Venue {i + 1}", "kind": "venue",
                            "lat": round(53.5 + rng.uniform(-0.05, 0.05), 5),
                            "lon": round(-1.85 + rng.uniform(-0.08, 0.08), 5),
                            "within": rng.choice(districts)})

    orgs_of_theme: dict[str, list[str]] = {t: [] for t in theme_ids}
    for i in range(size.organisations):
        oid = f"org-{i + 1:04d}"
        mine = rng.sample(theme_ids, min(len(theme_ids), rng.choice((1, 1, 2, 3))))
        if i < len(theme_ids):  # every theme has an organisation
            mine = [theme_ids[i]] + [t for t in mine if t != theme_ids[i]]
        for t in mine:
            orgs_of_theme[t].append(oid)
        city.organisations.append({"id": oid, "name": f"Organisation {i + 1}",
                                   "kind": _ORG_KINDS[i % len(_ORG_KINDS)],
                                   "url": f"https://org-{i + 1}.example", "email": f"badges@org-{i + 1}.example",
                                   "description": f"Works in {', '.join(mine)}."})

    # Badges: themes x layers buckets; within a bucket, Zipf popularity in list order.
    per_theme = _split(size.badges, _zipf(len(theme_ids), 0.5))
    buckets: dict[tuple[str, int], list[str]] = {}
    n = 0
    for theme, count in zip(theme_ids, per_theme):
        for layer, in_layer in enumerate(_split(count, _LAYER_SHARE)):
            for j in range(in_layer):
                n += 1
                bid = f"{theme}-{layers[layer]}-{j + 1}"
                cell_domains = rng.sample(domains, 2 if rng.random() < 0.25 else 1)
                themes = [theme] + ([rng.choice([t for t in theme_ids if t != theme])]
                                    if rng.random() < 1 / 6 and len(theme_ids) > 1 else [])
                word = _LAYER_WORDS[min(layer, len(_LAYER_WORDS) - 1)]
                city.badges.append({
                    "id": bid, "name": f"{city.themes[theme_ids.index(theme)]['name']} {word} {j + 1}",
                    "description": f"A badge at the {layers[layer]} layer in {theme}.",
                    "issuer": rng.choice(orgs_of_theme[theme]),
                    "cells": [f"{d}.{layers[layer]}" for d in cell_domains], "themes": themes,
                    "criteria": "Take part and show what you did.", "expires_after_days": None,
                })
                buckets.setdefault((theme, layer), []).append(bid)
    badge_by_id = {b["id"]: b for b in city.badges}

    # Opportunities: one per badge first, then at random; an opportunity may award a second badge of its bucket.
    badge_ids = [b["id"] for b in city.badges]
    mode_picker = _Picker([m for m, _ in _MODES], [w for _, w in _MODES])
    for i in range(size.opportunities):
        main = badge_ids[i] if i < len(badge_ids) else rng.choice(badge_ids)
        badge = badge_by_id[main]
        theme = badge["themes"][0]
        layer = ladder.rank(badge["cells"][0])
        awards = [main]
        bucket = buckets[(theme, layer)]
        if len(bucket) > 1 and rng.random() < 0.2:
            awards.append(rng.choice([b for b in bucket if b != main]))
        mode = mode_picker.pick(rng)
        org = badge["issuer"] if rng.random() < 0.7 else rng.choice(orgs_of_theme[theme])
        city.opportunities.append({
            "id": f"opp-{i + 1:05d}", "name": f"{badge['name']} session {i + 1}",
            "description": f"Earn {badge['name']}.", "kind": rng.choice(("course", "event", "club", "workshop")),
            "organisation": org, "mode": mode, "place": None if mode == "online" else rng.choice(venues),
            "url": f"https://opportunities.example/{i + 1}", "themes": badge["themes"], "badges": awards,
        })

    # Pathways: one theme each, a step per layer with badges of that layer.
    for i in range(size.pathways):
        theme = theme_ids[i % len(theme_ids)]
        tdests = city.themes[theme_ids.index(theme)]["destinations"]
        steps = []
        for layer in range(len(layers)):
            bucket = buckets.get((theme, layer), [])
            if not bucket:
                continue
            chosen = rng.sample(bucket, min(len(bucket), rng.choice((1, 2, 3))))
            required = 2 if len(chosen) >= 2 and rng.random() < 0.1 else 1
            steps.append({"title": f"{layers[layer].capitalize()} in {theme}", "badges": chosen,
                          "required": required, "optional": False})
        city.pathways.append({
            "id": f"pathway-{i + 1:04d}", "title": f"{city.themes[theme_ids.index(theme)]['name']} route {i + 1}",
            "description": f"Up the spine in {theme}.", "organisation": rng.choice(orgs_of_theme[theme]),
            "destination": rng.choice(tdests), "status": "published", "kind": "recommended", "steps": steps,
        })
    return {"buckets": buckets, "ladder": ladder, "layers": layers, "districts": districts, "theme_ids": theme_ids,
            "badge_by_id": badge_by_id}


def _next_badge(rng: random.Random, pickers: dict[tuple[str, int], _Picker], theme: str, layer: int,
                held: Collection[str], n_layers: int) -> str | None:
    """A badge of ``theme`` at ``layer`` (or the nearest layer with one the learner lacks)."""
    for lay in sorted(range(n_layers), key=lambda x: (abs(x - layer), -x)):
        picker = pickers.get((theme, lay))
        if picker is None:
            continue
        for _ in range(4):
            b = picker.pick(rng)
            if b not in held:
                return b
        free = [b for b in picker.items if b not in held]
        if free:
            return rng.choice(free)
    return None


def _activity(city: City, rng: random.Random, cat: dict[str, Any]) -> None:
    size = city.size
    layers, theme_ids = cat["layers"], cat["theme_ids"]
    badge_by_id, buckets = cat["badge_by_id"], cat["buckets"]
    pickers = {k: _Picker(v, _zipf(len(v), 0.9)) for k, v in buckets.items()}
    theme_picker = _Picker(theme_ids, _zipf(len(theme_ids), 0.7))
    dests_of = {t["id"]: t["destinations"] for t in city.themes}
    cap = max(1, min(400, size.badges // 2))
    counts = _counts(rng, size.learners, size.assertions, cap)
    width = len(str(size.learners))
    pending: list[tuple[int, str, str, str, str]] = []
    for i, count in enumerate(counts):
        lid = f"learner-{i + 1:0{width}d}"
        themes: list[str] = []
        while len(themes) < rng.choice((1, 1, 2, 3)):
            t = theme_picker.pick(rng)
            if t not in themes:
                themes.append(t)
        dests = sorted({d for t in themes for d in dests_of[t]})
        city.learners.append({
            "id": lid, "home_place": rng.choice(cat["districts"]), "themes": themes,
            "destinations": rng.sample(dests, min(len(dests), rng.choice((0, 1, 1, 2)))),
            "interests": " and ".join(city.themes[theme_ids.index(t)]["name"].lower() for t in themes)
            if rng.random() < 0.5 else "",
        })
        reached = {t: 0 for t in themes}
        held: dict[str, None] = {}
        start_day = rng.uniform(0, _SPAN_DAYS * 0.9)
        gap = min(_GAP_DAYS, (_SPAN_DAYS - start_day) / count)
        day = start_day
        for _ in range(count):
            day += rng.expovariate(1.0 / gap) if gap > 0 else 0.0
            day = min(day, _SPAN_DAYS - 1e-6)
            r = rng.random()
            if r < _P_EXPLORE:
                theme = theme_picker.pick(rng)
            elif r < _P_EXPLORE + _P_OTHER_THEME and len(themes) > 1:
                theme = rng.choice(themes[1:])
            else:
                theme = themes[0]
            layer = reached.get(theme, 0)
            if layer > 0 and rng.random() < _P_BACK:
                layer -= 1
            if held and rng.random() < _P_REPEAT:
                badge: str | None = rng.choice(list(held))
            else:
                badge = _next_badge(rng, pickers, theme, layer, held.keys(), len(layers))
            if badge is None:
                badge = rng.choice(list(held)) if held else city.badges[0]["id"]
            held[badge] = None
            if theme in reached and rng.random() < _P_UP:
                reached[theme] = cat["ladder"].up(reached[theme])
            r = rng.random()
            status = "issued" if r < 0.02 else "revoked" if r < 0.03 else "accepted"
            pending.append((int(day * 86400), lid, badge, badge_by_id[badge]["issuer"], status))
    pending.sort(key=lambda p: (p[0], p[1]))
    awidth = len(str(len(pending)))
    for n, (secs, lid, badge, org, status) in enumerate(pending, 1):
        on = _START + timedelta(seconds=secs)
        city.awards.append({"id": f"award-{n:0{awidth}d}", "learner": lid, "badge": badge, "organisation": org,
                            "issued_on": on.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": status,
                            "expires_on": None})


def generate_city(size: str | CitySize, seed: int = 1) -> City:
    """Make a synthetic city.

    Args:
        size: ``S``, ``M``, ``L`` (see ``SIZES``) or a ``CitySize``.
        seed: the seed; the same size and seed give the same city.

    Returns:
        The city, every reference consistent (ready for ``write_city``).

    Raises:
        InvalidInput: an unknown size, or a size with fewer assertions than learners.
    """
    if isinstance(size, str):
        if size.upper() not in SIZES:
            raise InvalidInput(f"unknown size '{size}'; choose one of {', '.join(SIZES)}", field="size")
        size = SIZES[size.upper()]
    rng = random.Random(f"colearn-synthetic-{size.name}-{seed}")
    city = City(size=size, seed=seed)
    cat = _catalogue(city, rng)
    _activity(city, rng, cat)
    return city
