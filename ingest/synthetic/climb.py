"""A synthetic city whose learners climb the spine in themes: the true next step is known.

The spine is read from data (``Ladder``, default ``data/spine.yaml``). Deterministic
for a seed. Each theme has one badge per spine cell
(``<theme>-<domain>-<layer>``); each learner picks a theme (some themes are
more popular than others) and a first domain, starts at the first layer and,
at each step: with probability ``p_climb`` earns the next layer of the domain
they are in, else (``p_switch``) starts another domain of the theme at the
first layer, else earns a random badge of another theme. A learner stops
after a geometric number of badges. Each award is a day or more after the one
before, and learners start at random times over two years.

Used to test that the recommender finds a structure it was not told about
(``true_next`` gives, for a learner's history, the badge the process most
likely gives next), and as a second data set for the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from colearn.ingest.synthetic.ladder import Ladder

__all__ = ["SyntheticCity", "badge_id", "synthetic_city", "true_next", "write_badges_xml"]

DAY = 86_400
START = 1_600_000_000


@dataclass(frozen=True)
class SyntheticCity:
    """The generated data.

    Attributes:
        awards: ``(learner_id, badge_id, awarded_on, award_id)`` rows, in time order.
        catalogue: ``BADGE_CATALOGUE``-like badge rows (name, description, cells, themes, destinations).
        cells: ``SPINE_CELLS``-like rows of the spine (``Ladder.cell_rows``).
        themes: theme ids.
    """

    awards: list[tuple[str, str, int, int]]
    catalogue: list[dict[str, Any]]
    cells: list[dict[str, Any]]
    themes: tuple[str, ...]


def badge_id(theme: str, domain: str, layer: str) -> str:
    """``"<theme>-<domain>-<layer>"``."""
    return f"{theme}-{domain}-{layer}"


def synthetic_city(seed: int = 0, n_learners: int = 800, n_themes: int = 4, mean_badges: float = 5.0,
                   p_climb: float = 0.7, p_switch: float = 0.2, ladder: Ladder | None = None) -> SyntheticCity:
    """Generate a city (see the module docstring).

    Args:
        seed: seeds ``numpy.random.default_rng``.
        n_learners: learners.
        n_themes: themes (``theme0`` ... ), popularity falling as ``1/(i+1)``.
        mean_badges: mean badges per learner (geometric, at least 1).
        p_climb: probability of the next layer in the current domain.
        p_switch: probability of another domain of the same theme.
        ladder: the spine; default the bundled one. A theme's badges lead to its
            destination (the spine's destinations in turn).

    Returns:
        The ``SyntheticCity``.
    """
    ladder = ladder or Ladder.read()
    layers, domains, destinations = ladder.layers, ladder.domains, ladder.destinations
    rng = np.random.default_rng(seed)
    themes = tuple(f"theme{i}" for i in range(n_themes))
    cells = ladder.cell_rows()
    catalogue = [{"id": badge_id(t, d, lay), "name": f"{t.title()} {d.replace('_', ' ')} {lay}",
                  "description": f"A {lay} badge in {d.replace('_', ' ')} for the {t} theme.",
                  "cells": [f"{d}.{lay}"], "themes": [t], "destinations": [destinations[ti % len(destinations)]]}
                 for ti, t in enumerate(themes) for d in domains for lay in layers]
    weights = 1.0 / np.arange(1, n_themes + 1)
    weights /= weights.sum()
    awards: list[tuple[str, str, int, int]] = []
    n = 0
    for u in range(n_learners):
        theme = themes[int(rng.choice(n_themes, p=weights))]
        domain, layer = domains[int(rng.integers(len(domains)))], 0
        done_domains = {domain}
        held: list[str] = []
        length = int(rng.geometric(1.0 / mean_badges))
        t = START + int(rng.integers(0, 730)) * DAY
        current = badge_id(theme, domain, layers[0])
        for _ in range(length):
            if current not in held:
                n += 1
                held.append(current)
                awards.append((f"u{u}", current, t, n))
            t += int(rng.integers(1, 60)) * DAY
            r = rng.random()
            if r < p_climb and layer < ladder.top:
                layer += 1
                current = badge_id(theme, domain, layers[layer])
            elif r < p_climb + p_switch and len(done_domains) < len(domains):
                domain = [d for d in domains if d not in done_domains][0]
                done_domains.add(domain)
                layer = 0
                current = badge_id(theme, domain, layers[0])
            else:
                other = themes[int(rng.integers(n_themes))]
                current = badge_id(other, domains[int(rng.integers(len(domains)))], layers[int(rng.integers(2))])
    awards.sort(key=lambda a: (a[2], a[3]))
    return SyntheticCity(awards=awards, catalogue=catalogue, cells=cells, themes=themes)


def write_badges_xml(city: SyntheticCity, path: Path | str, ladder: Ladder | None = None) -> Path:
    """Write the city's awards as a Stack Exchange ``Badges.xml`` (an unseen "site" for ``colearn eval``).

    Each badge becomes a tag badge named after it (``TagBased="True"``), its
    class from its layer: the top layer gold (1), the one below it silver (2),
    the rest bronze (3) (on the bundled spine: leadership gold, demonstration
    silver, participation and engagement bronze); user ids are the learner numbers.

    Args:
        city: from ``synthetic_city``.
        path: the file to write.
        ladder: the spine the city was made on; default the bundled one.
    """
    ladder = ladder or Ladder.read()
    tier = {lay: max(1, min(3, ladder.top - rank + 1)) for rank, lay in enumerate(ladder.layers)}
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<badges>"]
    for learner, badge, on, award_id in city.awards:
        layer = badge.rsplit("-", 1)[1]
        date = np.datetime_as_string(np.datetime64(on, "s"), unit="ms")
        lines.append(f'  <row Id="{award_id}" UserId="{learner[1:]}" Name={quoteattr(badge)} '
                     f'Date="{date}" Class="{tier[layer]}" TagBased="True" />')
    lines.append("</badges>")
    p = Path(path)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def true_next(history: list[str], ladder: Ladder | None = None) -> str | None:
    """The badge the generating process most likely gives after ``history`` (the climb): the next
    layer of the latest badge's theme and domain, or ``None`` at the top layer.

    ``ladder`` is the spine the city was made on (default the bundled one)."""
    if not history:
        return None
    layers = (ladder or Ladder.read()).layers
    theme, rest = history[-1].split("-", 1)
    domain, layer = rest.rsplit("-", 1)
    i = layers.index(layer)
    return badge_id(theme, domain, layers[i + 1]) if i + 1 < len(layers) else None
