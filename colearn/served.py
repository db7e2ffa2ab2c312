"""The address a running ``colearn serve`` serves, kept in its data directory so that other
commands of that directory without ``COLEARN_BASE_URL`` (``colearn issue``: recipient URLs,
claim links) build links to it rather than to the default port.

The file (``SERVED_BASE_URL``) holds the address and the pid of the ``colearn serve`` process
that wrote it, and is read only while that process runs (``address``): a server that stopped,
or was killed, leaves no address behind that is still used. A server that stops puts back the
address of the one recorded before it when that one still runs, else removes the file, and
touches it only if it still holds its own address (``record``): a second server started and
stopped beside a first leaves the first's address in place.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from colearn.files import write_whole
from colearn.processes import pid_alive

__all__ = ["SERVED_BASE_URL", "address", "record"]

#: The file under the data directory: the public base URL served, then the server's pid.
SERVED_BASE_URL = "served-base-url"


def _read(path: Path) -> tuple[str, int] | None:
    """The ``(url, pid)`` the file holds, or None (no file, or not that shape: an older
    file without a pid cannot be told live, so it is not used)."""
    try:
        lines = path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) != 2 or not lines[0].startswith(("http://", "https://")) or not lines[1].isdigit():
        return None
    return lines[0], int(lines[1])


def _write(path: Path, url: str, pid: int) -> None:
    write_whole(path, f"{url}\n{pid}\n".encode())


def address(data_dir: Path) -> str | None:
    """The base URL the ``colearn serve`` of ``data_dir`` serves, while it runs: None when no
    server recorded one, or the one that did is no longer running (its pid is gone)."""
    held = _read(data_dir / SERVED_BASE_URL)
    return held[0] if held is not None and pid_alive(held[1]) else None


def record(data_dir: Path, url: str) -> Callable[[], None]:
    """Record ``url`` as served by this process (creating ``data_dir``); returns the function
    to call when it stops serving.

    That function, if the file still holds this process's address (no other server has
    recorded its own since), puts back the address recorded before this one when the server
    that recorded it still runs, and otherwise removes the file; else it leaves the file as is.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path, pid = data_dir / SERVED_BASE_URL, os.getpid()
    before = _read(path)
    _write(path, url, pid)

    def release() -> None:
        if _read(path) != (url, pid):
            return
        if before is not None and before[1] != pid and pid_alive(before[1]):
            _write(path, *before)
        else:
            path.unlink(missing_ok=True)

    return release
