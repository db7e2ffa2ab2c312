"""Catalogue reading and validation without a store, and the demo city's shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from colearn.errors import InvalidInput
from colearn.graph.schema import OpportunityMode, PathwayStatus
from colearn.ingest.catalogue import Catalogue, demo_city_path, read_catalogue, step_id
from tests.catalogue_builders import (
    DEMO_CITY,
    SPINE,
    load_yaml_folder,
    minimal_catalogue,
    write_csv,
    write_yaml,
)


def read_single(tmp_path: Path, data: dict[str, Any]) -> Catalogue:
    return read_catalogue(write_yaml(tmp_path / "city.yaml", data))


def refused(tmp_path: Path, data: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        read_single(tmp_path, data)
    return info.value


def assert_names(err: InvalidInput, *, file: str, record: str | int, field: str | None) -> None:
    """The error names the file, the record and the field, as attributes and in its message."""
    assert Path(str(err.file)).name == file
    assert err.record == record
    assert err.field == field
    assert file in str(err)
    assert f"record {record}" in str(err)
    if field is not None:
        assert f"field '{field}'" in str(err)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def test_single_yaml_file_is_read_in_full(tmp_path: Path) -> None:
    cat = read_single(tmp_path, minimal_catalogue())
    assert [e.value.id for e in cat.themes] == ["digital", "green"]
    assert [e.value.id for e in cat.badges] == ["taster", "club", "app", "mentor", "award"]
    assert [e.value.id for e in cat.opportunities] == ["taster-day", "online-course"]
    (pathway,) = [e.value for e in cat.pathways]
    assert [s.title for s in pathway.steps] == ["Try", "Practise", "Lead"]
    assert [s.required for s in pathway.steps] == [1, 2, 1]
    assert [s.optional for s in pathway.steps] == [False, False, True]
    assert pathway.status == PathwayStatus.PUBLISHED  # the default
    assert cat.opportunities[1].value.mode == OpportunityMode.ONLINE
    assert cat.opportunities[1].value.place is None
    # No spine section: the bundled spine, 4 layers x 3 domains.
    assert len(cat.spine.layers) * len(cat.spine.domains) == 12
    assert cat.spine_source.endswith("spine.yaml")


def test_step_ids_are_pathway_dot_step_n() -> None:
    assert step_id("into-tech", 1) == "into-tech.step-1"
    assert step_id("into-tech", 12) == "into-tech.step-12"


def test_folder_of_yaml_files_list_or_mapping(tmp_path: Path) -> None:
    data = minimal_catalogue()
    write_yaml(tmp_path / "badges.yaml", data.pop("badges"))          # a list named after its section
    write_yaml(tmp_path / "themes.yml", {"themes": data.pop("themes")})  # a mapping of sections
    write_yaml(tmp_path / "rest.yaml", data)
    (tmp_path / "README.md").write_text("not a catalogue file")
    cat = read_catalogue(tmp_path)
    assert len(cat.badges) == 5 and len(cat.themes) == 2 and len(cat.pathways) == 1


def test_yaml_spine_section_replaces_the_bundled_spine(tmp_path: Path) -> None:
    data = minimal_catalogue()
    spine = yaml.safe_load(SPINE.read_text())
    spine["layers"].append({"id": "mastery", "name": "Mastery"})
    data["spine"] = spine
    cat = read_single(tmp_path, data)
    assert [lay.id for lay in cat.spine.layers][-1] == "mastery"
    assert cat.spine_source == str(tmp_path / "city.yaml")


def test_yaml_records_are_named_by_section_index_and_line(tmp_path: Path) -> None:
    text = (
        "organisations:\n"                                     # 1
        "  - {id: library, name: Library, kind: library}\n"    # 2
        "badges:\n"                                            # 3
        "  - id: ok\n"                                         # 4
        "    name: Ok\n"                                       # 5
        "    issuer: library\n"                                # 6
        "    cells: [skills.engagement]\n"                     # 7
        "  - id: bad\n"                                        # 8
        "    name: Bad\n"                                      # 9
        "    issuer: library\n"                                # 10
        "    cells: [skills.engagement]\n"                     # 11
        "    expires_after_days: -3\n"                         # 12
    )
    (tmp_path / "city.yaml").write_text(text)
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path / "city.yaml")
    assert_names(info.value, file="city.yaml", record="badges[1] (line 8)", field="expires_after_days")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text("themes:\n  - id: a\n    name: [unclosed\n")
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path / "city.yaml")
    assert info.value.record is not None and str(info.value.record).startswith("line ")
    assert "not valid YAML" in str(info.value)


# --------------------------------------------------------------------------
# Validation rules (each one, with where it is reported)
# --------------------------------------------------------------------------


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["badges"][1]["colour"] = "red"
    err = refused(tmp_path, data)
    assert err.field == "colour"
    assert str(err.record).startswith("badges[1] (line ")


@pytest.mark.parametrize("bad_id", ["Digital Skills", "digital.skills", "-digital", "", "ca\u00e9"])
def test_ids_must_be_slugs(tmp_path: Path, bad_id: str) -> None:
    data = minimal_catalogue()
    data["places"][0]["id"] = bad_id
    err = refused(tmp_path, data)
    assert err.field == "id" and str(err.record).startswith("places[0]")


@pytest.mark.parametrize(("section", "index", "field"), [
    ("badges", 2, "name"), ("opportunities", 1, "name"), ("organisations", 1, "name"), ("themes", 0, "name"),
    ("places", 0, "name"), ("pathways", 0, "title")])
def test_names_and_titles_are_one_line(tmp_path: Path, section: str, index: int, field: str) -> None:
    data = minimal_catalogue()
    data[section][index][field] = "Line one\nLine two"
    err = refused(tmp_path, data)
    assert err.field == field and str(err.record).startswith(f"{section}[{index}]")
    assert "one line" in str(err) and "U+000A" in str(err)


def test_a_step_title_is_one_line(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"][1]["title"] = "Practise\x1b[2J"
    err = refused(tmp_path, data)
    assert err.field is not None and err.field.endswith("title") and "U+001B" in str(err)


@pytest.mark.parametrize(("section", "index", "field", "char", "named"), [
    ("badges", 2, "name", "\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("organisations", 1, "name", "\u202b", "U+202B RIGHT-TO-LEFT EMBEDDING"),
    ("pathways", 0, "title", "\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("themes", 0, "name", "\u200b", "U+200B ZERO WIDTH SPACE")])
def test_a_name_that_can_disguise_text_is_refused(tmp_path: Path, section: str, index: int, field: str,
                                                 char: str, named: str) -> None:
    """Bidi embeddings, overrides and isolates ("Safe badge \u202egnp.exe" shows as "Safe badge
    exe.png") and zero width spaces are refused in a name, naming the character."""
    data = minimal_catalogue()
    data[section][index][field] = f"Safe badge {char}gnp.exe"
    err = refused(tmp_path, data)
    assert err.field == field and str(err.record).startswith(f"{section}[{index}]")
    assert f"contains {named}, which can disguise text" in str(err) and "city.yaml" in str(err)


def test_a_csv_name_that_can_disguise_text_is_refused(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "pathway_steps.csv", ["pathway", "title", "badges", "required"], [
        ["into-tech", "Try", "taster", ""], ["into-tech", "Practise \u2067here\u2069", "club;app", "2"]])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="pathway_steps.csv", record=3, field="title")
    assert "contains U+2067 RIGHT-TO-LEFT ISOLATE" in str(info.value)


