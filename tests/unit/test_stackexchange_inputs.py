"""Stack Exchange dumps as people hand them over: odd dates, tag names with ``#`` and ``+``,
padded text, compressed files, archives and folders named like the dump's archives.

Every case starts from a real bundled dump (``data/stackexchange``) with one thing changed.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.ingest.stackexchange import (badge_id, badges_file, plan_stackexchange, read_badges_xml, site_key,
                                          slug)
from colearn.perf.offline_eval import data_site, read_suite, require_cases

SUITE = Path(__file__).resolve().parents[2] / "data" / "stackexchange"
AI = SUITE / "ai" / "Badges.xml"
#: Row ``Id="21"`` of the AI dump is on line 23 (BOM and declaration, ``<badges>``, rows 1 to 20).
ROW, LINE = 21, 23


def ai_text() -> str:
    return AI.read_text(encoding="utf-8")


def _edit_row(text: str, rid: int, edit: Callable[[str], str]) -> str:
    """``text`` with ``edit`` applied to the line of the row ``Id="rid"``."""
    head, sep, rest = text.partition(f'<row Id="{rid}" ')
    line, nl, tail = (sep + rest).partition("\n")
    assert sep, f"no row Id {rid}"
    return head + edit(line) + nl + tail


def with_row(text: str, rid: int, **attrs: str) -> str:
    """``text`` with attributes of the row ``Id="rid"`` replaced."""
    def edit(line: str) -> str:
        for name, value in attrs.items():
            line = re.sub(rf'\b{name}="[^"]*"', f'{name}="{value}"', line)
        return line
    return _edit_row(text, rid, edit)


def without_attr(text: str, rid: int, name: str) -> str:
    """``text`` without the attribute ``name`` of the row ``Id="rid"``."""
    return _edit_row(text, rid, lambda line: re.sub(rf'\b{name}="[^"]*" ?', "", line))


def add_rows(text: str, *rows: str) -> str:
    return text.replace("</badges>", "".join(rows) + "</badges>")


def dump(folder: Path, text: str, name: str = "Badges.xml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def old_slug(name: str) -> str:
    """The slug every id was made with before ``#``, ``+`` and Unicode letters were kept apart."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --------------------------------------------------------------------------
# Date
# --------------------------------------------------------------------------

NEXT_YEAR = datetime.now(UTC).year + 1


@pytest.mark.parametrize("date", [
    "9999-12-31T23:00:00-05:00",  # an offset at the calendar's end once overflowed in astimezone
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59.999",
    "0001-01-01T00:00:00",
    "2007-12-31T23:59:59",  # before Stack Exchange
    f"{NEXT_YEAR + 1}-01-01T00:00:00",
    "2008-01-01T00:00:00+05:00",  # 2007 in UTC
    f"{NEXT_YEAR}-12-31T23:00:00-05:00",  # the year after next in UTC
    "20160802",  # read as 1970 by lax parsing
    "2016",  # read as 1970-01-01 00:33:36
    "1470152309",  # epoch seconds
    "2016-02-30T00:00:00",
    "2016-12-01T25:00:00",
    "2016-08-02T15:38:29.913+2",
    "yesterday",
])
def test_a_date_that_is_not_a_plausible_iso_date_time_is_named(tmp_path: Path, date: str) -> None:
    p = dump(tmp_path, with_row(ai_text(), ROW, Date=date))
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert (err.value.file, err.value.record, err.value.field) == (str(p), f"row Id {ROW} (line {LINE})", "Date")
    assert date in str(err.value)


