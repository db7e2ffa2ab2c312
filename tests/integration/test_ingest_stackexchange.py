"""Stack Exchange ``Badges.xml`` -> graph, checked against numbers computed from the XML here.

The expected numbers are computed in this file with ``xml.etree`` (not with the
reader), and the graph is counted through the Assertion node (FALKORDB.md:
never count paths through an unnamed middle node).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.stackexchange import ingest_stackexchange, load_mapping
from tests.graph_checks import AWARDS_PER_BADGE

# FalkorDB only: the readers' checks; every statement they write runs on Neo4j in the contract suite.
pytestmark = pytest.mark.falkordb_only

REPO = Path(__file__).resolve().parents[2]
BADGES_XML = REPO / "data" / "stackexchange" / "martialarts" / "Badges.xml"
SITE = "martialarts"


@pytest.fixture(scope="module")
def xml_rows() -> list[dict[str, str]]:
    """Every ``<row>`` of the dump, as attribute dicts."""
    return [dict(el.attrib) for el in ET.parse(BADGES_XML).getroot().iter("row")]


def _badge_key(r: dict[str, str]) -> tuple[str, bool, int | None]:
    """A badge is a general badge name, or a (tag, class) for tag badges."""
    tag = r["TagBased"] == "True"
    return r["Name"], tag, int(r["Class"]) if tag else None


def _count(store: GraphStore, label: str) -> int:
    return store.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]


def _shape(store: GraphStore) -> dict[str, int]:
    """Nodes per label (the change feed's own nodes aside) and relationships per type."""
    out = {f"node:{r['label']}": r["n"] for r in store.read(
        "MATCH (n) WHERE NOT n:FeedEntry AND NOT n:FeedCounter UNWIND labels(n) AS label "
        "RETURN label, count(n) AS n")}
    out.update({f"rel:{r['t']}": r["n"] for r in store.read(
        "MATCH ()-[e]->() RETURN type(e) AS t, count(e) AS n")})
    return out


def test_counts_equal_the_xml(store: GraphStore, xml_rows: list[dict[str, str]]) -> None:
    report = ingest_stackexchange(store, BADGES_XML, SITE)

    n_badges = len({_badge_key(r) for r in xml_rows})
    n_learners = len({r["UserId"] for r in xml_rows})
    assert (n_badges, len(xml_rows), n_learners) == (81, 15_942, 6_366)
    assert _count(store, "Badge") == n_badges
    assert _count(store, "Assertion") == len(xml_rows)
    assert _count(store, "Learner") == n_learners
    assert _count(store, "Organisation") == 1
    paths = store.read(queries.COUNT_ASSERTION_PATHS)[0]
    assert paths == {"paths": len(xml_rows), "assertions": len(xml_rows)}
    issued = store.read(f"MATCH (o:Organisation {{id: 'se-{SITE}'}})-[:ISSUED]->(a:Assertion) RETURN count(a) AS n")
    assert issued[0]["n"] == len(xml_rows)
    assert report.counts["Assertion"] == len(xml_rows) and report.counts["Badge"] == n_badges
    assert report.counts["Learner"] == n_learners


def test_awards_per_badge_count_repeats(store: GraphStore, xml_rows: list[dict[str, str]]) -> None:
    ingest_stackexchange(store, BADGES_XML, SITE)
    expected = Counter(_badge_key(r) for r in xml_rows)
    badges = {r["id"]: r for r in store.read(
        "MATCH (b:Badge) RETURN b.id AS id, b.name AS name, b.tag_based AS tag, b.badge_class AS cls")}
    got = {}
    for r in store.read(AWARDS_PER_BADGE):
        b = badges[r["badge_id"]]
        got[(b["name"], b["tag"], b["cls"] if b["tag"] else None)] = r["awards"]
    assert got == dict(expected)

    # Repeated awards of one badge to one learner are all there.
    per_pair = Counter((r["UserId"], r["Name"]) for r in xml_rows if r["TagBased"] == "False")
    (user, name), times = per_pair.most_common(1)[0]
    assert times > 1
    rows = store.read(
        "MATCH (l:Learner {id: $lid})<-[:TO]-(a:Assertion)-[:OF]->(b:Badge {name: $name}) RETURN count(a) AS n",
        {"lid": f"se-{SITE}-{user}", "name": name})
    assert rows[0]["n"] == times
    repeated = sum(n for n in per_pair.values() if n > 1)
    assert repeated > 0


def test_assertion_properties(store: GraphStore, xml_rows: list[dict[str, str]]) -> None:
    ingest_stackexchange(store, BADGES_XML, SITE)
    for r in (xml_rows[0], xml_rows[len(xml_rows) // 2], xml_rows[-1]):
        got = store.read(
            "MATCH (a:Assertion {id: $id})-[:TO]->(l:Learner) RETURN a.status AS status, "
            "a.issued_on AS issued_on, a.source AS source, l.id AS learner", {"id": f"se-{SITE}-a{r['Id']}"})
        when = datetime.fromisoformat(r["Date"]).replace(tzinfo=timezone.utc)
        assert got == [{"status": "accepted", "issued_on": int(when.timestamp()), "source": "stackexchange",
                        "learner": f"se-{SITE}-{r['UserId']}"}]


def test_badges_are_placed_on_the_spine_and_themes(store: GraphStore) -> None:
    ingest_stackexchange(store, BADGES_XML, SITE)
    rows = store.read(
        "MATCH (o:Organisation)-[:DEFINES]->(b:Badge)-[:ALIGNS_TO]->(c:SpineCell) "
        "RETURN b.name AS name, b.tag_based AS tag, c.id AS cell, o.id AS org, "
        "[(b)-[:IN_THEME]->(t:Theme) | t.id] AS themes")
    assert len(rows) == 81
    by_name = {(r["name"], r["tag"]): r for r in rows}
    assert all(r["org"] == f"se-{SITE}" for r in rows)
    assert by_name[("Teacher", False)]["cell"] == "skills.participation"
    assert by_name[("Student", False)]["cell"] == "knowledge.engagement"
    assert by_name[("judo", True)]["cell"] == "skills.participation"  # bronze tag badge
    assert by_name[("judo", True)]["themes"] == [f"se-{SITE}-community"]
    assert by_name[("Sheriff", False)]["themes"] == ["se-community-stewardship"]
    # Every theme leads somewhere the spine knows.
    themes = store.read("MATCH (t:Theme) RETURN t.id AS id, t.kind AS kind, "
                        "[(t)-[:LEADS_TO]->(d:Destination) | d.id] AS dests")
    assert {t["id"]: t["kind"] for t in themes} == {f"se-{SITE}-community": "sector",
                                                    "se-community-stewardship": "civic"}
    assert all(t["dests"] for t in themes)


def test_every_badge_of_the_data_is_in_the_mapping(store: GraphStore, xml_rows: list[dict[str, str]],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    general = {r["Name"] for r in xml_rows if r["TagBased"] == "False"}
    assert len(general) == 67
    assert general <= set(load_mapping().badges)
    with caplog.at_level("WARNING", logger="colearn.ingest.stackexchange"):
        report = ingest_stackexchange(store, BADGES_XML, SITE)
    assert report.fallbacks == []
    assert "not in the badge mapping" not in caplog.text
    rules = store.read("MATCH (b:Badge) RETURN b.mapping_rule AS rule, count(b) AS n")
    assert {r["rule"]: r["n"] for r in rules} == {"named": 67, "tag": 14}


def test_ingest_is_idempotent(store: GraphStore) -> None:
    first = ingest_stackexchange(store, BADGES_XML, SITE)
    shape = _shape(store)
    second = ingest_stackexchange(store, BADGES_XML, SITE)
    assert _shape(store) == shape
    assert second.counts == first.counts
    assert shape["rel:ISSUED"] == shape["rel:OF"] == shape["rel:TO"] == shape["node:Assertion"] == 15_942


@pytest.mark.parametrize("given", ["MartialArts", "martialarts.stackexchange.com", " martialarts "])
def test_the_site_is_read_as_a_site_key(store: GraphStore, given: str) -> None:
    """A site given as its name's case or host name is the same site: one Organisation, the same ids."""
    ingest_stackexchange(store, BADGES_XML, SITE)
    shape = _shape(store)
    report = ingest_stackexchange(store, BADGES_XML, given)
    assert _shape(store) == shape
    assert report.counts["Organisation"] == 1
    assert store.read("MATCH (o:Organisation) RETURN o.id AS id") == [{"id": f"se-{SITE}"}]


def test_a_site_that_is_no_key_is_refused_before_writing(store: GraphStore) -> None:
    with pytest.raises(InvalidInput, match="not a Stack Exchange site key") as err:
        ingest_stackexchange(store, BADGES_XML, "Martial Arts!")
    assert err.value.field == "site"
    assert _count(store, "Assertion") == 0


def test_a_bad_row_in_the_middle_writes_nothing(store: GraphStore, tmp_path: Path) -> None:
    lines = BADGES_XML.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    head, rows = lines[:2], [ln for ln in lines[2:] if ln.lstrip().startswith("<row")][:40]
    bad = '  <row Id="999999" UserId="5" Name="Teacher" Date="2013-05-01T10:00:00.000" Class="7" TagBased="False" />\n'
    body = rows[:20] + [bad] + rows[20:]
    small = tmp_path / "Badges.xml"
    small.write_text("".join(head + body) + "</badges>\n", encoding="utf-8")
    bad_line = len(head) + 20 + 1

    with pytest.raises(InvalidInput) as err:
        ingest_stackexchange(store, small, SITE)
    assert err.value.file == str(small)
    assert err.value.record == f"row Id 999999 (line {bad_line})"
    assert err.value.field == "Class"
    assert str(small) in str(err.value) and f"record row Id 999999 (line {bad_line})" in str(err.value)
    assert store.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]

    # Without the bad row the same file ingests.
    small.write_text("".join(head + rows) + "</badges>\n", encoding="utf-8")
    report = ingest_stackexchange(store, small, SITE)
    assert report.counts["Assertion"] == 40 == _count(store, "Assertion")


def test_the_cli_says_a_fallback_once_and_a_failed_step_stopped(tmp_path: Path) -> None:
    """The reader logs a fallback and returns it; ``colearn`` prints it from the report only. A step
    that fails says it stopped, not that it is done."""
    import os
    import subprocess
    import sys

    from colearn.graph.falkordb_store import EmbeddedFalkorDB

    lines = BADGES_XML.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    rows = [ln for ln in lines[2:] if ln.lstrip().startswith("<row")][:30]
    rows[5] = re.sub(r'Name="[^"]*"', 'Name="Brand New Badge"', rows[5])
    small = tmp_path / "Badges.xml"
    small.write_text("".join(lines[:2] + rows) + "</badges>\n", encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "COLEARN_DATA_DIR": str(data), "COLUMNS": "200"}
    try:
        done = subprocess.run([sys.executable, "-m", "colearn.cli", "ingest", "stackexchange", str(small),
                               "--site", SITE], env=env, capture_output=True, text=True, timeout=300)
    finally:
        EmbeddedFalkorDB.for_data_dir(data).stop()
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("Brand New Badge") == 1, done.stderr
    assert "no mapping" in done.stderr

    # a step that fails is not reported done before its error
    failed = subprocess.run([sys.executable, "-m", "colearn.cli", "ingest", "stackexchange",
                             str(tmp_path / "nowhere" / "Badges.xml"), "--site", SITE],
                            env=env, capture_output=True, text=True, timeout=300)
    EmbeddedFalkorDB.for_data_dir(data).stop()
    assert failed.returncode != 0 and "cannot read" in failed.stderr, failed.stderr
    assert "done in" not in failed.stderr and "stopped after" in failed.stderr, failed.stderr
