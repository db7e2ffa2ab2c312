"""Files written whole or not at all.

A reader sees a file's old content or its new content, never part of it, even
after this process or the machine crashes mid-write: the new content goes to a
temporary file in the same folder, is flushed to disk (``fsync``), and
``os.replace`` then renames it over the target (an atomic rename on POSIX when
both are on one file system), the folder itself flushed after.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import BinaryIO

from colearn.processes import pid_alive

#: What a file is written from: its bytes, or a function that writes them to the open binary file.
Data = bytes | bytearray | memoryview | Callable[[BinaryIO], object]


def _temp_files(target: Path) -> list[tuple[Path, int]]:
    """``write_whole``'s and ``create_once``'s temporary files of ``target`` (``.<name>.<pid>.<random>.tmp``) with their pid."""
    out = []
    for p in target.parent.glob(f".{target.name}.*.tmp"):
        parts = p.name[len(target.name) + 2:].split(".")
        if len(parts) == 3 and parts[0].isdigit():
            out.append((p, int(parts[0])))
    return out


def _own_temp_file(target: Path) -> Path:
    """A new temporary file name of this process for ``target`` (not created), after removing
    those left by a process that no longer runs (killed mid-write)."""
    for stale, pid in _temp_files(target):
        if pid != os.getpid() and not pid_alive(pid):
            stale.unlink(missing_ok=True)
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _write_synced(tmp: Path, data: Data, mode: int = 0o666) -> None:
    """Create ``tmp`` (with ``mode``, less the umask; it must not exist), write ``data``
    (bytes, or a function writing to the open binary file) to it and flush it to disk."""
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as f:
        if isinstance(data, (bytes, bytearray, memoryview)):
            f.write(data)
        else:
            data(f)
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_whole(path: Path | str, data: Data, mode: int = 0o666) -> Path:
    """Write ``path`` whole or not at all and return it.

    Args:
        path: the file; its folder must exist.
        data: the bytes, or a function that writes them to the open binary
            file it is given (e.g. ``lambda f: pickle.dump(obj, f)``, which
            never holds the whole pickle in memory).
        mode: the file's permissions, less the umask, from its first byte
            (0o600 for a secret: never readable by others, not even briefly).

    The temporary file is ``.<name>.<pid>.<random>.tmp`` beside ``path``, so
    that two writers never share one; it is removed when writing raises, and
    one left by a process that no longer runs (killed mid-write) is removed
    by the next write of the same file.

    Raises:
        OSError: the folder is missing or not writable; ``path`` then keeps
            its old content.
        Exception: whatever ``data`` raises, with the same guarantee.
    """
    target = Path(path)
    tmp = _own_temp_file(target)
    try:
        _write_synced(tmp, data, mode)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_folder(target.parent)
    return target


def write_all(files: Mapping[Path, Data]) -> list[Path]:
    """Write every file of ``files`` whole, or none of them (files that belong together:
    a report and its plot), and return their paths in order.

    Each file is first written to a temporary name beside it (as ``write_whole``
    does); only when all are written are they renamed over their targets, one
    after the other. A target that is a folder is refused before any rename. If
    a rename fails, the targets already renamed get their old content back (or
    are removed when they had none), so a reader finds either the old set or
    the new one (a reader that looks between two renames can see one new file
    beside an old one).

    Args:
        files: ``{path: bytes, or a function that writes them to the open binary file}``;
            every path's folder must exist.

    Raises:
        OSError: a file cannot be written, a target is a folder (``IsADirectoryError``),
            or a rename fails; ``filename`` is the target concerned, and no target has
            changed.
        Exception: whatever a ``data`` function raises, with the same guarantee.
    """
    temps: dict[Path, Path] = {}
    backups: list[tuple[Path, Path | None]] = []
    try:
        for path, data in files.items():
            target = Path(path)
            temps[target] = _own_temp_file(target)
            _in_target_name(target, partial(_write_synced, temps[target], data))
        for target in temps:
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, "a folder is where this file goes", str(target))
        try:
            for target, tmp in temps.items():
                backup = None
                if os.path.lexists(target):
                    backup = _own_temp_file(target)
                    _in_target_name(target, partial(os.replace, target, backup))
                backups.append((target, backup))
                _in_target_name(target, partial(os.replace, tmp, target))
        except BaseException:
            for target, backup in reversed(backups):
                if backup is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(backup, target)
            backups.clear()
            raise
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        for _, backup in backups:
            if backup is not None:
                backup.unlink(missing_ok=True)
    for folder in {t.parent for t in temps}:
        _sync_folder(folder)
    return list(temps)


def _in_target_name(target: Path, step: Callable[[], object]) -> None:
    """``step()``, an ``OSError`` it raises given again with ``target`` as its file name
    (not the temporary file's)."""
    try:
        step()
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc


def create_once(path: Path | str, data: bytes) -> bool:
    """Create ``path`` with ``data`` (mode 0600) unless it exists; never replace it.

    For a secret or key made on first use by processes that may start
    together (``colearn serve --workers N`` on a new data directory): each
    writes a whole file of its own (``.<name>.<pid>.<random>.tmp``, flushed to
    disk; one left by a process that no longer runs is removed first, as
    ``write_whole`` does) and hard-links it to ``path``. ``link`` is atomic and fails when
    ``path`` exists, so exactly one wins, and a reader never sees ``path``
    half-written.

    Returns:
        Whether this call created ``path`` (False: it existed, keep its content).

    Raises:
        OSError: the folder is missing or not writable.
    """
    target = Path(path)
    tmp = _own_temp_file(target)
    try:
        _write_synced(tmp, data, 0o600)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


def read_or_create(path: Path | str, make: Callable[[], bytes], *, folder_mode: int | None = None) -> bytes:
    """The bytes of ``path``, made first when it does not exist: a secret or key made on first use.

    When ``path`` is missing its folder is made (with mode ``folder_mode`` when
    given) and ``path`` is created with ``make()`` by ``create_once``; when
    processes start together, every one of them reads the one file that won.

    Raises:
        OSError: the folder cannot be made or written, or ``path`` read.
    """
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if folder_mode is not None:
            os.chmod(target.parent, folder_mode)
        create_once(target, make())
    return target.read_bytes()


__all__ = ["Data", "create_once", "read_or_create", "write_all", "write_whole"]