@pytest.mark.parametrize(("date", "expected"), [
    ("2016-08-02T15:56:06.070Z", datetime(2016, 8, 2, 15, 56, 6, 70000, tzinfo=UTC)),
    ("2016-08-02T17:56:06.070+02:00", datetime(2016, 8, 2, 15, 56, 6, 70000, tzinfo=UTC)),
    ("2016-08-02T15:56:06.0700000", datetime(2016, 8, 2, 15, 56, 6, 70000, tzinfo=UTC)),
    ("2016-08-02T15:56:06", datetime(2016, 8, 2, 15, 56, 6, tzinfo=UTC)),
    ("2016-08-02", datetime(2016, 8, 2, tzinfo=UTC)),
    (" 2016-08-02T15:56:06.070 ", datetime(2016, 8, 2, 15, 56, 6, 70000, tzinfo=UTC)),
])
def test_iso_date_times_with_a_zone_or_without_are_read_as_utc(tmp_path: Path, date: str,
                                                                expected: datetime) -> None:
    awards = read_badges_xml(dump(tmp_path, with_row(ai_text(), ROW, Date=date)), "ai")
    assert next(a for a in awards if a.row_id == ROW).awarded_on == expected
    assert len(awards) == len(read_badges_xml(AI, "ai"))


# --------------------------------------------------------------------------
# Badge ids
# --------------------------------------------------------------------------


def test_tag_names_with_sharp_and_plus_and_non_latin_names_get_distinct_ids(tmp_path: Path) -> None:
    new = ["c#", "c++", "c", "f#", "日本語", "Автобиограф", "???", "Café ☕"]
    rows = [f'  <row Id="{90001 + i}" UserId="4" Name="{n}" Date="2020-01-01T00:00:00" Class="3" '
            f'TagBased="{"True" if n[0].islower() and n.isascii() and n != "???" else "False"}" />\n'
            for i, n in enumerate(new)]
    p = dump(tmp_path / "a", add_rows(ai_text(), *rows))
    plan = plan_stackexchange(p, "ai")
    ids = {r["props"]["name"]: r["id"] for r in plan.badge_rows if r["props"]["name"] in new}
    assert ids["c#"] == "se-ai-tag-c-sharp-bronze" and ids["c++"] == "se-ai-tag-c-plus-plus-bronze"
    assert ids["c"] == "se-ai-tag-c-bronze" and ids["Автобиограф"] == "se-ai-автобиограф"
    assert len(set(ids.values())) == len(new)
    assert all(not i.endswith("-") and "--" not in i for i in ids.values())
    assert re.fullmatch(r"se-ai-x_[0-9a-f]{8}", ids["???"])  # nothing readable: a hash of the name
    assert re.fullmatch(r"se-ai-caf[eé]_[0-9a-f]{8}", ids["Café ☕"])  # a symbol dropped: hashed too

    # The same names in the opposite row order give the same ids.
    q = dump(tmp_path / "b", add_rows(ai_text(), *reversed(rows)))
    assert {r["id"] for r in plan_stackexchange(q, "ai").badge_rows} == {r["id"] for r in plan.badge_rows}
    assert slug("???") == slug("???") != slug("!!!")


@pytest.mark.parametrize("site", sorted(p.parent.name for p in SUITE.glob("*/Badges.xml")))
def test_the_bundled_sites_keep_their_badge_ids(site: str) -> None:
    plan = plan_stackexchange(SUITE / site / "Badges.xml", site)
    for r in plan.badge_rows:
        name, props = r["props"]["name"], r["props"]
        old = (f"se-{site}-tag-{old_slug(name)}-{props['tier']}" if props["tag_based"]
               else f"se-{site}-{old_slug(name)}")
        assert r["id"] == old == badge_id(site, name, tag_based=props["tag_based"],
                                         badge_class=props["badge_class"] or None)


# --------------------------------------------------------------------------
# Text, ints, TagBased
# --------------------------------------------------------------------------


