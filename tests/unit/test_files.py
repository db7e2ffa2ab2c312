"""Files written whole or not at all (``colearn.files``)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from colearn.files import read_or_create, write_whole


def test_a_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_whole(path, json.dumps({"pid": 1}).encode())
    assert write_whole(path, lambda f: pickle.dump({"pid": 2}, f)) == path
    assert pickle.loads(path.read_bytes()) == {"pid": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_content_and_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "cache.pkl"
    path.write_bytes(b"old")

    def half_then_fail(f) -> None:
        f.write(b"new, but only ha")
        raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        write_whole(path, half_then_fail)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["cache.pkl"]
    with pytest.raises(OSError):
        write_whole(tmp_path / "missing" / "x.json", b"{}")


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    path = tmp_path / "cache.pkl"
    script = ("import time; from colearn.files import read_or_create, write_whole\n"
              f"write_whole({str(path)!r}, lambda f: (f.write(b'half'), f.flush(), time.sleep(60)))\n")
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob(".cache.pkl.*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # until its temporary file exists
        assert list(tmp_path.glob(".cache.pkl.*.tmp")) and proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    assert not path.exists()  # the killed write left no target
    write_whole(path, bytearray(b"whole"))
    assert path.read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["cache.pkl"]


def test_create_once_keeps_the_first_content_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    from colearn.files import create_once

    target = tmp_path / "secret"
    assert create_once(target, b"first") is True
    assert create_once(target, b"second") is False
    assert target.read_bytes() == b"first" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_create_once_removes_a_temporary_file_a_killed_writer_left(tmp_path: Path) -> None:
    import subprocess
    import sys

    from colearn.files import create_once

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # a pid that no longer runs
    left = tmp_path / f".secret.{gone}.abcd1234.tmp"
    left.write_bytes(b"a secret of a writer killed before its link")
    assert create_once(tmp_path / "secret", b"new") is True
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_read_or_create_makes_the_file_once_and_then_reads_it(tmp_path: Path) -> None:
    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return f"secret {len(made)}".encode()

    path = tmp_path / "new" / "folder" / "secret"
    assert read_or_create(path, make, folder_mode=0o700) == b"secret 1"
    assert read_or_create(path, make, folder_mode=0o700) == b"secret 1"
    assert made == [1]
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret"]


def test_files_written_together_land_all_or_none(tmp_path: Path) -> None:
    """``write_all``: a report and its plot. A writer that fails, or a target that is a folder,
    leaves every target as it was and no temporary file; when all are written, all land."""
    from colearn.files import write_all

    md, png = tmp_path / "r.md", tmp_path / "r.png"
    md.write_bytes(b"old report")

    def fails(f) -> None:
        f.write(b"half a plot")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as err:
        write_all({md: b"new report", png: fails})
    assert err.value.filename == str(png) and "No space left" in str(err.value)
    assert md.read_bytes() == b"old report" and sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]

    png.mkdir()  # a folder where the plot goes: refused before any rename
    with pytest.raises(IsADirectoryError) as err:
        write_all({md: b"new report", png: b"plot"})
    assert err.value.filename == str(png)
    assert md.read_bytes() == b"old report" and sorted(p.name for p in tmp_path.iterdir()) == ["r.md", "r.png"]
    png.rmdir()

    assert write_all({md: b"new report", png: lambda f: f.write(b"plot")}) == [md, png]
    assert md.read_bytes() == b"new report" and png.read_bytes() == b"plot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md", "r.png"]


def test_a_rename_that_fails_puts_back_the_files_already_renamed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from colearn.files import write_all

    a, b = tmp_path / "a.md", tmp_path / "b.png"
    a.write_bytes(b"old a")
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)) == b:
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError) as err:
        write_all({a: b"new a", b: b"new b"})
    assert err.value.filename == str(b)
    assert a.read_bytes() == b"old a" and sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]
