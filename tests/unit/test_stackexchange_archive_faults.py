"""Archives a review built to break the dump reader (``ingest/stackexchange_archives.py``), each
a real file: a 7z header or zip directory the parsers choke on, a 7z member with an absolute
name, an encrypted 7z, a temporary folder without room, a tar whose first member's name starts
like bzip2, and a suite folder holding an archive that is no site's. Each is read right or
refused in one error naming the file, never a traceback, never a file from elsewhere on disk."""

from __future__ import annotations

import errno
import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.ingest import stackexchange_archives
from colearn.ingest.stackexchange import read_badges_xml
from colearn.perf.eval_inputs import read_suite
from tests.stackexchange_builders import archive, put, small_ai

XML = small_ai(40).encode()


def _seven_z(path: Path, members: dict[str, bytes], *, rename: dict[str, str] | None = None,
             password: str | None = None) -> Path:
    """A 7z archive of ``members`` with a plain (unencoded) header, whose member names are then
    replaced (``rename``: ``{written: final}``, of one length) and its header checksums made
    right again, so that only the names differ from what py7zr wrote."""
    import py7zr

    kw = {"password": password} if password else {}
    with py7zr.SevenZipFile(path, "w", **kw) as seven:  # type: ignore[arg-type]
        seven.encoded_header_mode = False
        for name, data in members.items():
            seven.writestr(data, name)
    if rename:
        data = bytearray(path.read_bytes())
        offset, size = struct.unpack("<QQ", data[12:28])
        header = bytes(data[32 + offset:32 + offset + size])
        for old, new in rename.items():
            assert len(old) == len(new) and header.count(old.encode("utf-16-le")) == 1
            header = header.replace(old.encode("utf-16-le"), new.encode("utf-16-le"))
        data[32 + offset:32 + offset + size] = header
        data[28:32] = struct.pack("<I", zlib.crc32(header))
        data[8:12] = struct.pack("<I", zlib.crc32(bytes(data[12:32])))
        path.write_bytes(bytes(data))
    return path


def test_a_7z_member_with_an_absolute_name_is_read_from_the_archive_not_the_disk(tmp_path: Path) -> None:
    """py7zr writes ``/x/Badges.xml`` under the temporary folder; joining that name to the folder
    gave ``/x/Badges.xml`` itself, so a file of that path on this machine was read instead."""
    decoy = put(tmp_path / "decoy" / "Badges.xml", rows=3)
    name = str(decoy)
    p = _seven_z(tmp_path / "ai.7z", {"x" + name[1:]: XML}, rename={"x" + name[1:]: name})
    read = read_badges_xml(p, "ai")
    assert read == read_badges_xml(put(tmp_path / "plain" / "Badges.xml", XML.decode()), "ai")
    assert read != read_badges_xml(decoy, "ai")


def test_every_one_byte_change_of_a_7z_header_is_read_or_refused_naming_the_file(tmp_path: Path) -> None:
    """Each byte of the archive's (plain) header changed in turn, its checksums made right so
    that py7zr parses it: some changes gave TypeError ("Unknown field"), OverflowError (a date
    out of range) or AssertionError from py7zr, none of them caught (a traceback)."""
    p = _seven_z(tmp_path / "ai.7z", {"ai/Badges.xml": XML, "ai/Posts.xml": b"<posts/>"})
    clean = p.read_bytes()
    offset, size = struct.unpack("<QQ", clean[12:28])
    outcomes: set[str] = set()
    for at in range(32 + offset, 32 + offset + size):
        data = bytearray(clean)
        data[at] ^= 0xFF
        header = bytes(data[32 + offset:32 + offset + size])
        data[28:32] = struct.pack("<I", zlib.crc32(header))
        data[8:12] = struct.pack("<I", zlib.crc32(bytes(data[12:32])))
        p.write_bytes(bytes(data))
        try:
            read_badges_xml(p, "ai")
            outcomes.add("read")
        except InvalidInput as exc:
            assert exc.file == str(p), (at, exc)
            outcomes.add("refused")
    assert "refused" in outcomes, outcomes


def test_a_zip_of_a_version_zipfile_does_not_read_is_refused_naming_it(tmp_path: Path) -> None:
    """The central directory says "version 10.1 needed": zipfile raised NotImplementedError
    when the archive was opened, outside any handler (a traceback)."""
    p = archive(tmp_path / "ai.zip", {"ai/Badges.xml": XML}, "zip")
    data = bytearray(p.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6:central + 8] = struct.pack("<H", 101)  # version needed to extract
    p.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="cannot read: a zip archive, damaged or cut short") as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p)


def test_an_encrypted_7z_is_said_to_need_its_password(tmp_path: Path) -> None:
    p = _seven_z(tmp_path / "ai.7z", {"ai/Badges.xml": XML}, password="secret")
    with pytest.raises(InvalidInput, match="a 7z archive that is encrypted .a password is needed.") as err:
        read_badges_xml(p, "ai")
    assert err.value.file == str(p) and "{" not in str(err.value)  # no dump of py7zr's internals


def test_a_temporary_folder_without_room_is_said_so_not_a_damaged_archive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = archive(tmp_path / "ai.tar.xz", {"ai/Badges.xml": XML}, "tar", "xz")

    def full(*args: object, **kw: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stackexchange_archives.shutil, "copyfileobj", full)
    with pytest.raises(InvalidInput) as err:
        read_badges_xml(p, "ai")
    text = str(err.value)
    assert err.value.file == str(p) and "damaged" not in text
    assert "could not be copied to a temporary folder" in text and "No space left on device" in text
    assert "TMPDIR" in text


def test_a_tar_whose_first_member_starts_like_bzip2_is_read_as_a_tar(tmp_path: Path) -> None:
    """A tar's first bytes are its first member's name: ``BZhang-notes.txt`` was taken for a
    bzip2 stream ("a bzip2-compressed tar archive, damaged")."""
    p = tmp_path / "ai.tar"
    with tarfile.open(p, "w") as tar:
        for name, data in (("BZhang-notes.txt", b"notes"), ("ai/Badges.xml", XML)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert read_badges_xml(p, "ai") == read_badges_xml(put(tmp_path / "plain" / "Badges.xml", XML.decode()), "ai")


@pytest.mark.parametrize("name", ["notes.zip", "stackoverflow.com-Badges.7z", "Badges.7z"])
def test_a_suite_refuses_an_archive_named_for_no_site_before_reading_any(tmp_path: Path, name: str) -> None:
    """An archive at the top of a suite is a site only when its name names one (a host name or a
    known key, as --data reads names); any other was read as a site, after every other site was
    parsed, and failed then (notes.zip) or made a site of the name (stackoverflow.com-badges)."""
    put(tmp_path / "ai" / "Badges.xml")
    if name.endswith(".zip"):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            z.writestr("todo.txt", "nothing")
    else:
        _seven_z(tmp_path / name, {"Badges.xml": XML})
    with pytest.raises(InvalidInput) as err:
        read_suite(tmp_path)
    text = str(err.value)
    assert err.value.file == str(tmp_path) and "no site was read" in text
    assert f"{name} (an archive whose name names no site: name it for its site" in text