def test_padded_names_are_stripped_and_still_mapped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = ai_text().replace('Name="Informed"', 'Name="  Informed "').replace('TagBased="False"', 'TagBased=" False"')
    with caplog.at_level(logging.WARNING, logger="colearn.ingest.stackexchange"):
        plan = plan_stackexchange(dump(tmp_path, text), "ai")
    informed = next(r for r in plan.badge_rows if r["id"] == "se-ai-informed")
    assert informed["props"]["name"] == "Informed" and informed["props"]["mapping_rule"] == "named"
    assert plan.fallbacks == [] and "not in the badge mapping" not in caplog.text
    assert plan.awards() == plan_stackexchange(AI, "ai").awards()


@pytest.mark.parametrize(("attr", "value"), [("Name", "   "), ("Name", ""), ("Id", "21.0"), ("UserId", "33.0"),
                                             ("Class", "3.0"), ("UserId", "1e3"), ("TagBased", "0")])
def test_a_blank_name_or_a_number_not_in_digits_is_refused(tmp_path: Path, attr: str, value: str) -> None:
    p = dump(tmp_path, with_row(ai_text(), ROW, **{attr: value}))
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert err.value.field == attr and err.value.file == str(p)
    assert str(err.value.record).endswith(f"(line {LINE})") or err.value.record == LINE
    assert "already appears" not in str(err.value)  # Id="21.0" once read as 21, then "1.0" as a repeat of 1


def test_tag_based_is_read_in_any_case(tmp_path: Path) -> None:
    text = ai_text().replace('TagBased="False"', 'TagBased="false"')
    text = add_rows(text, '  <row Id="90001" UserId="4" Name="neural-networks" Date="2020-01-01T00:00:00" '
                          'Class="3" TagBased="TRUE" />\n')
    awards = read_badges_xml(dump(tmp_path, text), "ai")
    assert [a.tag_based for a in awards if a.row_id == 90001] == [True]
    assert sum(a.tag_based for a in awards) == sum(a.tag_based for a in read_badges_xml(AI, "ai")) + 1


@pytest.mark.parametrize("attr", ["UserId", "Name", "Date"])
def test_a_missing_attribute_names_the_row_id_and_line(tmp_path: Path, attr: str) -> None:
    p = dump(tmp_path, without_attr(ai_text(), ROW, attr))
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert (err.value.record, err.value.field) == (f"row Id {ROW} (line {LINE})", attr)
    assert f"record row Id {ROW} (line {LINE})" in str(err.value)


# --------------------------------------------------------------------------
# Compressed files, archives, folders
# --------------------------------------------------------------------------


def test_a_gzip_dump_is_read_as_it_is(tmp_path: Path) -> None:
    gz = tmp_path / "ai" / "Badges.xml.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(AI.read_bytes()))
    expected = read_badges_xml(AI, "ai")
    assert read_badges_xml(gz, "ai") == expected
    assert badges_file(gz.parent) == gz and read_badges_xml(gz.parent, "ai") == expected
    misnamed = tmp_path / "Badges.xml"  # gzip under the plain name: known by its leading bytes
    misnamed.write_bytes(gz.read_bytes())
    assert read_badges_xml(misnamed, "ai") == expected


def _zip(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.write(AI, "Badges.xml")


def _tar(p: Path, gz: bool = False) -> None:
    import tarfile

    with tarfile.open(p, "w:gz" if gz else "w") as t:
        t.add(AI, "Badges.xml")


_SEVEN_Z = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64)