def test_right_to_left_text_joiners_and_marks_are_names(tmp_path: Path) -> None:
    """What the rule leaves alone: Arabic and Hebrew, ZWJ emoji sequences (🧑‍💻), ZWNJ in
    Persian, and the bidi marks (LRM, RLM, ALM) that mixed-direction names need."""
    names = ["مدرسة البرمجة", "שלום עולם", "Coders \U0001f9d1\u200d\U0001f4bb", "می\u200cخواهم",
             "C++ \u200eבסיס\u200f"]
    data = minimal_catalogue()
    for badge, name in zip(data["badges"], names, strict=True):
        badge["name"] = name
    data["themes"][0]["name"] = "\u061cبرمجة 101"
    cat = read_single(tmp_path, data)
    assert [e.value.name for e in cat.badges] == names
    assert cat.themes[0].value.name == "\u061cبرمجة 101"


@pytest.mark.parametrize("section,index", [("badges", 3), ("themes", 1), ("organisations", 1),
                                           ("opportunities", 1)])
def test_duplicate_ids_are_refused_at_the_second_record(tmp_path: Path, section: str, index: int) -> None:
    data = minimal_catalogue()
    data[section][index]["id"] = data[section][0]["id"]
    err = refused(tmp_path, data)
    assert err.field == "id" and str(err.record).startswith(f"{section}[{index}] (line ")
    assert "duplicate" in err.detail and f"{section}[0]" in err.detail


def test_duplicate_pathway_ids_are_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"].append(dict(data["pathways"][0]))
    err = refused(tmp_path, data)
    assert err.field == "id" and str(err.record).startswith("pathways[1]")


