"""Where a Stack Exchange dump is looked for: a ``Badges.xml`` named in another letter case is
read, and a suite folder holding something that looks like a dump it would not read is
refused whole, before any site is read.

Every dump is a few hundred rows cut from the real bundled AI dump (``data/stackexchange``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from colearn.ingest.stackexchange import DUMP_WORDS, badges_file, plan_stackexchange
from colearn.perf.eval_inputs import data_site, read_suite

from colearn.errors import InvalidInput
from tests.stackexchange_builders import archive, put, small_ai


@pytest.mark.parametrize("name", ["badges.xml", "BADGES.XML", "Badges.XML.gz", "badges.xml.GZ"])
def test_a_dump_named_in_another_letter_case_is_read(tmp_path: Path, name: str) -> None:
    dump = put(tmp_path / "ai.stackexchange.com" / name)
    assert badges_file(dump.parent) == dump
    assert data_site(dump.parent, None) == (dump, "ai")  # --data a folder
    assert len(plan_stackexchange(dump.parent, "ai").awards()) == 300
    read = read_suite(tmp_path)  # --suite
    assert [s.name for s in read.sites] == ["ai"] and read.paths["ai"] == dump and read.passed_over == []


@pytest.mark.parametrize("names", [
    ("Badges.xml", "Badges.xml.gz"),  # the tester's folder: one site's dump twice, plain and gzipped
    ("Badges.xml", "badges.xml.GZ"),
    ("BADGES.XML", "Badges.XML.gz"),
    ("Badges.xml", "badges.xml"),  # the exact name no longer wins: either could be the one meant
    ("BADGES.XML", "badges.xml"),
    ("Badges.xml", "Badges.xml.gz", "badges.xml"),
])
def test_a_folder_with_more_than_one_possible_dump_is_refused_naming_each_once(tmp_path: Path,
                                                                             names: tuple[str, ...]) -> None:
    for i, name in enumerate(names):
        put(tmp_path / "beer" / name, rows=10 + i)
    listed = sorted(names)
    with pytest.raises(InvalidInput) as err:
        badges_file(tmp_path / "beer")  # --data a folder
    text = str(err.value)
    assert err.value.file == str(tmp_path / "beer")
    assert f"holds {len(names)} files that could each be the site's dump" in text and "keep one" in text
    shown = ", ".join(listed[:-1]) + f" and {listed[-1]}"  # each named once, said once
    assert text == (f"{tmp_path / 'beer'}: the folder holds {len(names)} files that could each be the site's dump, "
                    f"{shown} ({DUMP_WORDS}): keep one, move or delete the others")
    with pytest.raises(InvalidInput) as err:
        data_site(tmp_path / "beer", "beer")
    assert "keep one" in str(err.value)
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)  # --suite
    text = str(err.value)
    assert f"{len(names)} files that look like Stack Exchange dumps would not be read" in text
    assert " and ".join(f"beer/{n}" for n in listed) + f" ({len(names)} files that could each be" in text
    assert all(text.count(f"beer/{name} ") == 1 for name in names) and text.count("keep one") == 1
    for name in names[1:]:
        (tmp_path / "beer" / name).unlink()
    assert badges_file(tmp_path / "beer") == tmp_path / "beer" / names[0]  # one left: read
    assert read_suite(tmp_path).paths == {"beer": tmp_path / "beer" / names[0]}


def test_a_dump_beside_a_dangling_link_of_a_dump_name_is_refused(tmp_path: Path) -> None:
    put(tmp_path / "ai" / "badges.xml")
    (tmp_path / "ai" / "Badges.xml").symlink_to(tmp_path / "nowhere.xml")
    with pytest.raises(InvalidInput, match=r"2 files that could each be the site's dump, Badges\.xml and badges\.xml"):
        badges_file(tmp_path / "ai")


def _zip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Badges.xml", small_ai(5))


def _zstd(path: Path) -> None:
    """A file no reader opens (zstd: the standard library reads none before Python 3.14)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(16))