@pytest.mark.parametrize(("name", "make", "kind", "how"), [
    ("ai.stackexchange.com.zip", _zip, "zip archive", "unzip ai.stackexchange.com.zip Badges.xml"),
    ("Badges.xml.bz2", lambda p: p.write_bytes(bz2.compress(AI.read_bytes())), "bzip2", "bunzip2 -k Badges.xml.bz2"),
    ("ai.stackexchange.com.7z", lambda p: p.write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64)), "7z archive",
     "7z x ai.stackexchange.com.7z Badges.xml"),
    ("Badges.xml", lambda p: p.write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64)), "7z archive",
     "mv Badges.xml Badges.xml.7z && 7z x Badges.xml.7z Badges.xml"),
    ("ai.tar", _tar, "tar archive", "tar -xf ai.tar Badges.xml"),
    ("ai.tar.gz", lambda p: _tar(p, gz=True), "gzip-compressed a tar archive", "tar -xf ai.tar.gz Badges.xml"),
    ("ai.7z.gz", lambda p: p.write_bytes(gzip.compress(_SEVEN_Z)), "gzip-compressed a 7z archive",
     "7z x ai.7z.gz Badges.xml"),
])
def test_an_archive_is_refused_saying_what_it_is_and_how_to_extract(tmp_path: Path, name: str, make: object,
                                                                   kind: str, how: str) -> None:
    p = tmp_path / name
    make(p)  # type: ignore[operator]
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p) and kind in str(err.value) and f"`{how}`" in str(err.value)
    assert "not well-formed" not in str(err.value)


def test_a_folder_without_a_dump_names_its_archives(tmp_path: Path) -> None:
    _zip(tmp_path / "ai.stackexchange.com.zip")
    with pytest.raises(InvalidInput, match=r"no Badges\.xml or Badges\.xml\.gz.*ai\.stackexchange\.com\.zip") as err:
        badges_file(tmp_path)
    assert err.value.file == str(tmp_path)
    _tar(tmp_path / "ai.tar.gz", gz=True)
    shutil.copy(AI, tmp_path / "Posts.xml")
    with pytest.raises(InvalidInput) as err:
        badges_file(tmp_path)
    assert "ai.tar.gz" in str(err.value) and "found Posts.xml: not named Badges.xml" in str(err.value)


# --------------------------------------------------------------------------
# Site keys from folder names; a suite folder; a site with nothing to evaluate
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "key"), [
    ("ai", "ai"), ("AI", "ai"), ("ai.stackexchange.com", "ai"), ("bicycles.meta.stackexchange.com", "bicycles.meta"),
    ("stackoverflow.com", "stackoverflow"), ("music.meta", "music.meta"), ("my dumps", None), ("_x", None),
])
def test_a_folder_name_gives_the_site_key(name: str, key: str | None) -> None:
    assert site_key(name) == key


def test_a_suite_reads_folders_named_like_the_archives_and_gzip_dumps(tmp_path: Path) -> None:
    shutil.copy(AI, dump(tmp_path / "ai.stackexchange.com", "").parent / "Badges.xml")
    meta = tmp_path / "Music.Meta.StackExchange.com"
    meta.mkdir()
    (meta / "Badges.xml.gz").write_bytes(gzip.compress((SUITE / "music.meta" / "Badges.xml").read_bytes()))
    read = read_suite(tmp_path)
    assert [s.name for s in read.sites] == ["ai", "music.meta"]
    assert read.paths["music.meta"] == meta / "Badges.xml.gz"
    assert read.sites[0].awards == plan_stackexchange(AI, "ai").awards()
    assert read.fallbacks == {"ai": [], "music.meta": []}


def test_a_suite_folder_name_that_is_no_key_is_named(tmp_path: Path) -> None:
    shutil.copy(AI, dump(tmp_path / "my ai dump", "").parent / "Badges.xml")
    with pytest.raises(InvalidInput, match="'my ai dump'") as err:
        read_suite(tmp_path)
    assert err.value.file == str(tmp_path / "my ai dump" / "Badges.xml")


def test_a_suite_without_dumps_names_the_archives_it_passed_over(tmp_path: Path) -> None:
    (tmp_path / "ai").mkdir()
    _zip(tmp_path / "ai" / "ai.stackexchange.com.zip")
    shutil.copy(AI, tmp_path / "Badges.xml")
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    assert "ai/ai.stackexchange.com.zip (an archive" in str(err.value)
    assert "Badges.xml (not inside a <site> folder" in str(err.value)