def test_destination_already_in_the_spine_is_a_duplicate(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["destinations"] = [{"id": "apprenticeship", "name": "Apprenticeship"},
                            {"id": "employment", "name": "Jobs"}]
    err = refused(tmp_path, data)
    assert err.field == "id" and str(err.record).startswith("destinations[1]")
    assert "duplicate" in err.detail


def test_required_larger_than_the_badges_of_a_step(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"][1]["required"] = 3
    err = refused(tmp_path, data)
    assert err.field == "steps.1.required" and str(err.record).startswith("pathways[0]")
    assert "required is 3 but the step lists 2" in err.detail


def test_required_must_be_positive(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"][0]["required"] = 0
    assert refused(tmp_path, data).field == "steps.0.required"


def test_empty_step_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"][2]["badges"] = []
    err = refused(tmp_path, data)
    assert err.field == "steps.2.badges"
    assert "at least one badge" in err.detail


def test_pathway_without_steps_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"] = []
    assert refused(tmp_path, data).field == "steps"


def test_badge_repeated_across_steps_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"][2]["badges"] = ["mentor", "taster"]
    err = refused(tmp_path, data)
    assert err.field == "steps.2.badges.1" and str(err.record).startswith("pathways[0] (line ")
    assert "'taster' is already accepted by step 1" in err.detail


def test_badge_repeated_inside_one_step_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["steps"][1]["badges"] = ["club", "club"]
    data["pathways"][0]["steps"][1]["required"] = 1
    assert refused(tmp_path, data).field == "steps.1.badges"


def test_completion_badge_may_not_be_a_step_badge(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["completion_badge"] = "app"
    err = refused(tmp_path, data)
    assert err.field == "completion_badge" and "step 2" in err.detail


def test_interest_pathways_are_not_catalogue_pathways(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["kind"] = "interest"
    assert refused(tmp_path, data).field == "kind"


def test_pathway_status_is_checked(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["pathways"][0]["status"] = "live"
    assert refused(tmp_path, data).field == "status"


@pytest.mark.parametrize("mode", ["offline", "blended"])
def test_place_is_required_unless_online(tmp_path: Path, mode: str) -> None:
    data = minimal_catalogue()
    data["opportunities"][1]["mode"] = mode   # online-course has no place
    err = refused(tmp_path, data)
    assert err.field == "place" and str(err.record).startswith("opportunities[1]")


def test_mode_is_checked(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["opportunities"][0]["mode"] = "hybrid"
    assert refused(tmp_path, data).field == "mode"


def test_end_before_start_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["opportunities"][0]["start"] = "2026-03-02"
    data["opportunities"][0]["end"] = "2026-03-01"
    assert refused(tmp_path, data).field == "end"


def test_badge_needs_a_spine_cell(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["badges"][2]["cells"] = []
    err = refused(tmp_path, data)
    assert err.field == "cells" and "at least one spine cell" in err.detail


def test_badge_needs_an_issuer(tmp_path: Path) -> None:
    data = minimal_catalogue()
    del data["badges"][2]["issuer"]
    assert refused(tmp_path, data).field == "issuer"


def test_theme_kind_is_checked(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["themes"][1]["kind"] = "hobby"
    assert refused(tmp_path, data).field == "kind"


def test_lat_without_lon_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    del data["places"][0]["lon"]
    assert refused(tmp_path, data).field == "lon"


def test_organisation_email_and_url_are_checked(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["organisations"][1]["email"] = "not an email"
    assert refused(tmp_path, data).field == "email"
    data = minimal_catalogue()
    data["organisations"][1]["url"] = "college.example"
    assert refused(tmp_path, data).field == "url"


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["courses"] = []
    err = refused(tmp_path, data)
    assert err.field == "courses" and "unknown section" in err.detail


def test_a_record_must_be_a_mapping(tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["badges"].insert(1, "just-a-name")
    err = refused(tmp_path, data)
    assert str(err.record).startswith("badges[1]") and "mapping" in err.detail


def test_a_section_given_twice_is_refused(tmp_path: Path) -> None:
    data = minimal_catalogue()
    write_yaml(tmp_path / "badges.yaml", data["badges"])
    write_yaml(tmp_path / "city.yaml", data)
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert "section 'badges' is also given" in str(info.value)


def test_missing_path_and_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_catalogue(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no catalogue files"):
        read_catalogue(tmp_path / "empty")


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def write_small_csv(folder: Path) -> Path:
    """A CSV catalogue: the minimal one, flattened (lists as ';' cells, steps as rows)."""
    write_csv(folder / "organisations.csv", ["id", "name", "kind", "url", "email"], [
        ["library", "Library", "library", "", ""],
        ["college", "College", "college", "https://college.example", "hello@college.example"],
    ])
    write_csv(folder / "themes.csv", ["id", "name", "kind", "destinations"], [
        ["digital", "Digital", "sector", "employment; enterprise"],
    ])
    write_csv(folder / "badges.csv", ["id", "name", "issuer", "cells", "themes", "expires_after_days"], [
        ["taster", "Taster", "library", "skills.engagement", "digital", ""],
        ["club", "Club", "library", "skills.participation;attitudes_values.participation", "digital", "365"],
        ["app", "App", "college", "skills.demonstration", "", ""],
    ])
    write_csv(folder / "pathways.csv", ["id", "title", "organisation", "destination", "status"], [
        ["into-tech", "Into tech", "college", "employment", "draft"],
    ])
    write_csv(folder / "pathway_steps.csv", ["pathway", "title", "badges", "required", "optional"], [
        ["into-tech", "Try", "taster", "", ""],
        ["into-tech", "Practise", "club;app", "2", "no"],
    ])
    return folder


def test_csv_folder_is_read(tmp_path: Path) -> None:
    cat = read_catalogue(write_small_csv(tmp_path))
    assert cat.themes[0].value.destinations == ["employment", "enterprise"]
    assert cat.badges[1].value.cells == ["skills.participation", "attitudes_values.participation"]
    assert cat.badges[1].value.expires_after_days == 365
    assert cat.badges[2].value.themes == []
    (p,) = [e.value for e in cat.pathways]
    assert p.status == PathwayStatus.DRAFT
    assert [(s.title, s.badges, s.required) for s in p.steps] == [
        ("Try", ["taster"], 1), ("Practise", ["club", "app"], 2)]
    assert cat.organisations[0].value.url is None


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "badges.csv", ["id", "name", "issuer", "cells"], [
        ["taster", "Taster", "library", "skills.engagement"],
        ["club", "Club", "library", "skills.participation"],
        ["app", "App", "college", ""],
    ])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="badges.csv", record=4, field="cells")


def test_csv_step_rules_are_reported_on_the_step_row(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "pathway_steps.csv", ["pathway", "title", "badges", "required"], [
        ["into-tech", "Try", "taster", ""],
        ["into-tech", "Practise", "club;taster", "1"],
    ])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="pathway_steps.csv", record=3, field="badges.1")

    write_csv(tmp_path / "pathway_steps.csv", ["pathway", "title", "badges", "required"], [
        ["into-tech", "Try", "taster", "2"],
    ])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="pathway_steps.csv", record=2, field="required")


def test_csv_step_of_an_unknown_pathway(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "pathway_steps.csv", ["pathway", "title", "badges"], [
        ["into-tech", "Try", "taster"],
        ["into-tec", "Practise", "club"],
    ])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="pathway_steps.csv", record=3, field="pathway")


def test_csv_pathway_without_step_rows(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    (tmp_path / "pathway_steps.csv").unlink()
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="pathways.csv", record=2, field="steps")


def test_csv_row_with_more_cells_than_header(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    (tmp_path / "themes.csv").write_text("id,name,kind\ndigital,Digital,sector\ngreen,Green,civic,extra\n")
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert info.value.record == 3 and "more cells" in str(info.value)


def test_csv_unknown_column_and_unknown_file(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "themes.csv", ["id", "name", "kind", "colour"],
              [["digital", "Digital", "sector", "red"]])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="themes.csv", record=2, field="colour")
    write_csv(tmp_path / "themes.csv", ["id", "name", "kind"], [["digital", "Digital", "sector"]])
    write_csv(tmp_path / "courses.csv", ["id"], [["x"]])
    with pytest.raises(InvalidInput, match="unknown section file"):
        read_catalogue(tmp_path)


# --------------------------------------------------------------------------
# The demo city (read with plain yaml, not with the reader)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict[str, Any]]]:
    return load_yaml_folder(DEMO_CITY)


def test_demo_city_is_bundled_where_the_reader_finds_it() -> None:
    assert demo_city_path().resolve() == DEMO_CITY.resolve()
    assert (DEMO_CITY / "README.md").read_text().lower().count("fictional") >= 1


def test_demo_city_reads_whole(demo: dict[str, list[dict[str, Any]]]) -> None:
    cat = read_catalogue(DEMO_CITY)
    for section in ("themes", "places", "organisations", "badges", "opportunities", "pathways"):
        assert [e.value.id for e in getattr(cat, section)] == [r["id"] for r in demo[section]], section


def test_demo_city_has_the_organisations_and_offer(demo: dict[str, list[dict[str, Any]]]) -> None:
    orgs = demo["organisations"]
    assert len(orgs) >= 8
    assert {"youth_club", "college", "employer", "council", "library", "charity"} <= {o["kind"] for o in orgs}
    opps = demo["opportunities"]
    assert len(opps) >= 30
    assert {o["mode"] for o in opps} == {"online", "offline", "blended"}
    assert {"course", "event", "volunteering", "job_taster"} <= {o["kind"] for o in opps}
    assert len({o["place"] for o in opps if o.get("place")}) >= 5
    badges = demo["badges"]
    assert len(badges) >= 40
    assert all(len(b["name"]) > 3 and len(b["description"]) > 30 for b in badges)
    awarded = {b for o in opps for b in o.get("badges", [])}
    completion = {p.get("completion_badge") for p in demo["pathways"]}
    assert {b["id"] for b in badges} == awarded | (completion - {None})


def test_demo_city_uses_every_cell_destination_and_theme_kind(demo: dict[str, list[dict[str, Any]]]) -> None:
    spine = yaml.safe_load(SPINE.read_text())
    cells = {f"{d['id']}.{lay['id']}" for d in spine["domains"] for lay in spine["layers"]}
    assert {c for b in demo["badges"] for c in b["cells"]} == cells
    destinations = {d["id"] for d in spine["destinations"]}
    assert {d for t in demo["themes"] for d in t["destinations"]} == destinations
    assert {p["destination"] for p in demo["pathways"]} == destinations
    kinds = [t["kind"] for t in demo["themes"]]
    assert all(kinds.count(k) >= 2 for k in ("civic", "wellbeing", "sector"))


def test_demo_city_digital_theme_spans_the_layers(demo: dict[str, list[dict[str, Any]]]) -> None:
    digital = next(t for t in demo["themes"] if t["id"] == "digital")
    assert digital["kind"] == "sector" and set(digital["destinations"]) == {"employment", "enterprise"}
    layers = {c.split(".")[1] for b in demo["badges"] if "digital" in b.get("themes", []) for c in b["cells"]}
    assert layers == {"engagement", "participation", "demonstration", "leadership"}


def test_demo_city_pathways_climb_the_spine(demo: dict[str, list[dict[str, Any]]]) -> None:
    spine = yaml.safe_load(SPINE.read_text())
    rank = {lay["id"]: i for i, lay in enumerate(spine["layers"])}
    cells = {b["id"]: b["cells"] for b in demo["badges"]}
    assert len(demo["pathways"]) == 4
    for p in demo["pathways"]:
        assert p["kind"] == "recommended" and p["status"] == "published"
        assert 3 <= len(p["steps"]) <= 5, p["id"]
        lowest = [min(rank[c.split(".")[1]] for b in s["badges"] for c in cells[b]) for s in p["steps"]]
        assert lowest == sorted(lowest) and lowest[-1] > lowest[0], (p["id"], lowest)


def test_csv_steps_column_in_pathways_is_refused(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "pathways.csv", ["id", "title", "organisation", "destination", "steps"], [
        ["into-tech", "Into tech", "college", "employment", ""],
    ])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert_names(info.value, file="pathways.csv", record=1, field="steps")


def test_csv_steps_do_not_mix_with_yaml_pathways(tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    (tmp_path / "pathways.csv").unlink()
    write_yaml(tmp_path / "pathways.yaml", minimal_catalogue()["pathways"])
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    assert Path(str(info.value.file)).name == "pathway_steps.csv" and info.value.record == 2
    assert "inside each pathway" in str(info.value)


@pytest.mark.parametrize(("name", "content", "line", "column"), [
    ("badges.csv", "id,name,layer\nbarista,Caf\u00e9 Barista,skills\n", 2, 12),
    ("themes.yaml", "themes:\n  - id: cafe\n    name: Caf\u00e9s\n", 3, 14),
])
def test_a_file_that_is_not_utf8_is_refused_naming_its_line_and_column(tmp_path: Path, name: str, content: str,
                                                                      line: int, column: int) -> None:
    """A Latin-1 file said only "can't decode byte 0xe9 in position 34"."""
    (tmp_path / name).write_bytes(content.encode("latin-1"))
    with pytest.raises(InvalidInput) as info:
        read_catalogue(tmp_path)
    err = info.value
    assert err.file == str(tmp_path / name) and err.record == line
    assert f"line {line}, column {column}: byte 0xe9" in str(err) and "re-save the file as UTF-8" in str(err)