def test_a_suite_with_site_folders_it_would_not_read_is_refused_naming_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tester's folder: ``good.stackexchange.com/Badges.xml``, ``beta/badges.xml``,
    ``gamma/BADGES.XML`` and ``delta/delta.tar.zst``, and more that would be passed over: beta
    and gamma are sites; every other is named with what to do, before any dump is read."""
    import colearn.perf.eval_inputs as eval_inputs

    put(tmp_path / "good.stackexchange.com" / "Badges.xml")
    put(tmp_path / "beta" / "badges.xml")
    put(tmp_path / "gamma" / "BADGES.XML")
    _zstd(tmp_path / "delta" / "delta.tar.zst")
    put(tmp_path / "eps" / "Posts.xml", "<posts/>")
    (tmp_path / "cs").mkdir()
    (tmp_path / "cs" / "Badges.xml").symlink_to(tmp_path / "nowhere.xml")  # a dangling link
    put(tmp_path / "notes" / "README.md", "nothing like a dump")  # passed over: nothing to read
    read_dumps: list[str] = []
    real_plan = eval_inputs.plan_stackexchange
    monkeypatch.setattr(eval_inputs, "plan_stackexchange",
                        lambda path, site, mapping=None: read_dumps.append(site) or real_plan(path, site, mapping))
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    text = str(err.value)
    assert err.value.file == str(tmp_path) and "\n" not in text
    assert "3 files that look like Stack Exchange dumps would not be read" in text
    assert "cs/Badges.xml (cannot be read)" in text
    assert "delta/delta.tar.zst (an archive: extract Badges.xml from it into delta)" in text
    assert "eps/Posts.xml (not named Badges.xml: rename it to Badges.xml" in text
    assert "beta" not in text and "gamma" not in text and "notes" not in text
    assert read_dumps == []  # refused before any dump was read
    for fixed in ("cs", "delta", "eps"):
        for f in (tmp_path / fixed).iterdir():
            f.unlink()
    read = read_suite(tmp_path)
    assert [s.name for s in read.sites] == ["beta", "gamma", "good"] and read.passed_over == []
    assert read.paths["gamma"] == tmp_path / "gamma" / "BADGES.XML"


def test_a_loose_archive_is_passed_over_only_when_its_site_was_read_from_a_folder(tmp_path: Path) -> None:
    put(tmp_path / "ai.stackexchange.com" / "Badges.xml")
    _zip(tmp_path / "ai.stackexchange.com.zip")  # the archive the folder was extracted from
    read = read_suite(tmp_path)
    assert read.passed_over == ["ai.stackexchange.com.zip (an archive; site ai was read from ai.stackexchange.com/)"]
    _zstd(tmp_path / "cardano.stackexchange.com.tar.zst")  # a site no reader opens: refused, not skipped
    put(tmp_path / "badges.xml")  # a dump outside any site folder
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    assert "cardano.stackexchange.com.tar.zst (an archive: extract Badges.xml from it into a folder named" in str(err.value)
    assert "badges.xml (not inside a <site> folder" in str(err.value)
    assert "ai.stackexchange.com.zip" not in str(err.value)


def test_a_suite_reads_a_site_from_its_archive_beside_the_folders(tmp_path: Path) -> None:
    """``beer.stackexchange.com.7z`` at the top is site beer; ``cardano/`` holding only its zip
    is site cardano; a zstd archive of beer is passed over; two archives of one site, or an
    archive whose name names no site, refuse the suite."""
    put(tmp_path / "ai" / "Badges.xml")
    text = small_ai(200).encode()
    beer = archive(tmp_path / "beer.stackexchange.com.7z", {"beer.stackexchange.com/Badges.xml": text,
                                                            "Posts.xml": b"<posts/>"}, "7z")
    cardano = archive(tmp_path / "cardano" / "cardano.stackexchange.com.zip", {"Badges.xml": text}, "zip")
    _zstd(tmp_path / "beer.stackexchange.com.tar.zst")
    read = read_suite(tmp_path)
    assert [s.name for s in read.sites] == ["ai", "beer", "cardano"]
    assert read.paths == {"ai": tmp_path / "ai" / "Badges.xml", "beer": beer, "cardano": cardano}
    plain = put(tmp_path / "plain" / "Badges.xml", rows=200)
    assert read.sites[1].awards == plan_stackexchange(plain, "beer").awards() != []
    assert read.passed_over == ["beer.stackexchange.com.tar.zst (an archive; site beer was read from "
                                "beer.stackexchange.com.7z)"]
    plain.unlink()
    archive(tmp_path / "Beer.StackExchange.com.zip", {"Badges.xml": text}, "zip")
    with pytest.raises(InvalidInput, match="'Beer.StackExchange.com.zip' and 'beer.stackexchange.com.7z' are both "
                                           "site 'beer'"):
        read_suite(tmp_path)
    (tmp_path / "Beer.StackExchange.com.zip").unlink()
    archive(tmp_path / "my dump.7z", {"Badges.xml": text}, "7z")  # refused before any site is read
    with pytest.raises(InvalidInput, match="my dump.7z .an archive whose name names no site") as err:
        read_suite(tmp_path)
    assert err.value.file == str(tmp_path)