def test_the_data_folder_gives_the_site_key_unless_one_is_given(tmp_path: Path) -> None:
    p = dump(tmp_path / "ai.stackexchange.com", ai_text())
    assert data_site(p, None) == (p, "ai")
    assert data_site(p.parent, None) == (p, "ai")  # a folder stands for its Badges.xml
    assert data_site(p, "zz") == (p, "zz")
    assert data_site(None, None) == (SUITE / "martialarts" / "Badges.xml", "martialarts")
    assert data_site(None, "cardano") == (SUITE / "cardano" / "Badges.xml", "cardano")
    assert data_site(p, "AI") == (p, "ai") and data_site(p, "ai.stackexchange.com") == (p, "ai")
    assert data_site(None, "Cardano.StackExchange.com") == (SUITE / "cardano" / "Badges.xml", "cardano")
    assert data_site(dump(tmp_path / "cardano", ai_text()), None)[1] == "cardano"  # a bundled site's key
    assert data_site(dump(tmp_path / "stackoverflow.com", ai_text()), None)[1] == "stackoverflow"
    for odd_name in ("My Dumps", "Downloads", "ai-dumps", "2024"):  # a name that is no site's: never a label
        odd = dump(tmp_path / odd_name, ai_text())
        with pytest.raises(InvalidInput, match="--site") as err:
            data_site(odd, None)
        assert err.value.file == str(odd) and f"'{odd_name}'" in str(err.value)
    with pytest.raises(InvalidInput, match="not a Stack Exchange site key"):
        data_site(p, "my site")


def test_a_dump_is_read_from_a_pipe(tmp_path: Path) -> None:
    """``--data <(7z e -so ai.7z Badges.xml)``: a stream that cannot seek, plain or gzipped, whose
    first bytes come in pieces smaller than the head that tells a gzip or tar file."""
    import os
    import threading

    for payload in (AI.read_bytes(), gzip.compress(AI.read_bytes())):
        fifo = tmp_path / f"pipe-{len(payload)}"
        os.mkfifo(fifo)

        def feed(target: Path = fifo, data: bytes = payload) -> None:
            with target.open("wb", buffering=0) as fh:  # the head in pieces, as a slow writer gives it
                for piece in (data[:1], data[1:100], data[100:300], data[300:]):
                    fh.write(piece)
                    time.sleep(0.05)

        writer = threading.Thread(target=feed)
        writer.start()
        awards = read_badges_xml(fifo, "ai")
        writer.join()
        assert len(awards) == len(read_badges_xml(AI, "ai")) > 3000


@pytest.mark.parametrize("rows", [0, 1])
def test_a_site_without_cases_names_the_site_file_and_rows(tmp_path: Path, rows: int) -> None:
    head, _, _ = ai_text().partition("  <row ")
    body = ai_text().splitlines(keepends=True)[2:2 + rows]
    p = dump(tmp_path, head + "".join(body) + "</badges>" if rows else head.replace("<badges>", "<badges/>"))
    awards = plan_stackexchange(p, "ai").awards()
    with pytest.raises(InvalidInput) as err:
        require_cases(awards, "ai", p)
    assert err.value.file == str(p) and "site 'ai'" in str(err.value) and f"({rows} row{'s' * (rows != 1)}," in str(err.value)
    require_cases(plan_stackexchange(AI, "ai").awards(), "ai", AI, validation=True)


def test_a_suite_refuses_site_folders_it_would_pass_over_beside_the_sites_it_reads(tmp_path: Path) -> None:
    shutil.copy(AI, dump(tmp_path / "ai", "").parent / "Badges.xml")
    (tmp_path / "cardano").mkdir()
    _zip(tmp_path / "cardano" / "cardano.stackexchange.com.zip")
    (tmp_path / "cs").mkdir()
    (tmp_path / "cs" / "Badges.xml").symlink_to(tmp_path / "nowhere.xml")  # a dangling link
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    assert ("cardano/cardano.stackexchange.com.zip (an archive: extract Badges.xml from it into cardano); "
            "cs/Badges.xml (cannot be read)") in str(err.value)


