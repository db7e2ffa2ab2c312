"""The Stack Exchange ``Badges.xml`` reader and the badge mapping, without a store."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from colearn.errors import InvalidInput
from colearn.ingest.spine import read_spine
from colearn.recommender.evaluation import temporal_leave_last_out
from colearn.ingest.stackexchange import (
    badge_id,
    classify,
    default_mapping_path,
    load_mapping,
    plan_stackexchange,
    read_badges_xml,
    site_info,
    slug,
)

HEAD = '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<badges>\n'
TAIL = "</badges>"


def row(i: int, user: int = 7, name: str = "Teacher", date: str = "2012-01-31T20:57:26.347",
        cls: str = "3", tag: str = "False") -> str:
    return f'  <row Id="{i}" UserId="{user}" Name="{name}" Date="{date}" Class="{cls}" TagBased="{tag}" />\n'


def write(tmp_path: Path, *rows: str, head: str = HEAD, tail: str = TAIL) -> Path:
    p = tmp_path / "Badges.xml"
    p.write_text(head + "".join(rows) + tail, encoding="utf-8")
    return p


def test_rows_become_awards(tmp_path: Path) -> None:
    p = write(tmp_path, row(1), row(2, user=9, name="judo", cls="2", tag="True"))
    awards = read_badges_xml(p, "martialarts")
    assert [a.row_id for a in awards] == [1, 2]
    first, second = awards
    assert first.learner_id == "se-martialarts-7"
    assert first.name == "Teacher" and first.tag_based is False and first.badge_class == 3
    assert first.tier == "bronze"
    assert first.awarded_on == datetime(2012, 1, 31, 20, 57, 26, 347000, tzinfo=UTC)
    assert first.awarded_on.tzinfo is not None
    assert second.tag_based is True and second.tier == "silver"


@pytest.mark.parametrize(("bad", "fld"), [
    (row(2, cls="4"), "Class"),
    (row(2, tag="yes"), "TagBased"),
    (row(2, date="31/01/2012"), "Date"),
    ('  <row Id="2" Name="Teacher" Date="2012-01-31T20:57:26.347" Class="3" TagBased="False" />\n', "UserId"),
    (row(0), "Id"),
])
def test_a_bad_row_is_named_by_file_row_id_line_and_field(tmp_path: Path, bad: str, fld: str) -> None:
    p = write(tmp_path, row(1), bad, row(3))
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "martialarts")
    assert err.value.file == str(p)
    rid = "0" if fld == "Id" else "2"
    assert err.value.record == f"row Id {rid} (line 4)"  # BOM + declaration, <badges>, row 1, then the bad row
    assert err.value.field == fld
    assert str(p) in str(err.value) and f"record row Id {rid} (line 4)" in str(err.value) and fld in str(err.value)


def test_duplicate_row_ids_are_refused(tmp_path: Path) -> None:
    p = write(tmp_path, row(1), row(1, user=8))
    with pytest.raises(InvalidInput, match="already appears on line 3") as err:
        read_badges_xml(p, "martialarts")
    assert err.value.record == "row Id 1 (line 4)" and err.value.field == "Id"


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, row(1), '  <row Id="2" UserId="3"\n', row(3))
    with pytest.raises(InvalidInput, match="not well-formed XML") as err:
        read_badges_xml(p, "martialarts")
    assert err.value.record is not None and err.value.file == str(p)


@pytest.mark.parametrize("cut", ["between rows", "inside a row"])
def test_a_file_cut_short_says_so_and_names_the_line(tmp_path: Path, cut: str) -> None:
    text = HEAD + row(1) + row(2) + (row(3)[:20] if cut == "inside a row" else "")  # no </badges>
    p = tmp_path / "Badges.xml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match="cut short") as err:
        read_badges_xml(p, "martialarts")
    assert err.value.record == f"line {text.count(chr(10)) + 1}", err.value  # the line the text ends on


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    (p := tmp_path / "Badges.xml").write_bytes(b"")
    with pytest.raises(InvalidInput, match="the file is empty"):
        read_badges_xml(p, "martialarts")


def test_wrong_root_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, row(1), head='<?xml version="1.0"?>\n<tags>\n', tail="</tags>")
    with pytest.raises(InvalidInput, match="expected <badges>"):
        read_badges_xml(p, "martialarts")


def test_site_key_is_checked(tmp_path: Path) -> None:
    p = write(tmp_path, row(1))
    with pytest.raises(InvalidInput, match="site key"):
        read_badges_xml(p, "Martial Arts!")


def test_slugs_and_badge_ids() -> None:
    assert slug("Strunk & White") == "strunk-white"
    assert slug("Self-Learner") == "self-learner"
    assert badge_id("martialarts", "Nice Answer", tag_based=False, badge_class=3) == "se-martialarts-nice-answer"
    # A tag's bronze and silver badges share a name but not an id.
    assert badge_id("martialarts", "judo", tag_based=True, badge_class=3) == "se-martialarts-tag-judo-bronze"
    assert badge_id("martialarts", "judo", tag_based=True, badge_class=2) == "se-martialarts-tag-judo-silver"


def test_bundled_mapping_is_valid_against_the_spine() -> None:
    spine = read_spine()
    mapping = load_mapping()
    cells = {f"{d.id}.{lay.id}" for d in spine.domains for lay in spine.layers}
    assert {r.cell for r in mapping.badges.values()} <= cells
    # Every cell of the spine is used by some named badge or rule.
    used = {r.cell for r in mapping.badges.values()} | set(mapping.tag_badges.by_class.model_dump().values())
    assert used == cells
    assert all(r.description.strip() for r in mapping.badges.values())


def test_rules_by_class_for_tag_badges_and_unknown_badges(caplog: pytest.LogCaptureFixture) -> None:
    mapping = load_mapping()
    site = site_info(mapping, "martialarts")
    assert site.name == "Martial Arts Stack Exchange"
    judo = {c: classify(mapping, site, "judo", tag_based=True, badge_class=c) for c in (1, 2, 3)}
    assert [judo[c].cell for c in (3, 2, 1)] == ["skills.participation", "skills.demonstration",
                                                 "skills.leadership"]
    assert judo[3].rule == "tag" and "judo" in judo[3].description
    with caplog.at_level(logging.WARNING, logger="colearn.ingest.stackexchange"):
        plan = classify(mapping, site, "Brand New Badge", tag_based=False, badge_class=2)
    assert plan.rule == "fallback" and plan.cell == mapping.fallback.by_class.silver
    assert "Brand New Badge" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="colearn.ingest.stackexchange"):
        assert classify(mapping, site, "Teacher", tag_based=False, badge_class=3).rule == "named"
    assert caplog.text == ""


def test_unknown_site_gets_defaults() -> None:
    info = site_info(load_mapping(), "cooking")
    assert info.name == "Cooking Stack Exchange"
    assert info.url == "https://cooking.stackexchange.com"


@pytest.mark.parametrize(("path", "value", "fld"), [
    (("badges", "Teacher", "cell"), "skills.mastery", "badges.Teacher.cell"),
    (("themes", "civic", "leads_to"), ["the_moon"], "themes.civic.leads_to"),
    (("tag_badges", "by_class", "gold"), "skills.guru", "tag_badges.by_class.gold"),
])
def test_a_bad_mapping_is_refused(tmp_path: Path, path: tuple[str, ...], value: object, fld: str) -> None:
    raw = yaml.safe_load(default_mapping_path().read_text(encoding="utf-8"))
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    p = tmp_path / "mapping.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_mapping(p)
    assert err.value.file == str(p)
    assert err.value.field == fld


# --------------------------------------------------------------------------
# Dumps as they really are: older formats, unsorted rows, unknown names
# --------------------------------------------------------------------------

SUITE = Path(__file__).resolve().parents[2] / "data" / "stackexchange"
SITES = sorted(p.parent.name for p in SUITE.glob("*/Badges.xml"))


def old_row(i: int, user: int = 7, name: str = "Teacher", date: str = "2012-01-31T20:57:26.347") -> str:
    return f'  <row Id="{i}" UserId="{user}" Name="{name}" Date="{date}" />\n'


def test_the_bundled_suite_has_ten_sites() -> None:
    assert len(SITES) == 10 and {"martialarts", "cs", "onstartups"} <= set(SITES)


@pytest.mark.parametrize("site", SITES)
def test_every_bundled_dump_reads_in_date_then_id_order(site: str) -> None:
    path = SUITE / site / "Badges.xml"
    n_rows = path.read_text(encoding="utf-8-sig").count("<row ")
    awards = read_badges_xml(path, site)
    assert len(awards) == n_rows
    keys = [(a.awarded_on, a.row_id) for a in awards]
    assert keys == sorted(keys)


@pytest.mark.parametrize("site", ["3dprinting", "onstartups"])  # unsorted rows; no Class
def test_a_site_plan_keeps_the_date_then_id_order_and_spine_cells(site: str) -> None:
    path = SUITE / site / "Badges.xml"
    plan = plan_stackexchange(path, site)
    assert [r["props"]["se_id"] for r in plan.assertion_rows] == [a.row_id for a in read_badges_xml(path, site)]
    assert [a[3] for a in plan.awards()] == list(range(len(plan.assertion_rows)))
    cells = {f"{d.id}.{lay.id}" for d in read_spine().domains for lay in read_spine().layers}
    assert {r["cell"] for r in plan.badge_rows} <= cells


def test_an_older_dump_without_class_infers_its_tag_badges() -> None:
    plan = plan_stackexchange(SUITE / "cs" / "Badges.xml", "cs")
    tags = [r for r in plan.badge_rows if r["props"]["tag_based"]]
    assert tags, "cs gives tag badges as plain tag names"
    assert {r["props"]["tier"] for r in tags} <= {"bronze", "silver", "gold"}
    assert all(r["props"]["name"] == r["props"]["name"].lower() for r in tags)
    teacher = next(r for r in plan.badge_rows if r["props"]["name"] == "Teacher")
    assert teacher["props"]["mapping_rule"] == "named" and teacher["props"]["tier"] == "unknown"


def test_older_rows_are_read_and_tag_tiers_follow_award_order(tmp_path: Path) -> None:
    p = write(tmp_path, old_row(3, name="algorithms", date="2013-01-01T00:00:00"),
              old_row(1, name="algorithms", date="2012-01-01T00:00:00"), old_row(2, name="Teacher"),
              old_row(4, user=8, name="algorithms", date="2012-06-01T00:00:00"))
    awards = read_badges_xml(p, "cs")
    assert [a.row_id for a in awards] == [1, 2, 4, 3]  # by Date, then Id
    by_id = {a.row_id: a for a in awards}
    assert by_id[2].tag_based is False and by_id[2].badge_class is None and by_id[2].tier == "unknown"
    assert by_id[1].tag_based and by_id[1].tier == "bronze"
    assert by_id[3].tier == "silver"  # the same user's second award of the tag
    assert by_id[4].tier == "bronze"  # another user's first


def test_rows_with_equal_dates_are_ordered_by_id(tmp_path: Path) -> None:
    p = write(tmp_path, row(9, date="2012-01-01T00:00:00"), row(5, user=8, date="2012-01-01T00:00:00"),
              row(7, user=9, date="2011-01-01T00:00:00"))
    assert [a.row_id for a in read_badges_xml(p, "martialarts")] == [7, 5, 9]


def test_awards_within_one_second_keep_the_order_of_their_dates_not_their_ids(tmp_path: Path) -> None:
    """``issued_on`` is whole seconds; the evaluation breaks its ties by the award id, which
    was the row ``Id``: two learners' histories within one second came out in Id order,
    which held out the wrong last badge (3D Printing's learner 52, Engineering's 162)."""
    def dump(folder: str, ids: list[int]) -> list[tuple[str, str, int, int]]:
        names = ["Teacher", "Student", "Editor", "Supporter"]
        rows = [row(i, name=n, date=f"2012-01-01T00:00:00.{ms:03d}") for i, n, ms in zip(ids, names, (100, 200, 300, 400))]
        (tmp_path / folder).mkdir()
        return plan_stackexchange(write(tmp_path / folder, *rows), "martialarts").awards()

    rising, falling = dump("rising", [1, 2, 3, 4]), dump("falling", [40, 30, 20, 10])
    assert [a[:3] for a in rising] == [a[:3] for a in falling]  # the same awards in the same (Date) order
    for awards in (rising, falling):
        [case] = temporal_leave_last_out(awards)
        assert (case.badge_id, case.history) == (awards[3][1], tuple(a[1] for a in awards[:3]))
        assert case.badge_id == "se-martialarts-supporter"  # the latest Date


def test_a_dump_with_class_but_no_tagbased_still_finds_its_tag_badges(tmp_path: Path) -> None:
    """Whether a row is a tag badge is inferred whenever ``TagBased`` is missing, not only when
    ``Class`` is too: a tag's silver and bronze stay two badges."""
    no_tag = [f'  <row Id="{i}" UserId="{u}" Name="{n}" Date="2012-0{i}-01T00:00:00" Class="{c}" />\n'
              for i, u, n, c in ((1, 7, "beam", 3), (2, 7, "beam", 2), (3, 8, "Teacher", 3))]
    awards = {a.row_id: a for a in read_badges_xml(write(tmp_path, *no_tag), "engineering")}
    assert awards[1].tag_based and awards[2].tag_based and not awards[3].tag_based
    assert (awards[1].tier, awards[2].tier, awards[3].tier) == ("bronze", "silver", "bronze")
    plan = plan_stackexchange(tmp_path / "Badges.xml", "engineering")
    assert sorted(r["props"]["tier"] for r in plan.badge_rows if r["props"]["tag_based"]) == ["bronze", "silver"]
    assert plan.fallbacks == []


def test_a_tag_badge_without_class_gets_its_tier_by_award_order_when_tagbased_is_given(tmp_path: Path) -> None:
    no_class = [f'  <row Id="{i}" UserId="7" Name="beam" Date="2012-0{i}-01T00:00:00" TagBased="True" />\n'
                for i in (1, 2)]
    awards = read_badges_xml(write(tmp_path, *no_class), "engineering")
    assert [(a.tag_based, a.tier) for a in awards] == [(True, "bronze"), (True, "silver")]


def test_an_unknown_name_without_class_goes_to_the_stated_default_cell(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    p = write(tmp_path, old_row(1, name="Brand New Badge"), old_row(2, name="Teacher"))
    with caplog.at_level(logging.WARNING, logger="colearn.ingest.stackexchange"):
        plan = plan_stackexchange(p, "newsite")
    mapping = load_mapping()
    new = next(r for r in plan.badge_rows if r["props"]["name"] == "Brand New Badge")
    assert new["cell"] == mapping.fallback.unknown_class and new["props"]["mapping_rule"] == "fallback"
    assert plan.fallbacks == ["Brand New Badge"] and "Brand New Badge" in caplog.text
