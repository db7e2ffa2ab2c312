"""Stack Exchange dumps as people hand them over: odd dates, tag names with ``#`` and ``+``,
padded text, compressed files, archives and folders named like the dump's archives.

Every case starts from a real bundled dump (``data/stackexchange``) with one thing changed.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import lzma
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
from colearn.perf.eval_inputs import data_site, read_suite
from colearn.perf.offline_eval import require_cases
from tests.stackexchange_builders import archive

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
    assert str(err.value.record).endswith(f"(line {LINE})") or err.value.record == f"line {LINE}"
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


def _zstd(data: bytes) -> bytes:
    """``data`` in one zstd frame of raw blocks (no zstd module in the standard library here)."""
    out = b"\x28\xb5\x2f\xfd" + bytes([0xA0]) + len(data).to_bytes(4, "little")  # single segment, 4-byte size
    chunks = [data[i:i + 100_000] for i in range(0, len(data), 100_000)] or [b""]
    for i, chunk in enumerate(chunks):
        header = (len(chunk) << 3) | (1 if i == len(chunks) - 1 else 0)  # a raw block; the last one flagged
        out += header.to_bytes(3, "little") + chunk
    return out


_XML = AI.read_bytes
#: What a site's dump archive holds beside Badges.xml.
_OTHERS = {"Posts.xml": b"<posts/>", "Users.xml": b"<users/>"}


def _site_archive(p: Path, kind: str, compress: str = "", member: str = "ai.stackexchange.com/Badges.xml") -> Path:
    """A real ``kind`` archive at ``p`` holding the AI dump as ``member`` beside other files."""
    return archive(p, {**_OTHERS, member: _XML()}, kind, compress)


@pytest.mark.parametrize(("name", "make"), [
    ("ai.stackexchange.com.7z", lambda p: _site_archive(p, "7z")),
    ("ai.stackexchange.com.zip", lambda p: _site_archive(p, "zip", member="BADGES.XML")),
    ("ai.tar", lambda p: _site_archive(p, "tar", member="Badges.xml")),
    ("ai.tar.gz", lambda p: _site_archive(p, "tar", "gz")),
    ("ai.tar.bz2", lambda p: _site_archive(p, "tar", "bz2")),
    ("ai.tar.xz", lambda p: _site_archive(p, "tar", "xz", member="dump/ai/badges.xml")),
    ("ai.7z.gz", lambda p: _site_archive(p, "7z", "gz")),
    ("ai.zip.xz", lambda p: _site_archive(p, "zip", "xz")),
    ("Badges.xml.bz2", lambda p: p.write_bytes(bz2.compress(_XML()))),
    ("ai.xml.xz", lambda p: p.write_bytes(lzma.compress(_XML()))),
    ("Badges.xml", lambda p: _site_archive(p, "7z")),  # known by its leading bytes, not its name
    ("Badges.xml.gz", lambda p: _site_archive(p, "tar", "xz")),
])
def test_a_dump_is_read_out_of_its_archive_or_compression(tmp_path: Path, name: str,
                                                         make: Callable[[Path], object]) -> None:
    """Each kind a dump is published or passed around in: the same awards as the plain XML."""
    p = tmp_path / name
    make(p)
    assert read_badges_xml(p, "ai") == read_badges_xml(AI, "ai")
    assert list(tmp_path.iterdir()) == [p]  # nothing extracted beside it


@pytest.mark.parametrize(("name", "make", "kind", "how"), [
    ("ai.xml.zst", lambda p: p.write_bytes(_zstd(_XML())), "a zstd-compressed file",
     "zstd -dc {d}/ai.xml.zst > {d}/ai.xml"),
    ("Badges.xml", lambda p: p.write_bytes(_zstd(_XML())), "a zstd-compressed file",
     "mv {d}/Badges.xml {d}/Badges.xml.zst && zstd -dc {d}/Badges.xml.zst > {d}/Badges.xml"),
    ("ai.tar.zst", lambda p: p.write_bytes(_zstd(_site_archive(p, "tar").read_bytes())), "a zstd-compressed tar archive",
     "tar -xf {d}/ai.tar.zst -C {d} --wildcards '*Badges.xml'"),
    ("ai.xml.zst.gz", lambda p: p.write_bytes(gzip.compress(_zstd(_XML()))), "a gzip-compressed zstd-compressed file",
     "gzip -dc {d}/ai.xml.zst.gz > {d}/ai.xml.zst && zstd -dc {d}/ai.xml.zst > {d}/ai.xml"),
])
def test_zstd_is_refused_saying_what_it_is_and_how_to_decompress(tmp_path: Path, name: str,
                                                                make: Callable[[Path], object], kind: str,
                                                                how: str) -> None:
    """The standard library reads no zstd before Python 3.14: named in words, with a command that gets
    Badges.xml out of that kind (a compressed tar: one tar command), naming the file as given."""
    p = tmp_path / name
    make(p)
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p) and str(err.value).startswith(f"{p}: {kind}, not XML: ")
    assert f"`{how.format(d=tmp_path)}`" in str(err.value)


@pytest.mark.parametrize(("kind", "compress"), [("zip", ""), ("7z", ""), ("tar", "xz")])
def test_an_archive_without_one_badges_xml_is_refused_saying_what_it_holds(tmp_path: Path, kind: str,
                                                                          compress: str) -> None:
    members = {f"ai.stackexchange.com/{n}.xml": b"<x/>" for n in ("Posts", "Users", "Tags", "Votes", "Comments",
                                                                  "PostLinks", "PostHistory")}
    p = archive(tmp_path / "ai.bin", members, kind, compress)
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p) and "holds no Badges.xml (it holds: ai.stackexchange.com/Posts.xml, " in str(err.value)
    assert str(err.value).endswith("ai.stackexchange.com/Comments.xml and 2 more)")
    p = archive(tmp_path / "two.bin", {**_OTHERS, "a/Badges.xml": _XML(), "b/badges.XML": _XML()}, kind, compress)
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p) and "holds 2 files named Badges.xml (a/Badges.xml, b/badges.XML)" in str(err.value)


def test_an_empty_zip_is_said_to_hold_nothing(tmp_path: Path) -> None:
    p = tmp_path / "ai.zip"
    zipfile.ZipFile(p, "w").close()
    with pytest.raises(InvalidInput, match="an empty zip archive that holds no Badges.xml .it holds no file.$"):
        read_badges_xml(p, "ai")


@pytest.mark.parametrize(("kind", "compress", "cut"), [
    ("7z", "", "tail"), ("7z", "", "half"), ("7z", "", "middle"), ("zip", "", "tail"), ("zip", "", "half"),
    ("tar", "xz", "half"), ("7z", "gz", "half"), ("zip", "bz2", "half"),
])
def test_a_damaged_archive_is_refused_naming_the_file(tmp_path: Path, kind: str, compress: str, cut: str) -> None:
    """Cut short (``tail``: its last bytes, ``half``), or one byte changed in the middle of a
    7z's LZMA stream (extracted whole before it is read): one error naming the file, never a traceback."""
    p = _site_archive(tmp_path / "ai.bin", kind, compress, member="Badges.xml")
    data = bytearray(p.read_bytes())
    if cut == "middle":
        data[len(data) // 3] ^= 0xFF
    p.write_bytes(bytes(data[:-20] if cut == "tail" else data[:len(data) // 2] if cut == "half" else data))
    with pytest.raises(InvalidInput, match="cannot read: .*damaged or cut short") as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p)


def _feed(tmp_path: Path, data: bytes, name: str = "63") -> tuple[Path, Callable[[], None]]:
    """A FIFO at ``tmp_path/name`` (as ``--data <(...)`` gives ``/dev/fd/63``) that a thread writes
    ``data`` into, in pieces; and a function that waits for the thread."""
    import os
    import threading

    fifo = tmp_path / name
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb", buffering=0) as fh, contextlib.suppress(BrokenPipeError):
            for i in range(0, len(data), 50_000):
                fh.write(data[i:i + 50_000])

    writer = threading.Thread(target=feed)
    writer.start()
    return fifo, writer.join


@pytest.mark.parametrize(("kind", "compress"), [("7z", ""), ("zip", ""), ("tar", "xz"), ("7z", "gz")])
def test_an_archive_is_read_from_a_pipe(tmp_path: Path, kind: str, compress: str) -> None:
    """``--data <(cat ai.7z)``: a zip or 7z archive copied to a temporary file first (they are read
    by seeking), a tar as a stream."""
    fifo, wait = _feed(tmp_path, _site_archive(tmp_path / "src" / "ai.bin", kind, compress).read_bytes())
    try:
        awards = read_badges_xml(fifo, "ai")
    finally:
        wait()
    assert awards == read_badges_xml(AI, "ai")


def test_zstd_read_from_a_pipe_is_refused_with_a_command_that_names_no_fd(tmp_path: Path) -> None:
    """``--data <(cat ai.xml.zst)``: the pipe's name (``/dev/fd/63``, ``63``) is no file to decompress."""
    fifo, wait = _feed(tmp_path, _zstd(_XML()))
    try:
        with pytest.raises(InvalidInput) as err:
            read_badges_xml(fifo, "ai")
    finally:
        wait()
    text = str(err.value)
    assert "`zstd -dc ARCHIVE > Badges.xml` (or, if it is a compressed tar, `tar -xf ARCHIVE --wildcards" in text
    assert f", where ARCHIVE is the file that was fed into {fifo} (a pipe" in text
    assert "save what fed it to a file first" in text and " 63 " not in text and "63`" not in text


def test_zstd_on_redirected_standard_input_is_refused_naming_no_dev_path(tmp_path: Path) -> None:
    """``--data /dev/stdin < b.zst``: /dev/stdin is then a regular file, but no name to give zstd."""
    import subprocess
    import sys

    (tmp_path / "b.zst").write_bytes(_zstd(_XML()))
    code = ("import sys; from colearn.ingest.stackexchange import read_badges_xml\n"
            "try: read_badges_xml('/dev/stdin', 'ai')\nexcept Exception as e: print(e)")
    with (tmp_path / "b.zst").open("rb") as stdin:
        out = subprocess.run([sys.executable, "-c", code], stdin=stdin, capture_output=True, text=True,
                             check=True).stdout
    assert "a zstd-compressed file, not XML" in out and "`zstd -dc ARCHIVE > Badges.xml`" in out
    assert ", where ARCHIVE is the file that was fed into /dev/stdin" in out
    assert "zstd -dc /dev" not in out and "> /dev" not in out


def test_a_folder_is_read_from_its_one_archive_and_names_those_it_cannot_choose_or_open(tmp_path: Path) -> None:
    _site_archive(tmp_path / "ai.stackexchange.com.7z", "7z")
    assert badges_file(tmp_path) == tmp_path / "ai.stackexchange.com.7z"
    assert read_badges_xml(tmp_path, "ai") == read_badges_xml(AI, "ai")
    assert data_site(tmp_path, None) == (tmp_path / "ai.stackexchange.com.7z", "ai")  # the archive's name
    _site_archive(tmp_path / "ai.tar.gz", "tar", "gz")
    with pytest.raises(InvalidInput) as err:
        badges_file(tmp_path)
    assert err.value.file == str(tmp_path)
    assert "holds 2 files that could each be the site's dump, ai.stackexchange.com.7z and ai.tar.gz" in str(err.value)
    shutil.copy(AI, tmp_path / "Badges.xml")  # extracted beside its archives: it is read
    assert badges_file(tmp_path) == tmp_path / "Badges.xml"
    other = tmp_path / "other"
    other.mkdir()
    (other / "ai.tar.zst").write_bytes(_zstd(b""))
    shutil.copy(AI, other / "Posts.xml")
    with pytest.raises(InvalidInput) as err:
        badges_file(other)
    assert "archives not opened: ai.tar.zst" in str(err.value) and "found Posts.xml: not named Badges.xml" in str(err.value)


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
    (tmp_path / "ai" / "ai.stackexchange.com.tar.zst").write_bytes(_zstd(b""))  # no reader opens it
    shutil.copy(AI, tmp_path / "Badges.xml")
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    assert "ai/ai.stackexchange.com.tar.zst (an archive" in str(err.value)
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
    seven = _site_archive(tmp_path / "Downloads" / "Beer.StackExchange.com.7z", "7z")
    assert data_site(seven, None) == (seven, "beer")  # an archive's name before its folder's
    assert data_site(_site_archive(tmp_path / "cardano" / "dump.zip", "zip"), None)[1] == "cardano"
    with pytest.raises(InvalidInput) as err:
        data_site(_site_archive(tmp_path / "Downloads" / "dump.zip", "zip"), None)
    assert "neither the archive name 'dump.zip' nor the folder name 'Downloads' names a" in str(err.value)


def test_a_dump_is_read_from_a_pipe(tmp_path: Path) -> None:
    """``--data <(gzip -dc Badges.xml.gz)``: a stream that cannot seek, plain or gzipped, whose
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
    assert err.value.file == str(p) and "site 'ai'" in str(err.value)
    assert ("(0 rows, 0 learners, at most 0 distinct badges each)" if rows == 0 else
            "(1 row, 1 learner, at most 1 distinct badge each)") in str(err.value)
    require_cases(plan_stackexchange(AI, "ai").awards(), "ai", AI, validation=True)


def test_a_suite_refuses_site_folders_it_would_pass_over_beside_the_sites_it_reads(tmp_path: Path) -> None:
    shutil.copy(AI, dump(tmp_path / "ai", "").parent / "Badges.xml")
    (tmp_path / "cardano").mkdir()
    (tmp_path / "cardano" / "cardano.stackexchange.com.7z.zst").write_bytes(_zstd(b""))  # no reader opens it
    (tmp_path / "cs").mkdir()
    (tmp_path / "cs" / "Badges.xml").symlink_to(tmp_path / "nowhere.xml")  # a dangling link
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    assert ("cardano/cardano.stackexchange.com.7z.zst (an archive: extract Badges.xml from it into cardano); "
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
    # the row where the second name first appears (the last line), and the first name's first row
    assert err.value.record == "row Id 999999 (line 3293)"
    assert "'Informed' on row Id 1 (line 3)" in str(err.value)


def test_look_alike_names_that_give_one_id_are_shown_by_code_point(tmp_path: Path) -> None:
    rows = "".join(f'  <row Id="{999990 + i}" UserId="4" Name="{name}" Date="2019-01-01T00:00:00" Class="3" '
                   'TagBased="False" />\n' for i, name in enumerate(["Caf\u00e9", "Cafe\u0301"]))
    with pytest.raises(InvalidInput) as err:
        plan_stackexchange(dump(tmp_path, add_rows(ai_text(), rows)), "ai")
    assert "'Caf\\xe9' and 'Cafe\\u0301'" in str(err.value)


@pytest.mark.parametrize(("text", "holds"), [
    ("- a\n- b\n", "a list of 2 items"),
    ('<?xml version="1.0"?>\n<badges>\n  <row Id="1" />\n</badges>\n', "a string ('<?xml version="),
    ("", "nothing (an empty file)"),
    ("42\n", "a number"),
])
def test_a_mapping_that_is_no_yaml_mapping_says_what_it_holds(tmp_path: Path, text: str, holds: str) -> None:
    from colearn.ingest.spine import read_spine
    from colearn.ingest.stackexchange import load_mapping

    p = tmp_path / "m2.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_mapping(p)
    assert err.value.file == str(p) and "valid dictionary" not in str(err.value)
    assert "must be a YAML mapping of version, themes, sites, tag_badges, fallback, badges" in str(err.value)
    assert f"but holds {holds}" in str(err.value)
    with pytest.raises(InvalidInput, match="mapping of framework, layers, domains, destinations") as err:
        read_spine(p)  # the spine file is read the same way
    assert f"but holds {holds}" in str(err.value)


def test_a_mapping_section_that_is_no_mapping_says_what_it_holds(tmp_path: Path) -> None:
    from colearn.ingest.stackexchange import default_mapping_path, load_mapping

    text = default_mapping_path().read_text(encoding="utf-8")
    p = tmp_path / "m.yaml"
    p.write_text(text.replace("\nbadges:\n", "\nbadges:\n  - Informed\n  - Editor\nunused:\n", 1), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_mapping(p)
    assert "badges: should be a mapping of key: value, got a list of 2 items" in str(err.value)
    assert "valid dictionary" not in str(err.value) and err.value.file == str(p)


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