@pytest.mark.parametrize("cut", ["half", "magic", "junk", "crc"])
def test_a_broken_gzip_dump_is_refused_naming_the_file(tmp_path: Path, cut: str) -> None:
    raw = gzip.compress(AI.read_bytes())
    data = {"half": raw[:len(raw) // 2], "magic": raw[:2], "junk": raw[:10] + b"garbage" * 50,
            "crc": raw[:-8] + bytes(8)}[cut]
    p = tmp_path / "Badges.xml.gz"
    p.write_bytes(data)
    with pytest.raises(InvalidInput, match="cannot read") as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p)


@pytest.mark.parametrize(("other", "shown"), [
    ("Informed-", "'Informed' and 'Informed-'"),
    ("informed", "'Informed' and 'informed'"),
])
def test_two_names_that_give_one_id_are_refused_naming_both_and_the_dump(tmp_path: Path, other: str,
                                                                         shown: str) -> None:
    row = f'  <row Id="999999" UserId="4" Name="{other}" Date="2019-01-01T00:00:00" Class="3" TagBased="False" />\n'
    p = dump(tmp_path / "ai", add_rows(ai_text(), row))
    with pytest.raises(InvalidInput) as err:
        plan_stackexchange(p.parent, "ai")  # the folder given: the error names the file read
    assert shown in str(err.value) and "se-ai-informed" in str(err.value)
    assert err.value.file == str(p) and err.value.field == "Name"


def test_look_alike_names_that_give_one_id_are_shown_by_code_point(tmp_path: Path) -> None:
    rows = "".join(f'  <row Id="{999990 + i}" UserId="4" Name="{name}" Date="2019-01-01T00:00:00" Class="3" '
                   'TagBased="False" />\n' for i, name in enumerate(["Caf\u00e9", "Cafe\u0301"]))
    with pytest.raises(InvalidInput) as err:
        plan_stackexchange(dump(tmp_path, add_rows(ai_text(), rows)), "ai")
    assert "'Caf\\xe9' and 'Cafe\\u0301'" in str(err.value)


def test_the_fallback_table_keeps_one_row_per_badge_whatever_its_name(tmp_path: Path) -> None:
    from colearn.perf.eval_output import fallbacks_markdown

    names = ["a | b", "two\nlines", "<b>bold</b> & co"]
    text = fallbacks_markdown({"ai": [{"name": n, "tier": "gold", "cell": "x", "badge_id": f"id{i}"}
                                      for i, n in enumerate(names)]}, always=False)
    rows = [line for line in text.splitlines() if line.startswith("| ai |")]
    assert rows == ["| ai | a &#124; b | gold | x | `id0` |", "| ai | two lines | gold | x | `id1` |",
                    "| ai | &lt;b&gt;bold&lt;/b&gt; &amp; co | gold | x | `id2` |"]


def test_a_data_path_that_does_not_exist_is_named_before_any_site_key(tmp_path: Path) -> None:
    missing = tmp_path / "Downloads" / "Badges.xml"
    with pytest.raises(InvalidInput, match="no such file") as err:
        data_site(missing, None)
    assert err.value.file == str(missing)


def test_a_name_with_rich_markup_is_printed_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    from colearn.cli.recommender import _print_fallbacks

    _print_fallbacks({"ai": [{"name": "Fixed [/status-completed]", "tier": "gold", "cell": "x", "badge_id": "b"}]})
    assert "Fixed [/status-completed]" in capsys.readouterr().err


def test_a_folder_whose_badges_xml_cannot_be_read_says_so(tmp_path: Path) -> None:
    (tmp_path / "Badges.xml").symlink_to(tmp_path / "nowhere.xml")  # a dangling link: not a misnamed file
    with pytest.raises(InvalidInput, match=r"found Badges\.xml: cannot be read"):
        badges_file(tmp_path)
