"""Files written whole or not at all.

A reader (another process, or this one after a crash) sees a file's old
content or its new content, never part of it: the new content goes to a
temporary file in the same folder, which ``os.replace`` then renames over the
target (an atomic rename on POSIX when both are on one file system).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_whole(path: Path | str, data: bytes | Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` whole or not at all and return it.

    Args:
        path: the file; its folder must exist.
        data: the bytes, or a function that writes them to the open binary
            file it is given (e.g. ``lambda f: pickle.dump(obj, f)``, which
            never holds the whole pickle in memory).

    The temporary file is ``.<name>.<pid>.<random>.tmp`` beside ``path``, so
    that two writers never share one; it is removed when writing fails.

    Raises:
        OSError: the folder is missing or not writable; ``path`` then keeps
            its old content.
        Exception: whatever ``data`` raises, with the same guarantee.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


__all__ = ["write_whole"]
