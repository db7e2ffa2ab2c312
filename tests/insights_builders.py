"""Raw demo-city and Stack Exchange data for the insights tests, read straight
from the files (CSV, YAML, XML) without colearn's readers, and counted in Python."""

from __future__ import annotations

import csv
import uuid
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from colearn.ingest.stackexchange import ingest_stackexchange

from tests.catalogue_builders import DEMO_CITY, SPINE
from tests.conftest import DATA

BADGES_XML = DATA / "stackexchange" / "martialarts" / "Badges.xml"


def _yaml(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((DEMO_CITY / name).read_text(encoding="utf-8"))


def _csv(name: str) -> list[dict[str, str]]:
    with (DEMO_CITY / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Award:
    """One accepted award: learner, badge, issuer and UTC day."""

    id: str
    learner: str
    badge: str
    organisation: str
    day: date
    at: int


class Demo:
    """The demo city's files, parsed."""

    def __init__(self) -> None:
        self.badges = {b["id"]: b for b in _yaml("badges.yaml")}
        self.themes = {t["id"]: t for t in _yaml("themes.yaml")}
        self.places = {p["id"]: p for p in _yaml("places.yaml")}
        self.opportunities = _yaml("opportunities.yaml")
        self.pathways = _yaml("pathways.yaml")
        self.learners = {r["id"]: r for r in _csv("learners.csv")}
        spine = yaml.safe_load(SPINE.read_text(encoding="utf-8"))
        self.layers = [lay["id"] for lay in spine["layers"]]
        self.domains = [d["id"] for d in spine["domains"]]
        self.awards = [Award(r["id"], r["learner"], r["badge"], r["organisation"],
                             date.fromisoformat(r["issued_on"]), _epoch(date.fromisoformat(r["issued_on"])))
                       for r in _csv("award_history.csv") if r["status"] == "accepted"]

    def district(self, place: str | None) -> str | None:
        """A place's district (a venue's ``within``), None for none."""
        if not place:
            return None
        return self.places[place].get("within", place)

    def home(self, learner: str) -> str | None:
        """A learner's home district."""
        return self.district(self.learners[learner]["home_place"])

    def interests(self, learner: str) -> list[str]:
        """A learner's stated themes."""
        return [t for t in self.learners[learner]["themes"].split(";") if t]

    def groups(self, a: Award, dimension: str) -> set[Any]:
        """The groups of ``dimension`` an award counts in."""
        b = self.badges[a.badge]
        themes = b.get("themes", [])
        return {
            "theme": set(themes),
            "theme_kind": {self.themes[t]["kind"] for t in themes},
            "destination": {d for t in themes for d in self.themes[t]["destinations"]},
            "cell": set(b["cells"]),
            "place": {self.home(a.learner)},
            "organisation": {a.organisation},
        }[dimension]

    def rank(self, cell: str) -> int:
        """A cell's layer rank."""
        return self.layers.index(cell.split(".")[1])


def _epoch(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def se_awards() -> list[Award]:
    """Every Martial Arts Stack Exchange award (all are accepted), from Badges.xml."""
    out = []
    for row in ET.parse(BADGES_XML).getroot().iter("row"):
        when = datetime.fromisoformat(row.get("Date")).replace(tzinfo=UTC)
        out.append(Award(row.get("Id"), f"se-martialarts-{row.get('UserId')}", row.get("Name"),
                         "se-martialarts", when.date(), int(when.timestamp())))
    return out


def period(d: date, interval: str) -> str:
    """ISO ``2025-W02``, or the month ``2025-01`` of the day's ISO week's Thursday
    (months are made of whole ISO weeks)."""
    if interval == "month":
        thursday = d + timedelta(days=3 - d.weekday())
        return f"{thursday.year}-{thursday.month:02d}"
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def tally(awards: list[Award], key) -> dict[Any, tuple[int, int]]:
    """``{key: (distinct learners, assertions)}``; ``key(award)`` gives the award's keys."""
    learners: dict[Any, set[str]] = defaultdict(set)
    count: dict[Any, set[str]] = defaultdict(set)
    for a in awards:
        for k in key(a):
            learners[k].add(a.learner)
            count[k].add(a.id)
    return {k: (len(learners[k]), len(count[k])) for k in learners}


def loaded_store(server: EmbeddedFalkorDB, *, stackexchange: bool) -> Iterator[FalkorDBStore]:
    """A fresh graph with the demo city (and the Martial Arts data), dropped afterwards."""
    store = FalkorDBStore(server.host, server.port, f"insights-{uuid.uuid4().hex[:10]}", server=server)
    store.apply_schema()
    ingest_catalogue(store, demo_city_path())
    ingest_awards(store, demo_city_path())
    if stackexchange:
        ingest_stackexchange(store, BADGES_XML, site="martialarts")
    try:
        yield store
    finally:
        store.drop()
        store.close()
