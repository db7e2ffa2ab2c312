"""Facts about operating-system processes (Linux ``/proc`` where it takes more than a signal)."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (signal 0: nothing is sent). A process of another
    user counts as alive (``PermissionError``)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name, from the state (field 3
    of proc(5)) on, or None when ``pid`` is gone (or this is not Linux)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _stat_ints(pid: int, *indexes: int) -> int | None:
    """The sum of the integer fields ``indexes`` of ``proc_stat(pid)`` (0 is the state, field 3
    of proc(5)), or None when ``pid`` is gone or a field is missing or not an integer."""
    fields = proc_stat(pid)
    try:
        return None if fields is None else sum(int(fields[i]) for i in indexes)
    except (IndexError, ValueError):
        return None


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of ``pid`` in clock ticks (proc(5) fields 14 and 15), or None."""
    return _stat_ints(pid, 11, 12)


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (proc(5) field 22), or None: with the
    pid it tells a process from a later one given the same pid."""
    return _stat_ints(pid, 19)


def parent_pid(pid: int) -> int | None:
    """The pid of ``pid``'s parent (proc(5) field 4; 1 or a subreaper once the parent died), or None."""
    return _stat_ints(pid, 1)


def gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs: it does not exist, or is a zombie (exited, not reaped)."""
    if not pid_alive(pid):
        return True
    fields = proc_stat(pid)
    return fields is not None and fields[0] == "Z"


def working_dir(pid: int) -> Path | None:
    """``pid``'s current directory (``/proc/<pid>/cwd``), or None when it is gone or not ours."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def executable(pid: int) -> Path | None:
    """The program ``pid`` runs (``/proc/<pid>/exe``), or None when it is gone or not ours."""
    try:
        return Path(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return None


__all__ = ["cpu_ticks", "executable", "gone", "parent_pid", "pid_alive", "proc_stat", "start_ticks", "working_dir"]
