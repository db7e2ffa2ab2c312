"""Files written whole or not at all (``colearn.files.write_whole``)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from colearn.files import write_whole


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
