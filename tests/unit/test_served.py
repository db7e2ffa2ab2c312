"""``colearn.served``: the address of a running ``colearn serve`` in its data directory, never a
stopped one's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from colearn import served
from colearn.config import Settings


def _gone_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stopping_removes_the_address_or_puts_back_a_running_servers(tmp_path: Path) -> None:
    release = served.record(tmp_path, "http://127.0.0.1:8001")
    assert served.address(tmp_path) == "http://127.0.0.1:8001"
    release()
    assert not (tmp_path / served.SERVED_BASE_URL).exists() and served.address(tmp_path) is None
    # a server recorded before this one and still running (pid 1 always runs) is put back
    (tmp_path / served.SERVED_BASE_URL).write_text("http://127.0.0.1:8002\n1\n")
    release = served.record(tmp_path, "http://127.0.0.1:8003")
    release()
    assert served.address(tmp_path) == "http://127.0.0.1:8002"


def test_a_stopped_server_is_not_put_back_and_another_servers_address_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / served.SERVED_BASE_URL
    path.write_text(f"http://127.0.0.1:8002\n{_gone_pid()}\n")  # recorded by a server since killed
    assert served.address(tmp_path) is None
    assert Settings(data_dir=tmp_path).base_url == "http://127.0.0.1:8000"  # the default, not a dead address
    release = served.record(tmp_path, "http://127.0.0.1:8003")
    release()
    assert not path.exists()
    release = served.record(tmp_path, "http://127.0.0.1:8004")
    path.write_text("http://127.0.0.1:8005\n1\n")  # another server recorded itself since
    release()
    assert served.address(tmp_path) == "http://127.0.0.1:8005"
    path.write_text("http://127.0.0.1:8006\n")  # an older file without a pid cannot be told live
    assert served.address(tmp_path) is None
