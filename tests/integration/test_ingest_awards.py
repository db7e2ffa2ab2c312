"""The learners and awards reader (``learners.csv``, ``award_history.csv``) on a real graph,
checked against counts computed here from the raw CSV files."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.awards import has_activity, ingest_awards, read_activity
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue, read_catalogue
from colearn.ingest.synthetic import demo
from tests.catalogue_builders import DEMO_CITY
from tests.graph_checks import count_relationships

# FalkorDB only: the readers' checks; every statement they write runs on Neo4j in the contract suite.
pytestmark = pytest.mark.falkordb_only

LEARNERS = DEMO_CITY / "learners.csv"
AWARDS = DEMO_CITY / "award_history.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _epoch(day: str) -> int:
    return int(datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp())


@pytest.fixture
def city(store: GraphStore) -> GraphStore:
    ingest_catalogue(store, demo_city_path())
    return store


def test_the_catalogue_reader_leaves_the_activity_files_alone() -> None:
    assert has_activity(DEMO_CITY)
    cat = read_catalogue(DEMO_CITY)
    assert cat.badges and cat.pathways


def test_demo_learners_and_awards_match_the_csv(city: GraphStore) -> None:
    learners, awards = _rows(LEARNERS), _rows(AWARDS)
    report = ingest_awards(city, demo_city_path())
    assert report.counts[str(Label.LEARNER)] == len(learners)
    assert report.counts[str(Label.ASSERTION)] == len(awards)
    assert city.read(queries.count_nodes(Label.LEARNER)) == [{"n": len(learners)}]
    assert city.read(queries.count_nodes(Label.ASSERTION)) == [{"n": len(awards)}]
    assert city.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": len(awards), "assertions": len(awards)}]
    assert city.read(count_relationships(Rel.LIVES_IN)) == [{"n": sum(1 for r in learners if r["home_place"])}]
    interests = sum(len([x for x in (r["themes"] + ";" + r["destinations"]).split(";") if x]) for r in learners)
    assert city.read(count_relationships(Rel.INTERESTED_IN)) == [{"n": interests}]
    got = Counter(r["status"] for r in city.read("MATCH (a:Assertion) RETURN a.status AS status, a.id AS id"))
    assert got == Counter(a["status"] for a in awards)


def test_each_award_is_stored_as_written(city: GraphStore) -> None:
    ingest_awards(city, demo_city_path())
    rows = {r["id"]: r for r in city.read(
        "MATCH (o:Organisation)-[:ISSUED]->(a:Assertion)-[:OF]->(b:Badge), (a)-[:TO]->(l:Learner) "
        "RETURN a.id AS id, o.id AS org, b.id AS badge, l.id AS learner, a.issued_on AS issued_on, "
        "a.expires_on AS expires_on")}
    awards = _rows(AWARDS)
    assert len(rows) == len(awards)
    for a in awards:
        r = rows[a["id"]]
        assert (r["org"], r["badge"], r["learner"]) == (a["organisation"], a["badge"], a["learner"])
        assert r["issued_on"] == _epoch(a["issued_on"])
        assert r["expires_on"] == (_epoch(a["expires_on"]) if a["expires_on"] else None)
    issuers = {r["badge_id"]: r["issuer_id"] for r in city.read(
        queries.BADGE_ISSUERS, {"badge_ids": sorted({a["badge"] for a in awards})})}
    assert all(issuers[a["badge"]] == a["organisation"] for a in awards)


def test_ingest_is_idempotent(city: GraphStore) -> None:
    ingest_awards(city, demo_city_path())
    count = "MATCH (n) WHERE NOT n:FeedEntry AND NOT n:FeedCounter RETURN count(n) AS n"  # the city's nodes
    rels = "MATCH ()-[e]->() RETURN count(e) AS n"
    first = city.read(count), city.read(rels)
    ingest_awards(city, demo_city_path())
    assert (city.read(count), city.read(rels)) == first


def _copy_with(tmp_path: Path, name: str, edit) -> Path:
    folder = tmp_path / "city"
    folder.mkdir()
    for f in ("learners.csv", "award_history.csv"):
        shutil.copy(DEMO_CITY / f, folder / f)
    lines = (folder / name).read_text().splitlines()
    edit(lines)
    (folder / name).write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize(("name", "column", "value", "field", "words"), [
    ("award_history.csv", 5, "accepted-ish", "status", "status"),
    ("award_history.csv", 2, "no-such-badge", "badge", "no-such-badge"),
    ("award_history.csv", 3, "greenway-trust", "organisation", "defined by"),
    ("award_history.csv", 1, "nobody-here", "learner", "nobody-here"),
    ("award_history.csv", 4, "2025-13-01", "issued_on", "issued_on"),
    ("learners.csv", 1, "atlantis", "home_place", "atlantis"),
    ("learners.csv", 2, "knitting", "themes.0", "knitting"),
])
def test_a_bad_row_is_refused_with_file_line_and_field(city: GraphStore, tmp_path: Path, name: str, column: int,
                                                       value: str, field: str, words: str) -> None:
    target = 40  # a line in the middle (1-based, header is line 1)

    def edit(lines: list[str]) -> None:
        cells = next(csv.reader([lines[target - 1]]))
        if field == "organisation" and cells[3] == value:
            value_ = "kiln-digital"
        else:
            value_ = value
        cells[column] = value_
        lines[target - 1] = ",".join(f'"{c}"' if "," in c else c for c in cells)

    folder = _copy_with(tmp_path, name, edit)
    with pytest.raises(InvalidInput) as info:
        ingest_awards(city, folder)
    err = info.value
    assert err.file == str(folder / name) and err.record == target, str(err)
    assert err.field == field or err.field.startswith(f"{field}."), str(err)  # a union names its branch
    assert words in str(err)
    assert city.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]
    assert city.read(count_relationships(Rel.LIVES_IN)) == [{"n": 0}]


def test_a_duplicate_award_id_is_refused(city: GraphStore, tmp_path: Path) -> None:
    folder = _copy_with(tmp_path, "award_history.csv", lambda lines: lines.append(lines[5]))
    with pytest.raises(InvalidInput) as info:
        ingest_awards(city, folder)
    assert info.value.field == "id" and "line 6" in str(info.value)


def test_the_history_is_still_read_under_its_former_name(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    shutil.copy(DEMO_CITY / "award_history.csv", folder / "awards.csv")
    assert has_activity(folder)
    act = read_activity(folder)
    assert len(act.awards) == len(_rows(AWARDS)) and act.file(act.history_file) == str(folder / "awards.csv")
    assert [a.id for _, a in act.awards] == [r["id"] for r in _rows(AWARDS)]


def test_both_names_of_the_history_in_one_folder_are_refused(tmp_path: Path) -> None:
    folder = _copy_with(tmp_path, "award_history.csv", lambda lines: None)
    shutil.copy(DEMO_CITY / "award_history.csv", folder / "awards.csv")
    with pytest.raises(InvalidInput, match="former name") as info:
        read_activity(folder)
    assert info.value.file == str(folder / "awards.csv")


def test_the_committed_data_is_what_the_generator_makes(tmp_path: Path) -> None:
    for f in ("themes.yaml", "badges.yaml", "pathways.yaml"):
        shutil.copy(DEMO_CITY / f, tmp_path / f)
    demo.write_activity(tmp_path, tmp_path)
    for f in ("learners.csv", "award_history.csv"):
        assert (tmp_path / f).read_text() == (DEMO_CITY / f).read_text(), f


def test_the_demo_learners_are_realistic() -> None:
    learners, awards = _rows(LEARNERS), _rows(AWARDS)
    assert 300 <= len(learners) <= 1000 and 2000 <= len(awards) <= 5000
    days = sorted(a["issued_on"] for a in awards)
    assert days[0] >= "2025-01-01" and days[-1] <= "2026-10-31"
    assert len({r["home_place"] for r in learners}) == 6
    per_learner = Counter(a["learner"] for a in awards)
    assert max(per_learner.values()) >= 6 and min(per_learner.values()) == 1
    completion = {"digital-careers-award", "civic-leader-award", "health-and-care-ready"}
    assert sum(1 for a in awards if a["badge"] in completion) >= 10


def test_a_learners_file_that_is_not_utf8_names_its_line_and_column(tmp_path: Path) -> None:
    """A Latin-1 ``learners.csv`` said only "can't decode byte 0xe9 in position ..."."""
    (tmp_path / "learners.csv").write_bytes("id,home_place,interests\nbf-1,northgate,caf\u00e9s\n".encode("latin-1"))
    with pytest.raises(InvalidInput) as info:
        read_activity(tmp_path)
    assert info.value.file == str(tmp_path / "learners.csv") and info.value.record == 2
    assert "line 2, column 19: byte 0xe9" in str(info.value)
