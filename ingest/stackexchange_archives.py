"""A Stack Exchange dump file opened as XML bytes, or refused saying what archive it is and
how to get ``Badges.xml`` out of it.

A dump is ``Badges.xml``, gzip-compressed (``Badges.xml.gz``, read as it is), or held in
the archives the dump is published and passed around in: a 7z, zip or tar archive, and
gzip, bzip2, xz or zstd compression of the XML or of an archive (``ai.tar.xz``).
``open_dump`` tells them apart by their leading bytes, never by the name, and looks inside
gzip, bzip2 and xz compression (the standard library reads no zstd before Python 3.14, so a
zstd file is taken for a compressed tar only when its name says so). Every refusal gives a
command that gets ``Badges.xml`` out of that kind of file, naming the file as it was given;
a pipe (``--data <(cat ai.7z)``) has no file to name, so there the command says ``ARCHIVE``
and the message says what that stands for.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shlex
import stat
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from colearn.errors import InvalidInput

__all__ = ["ARCHIVE_SUFFIXES", "DUMP_NAMES", "open_dump", "skipped_archives"]

#: The names of a site's dump (in any letter case; a folder holding more than one is refused:
#: ``stackexchange_xml.find_dump``).
DUMP_NAMES = ("Badges.xml", "Badges.xml.gz")

#: Name endings of the archives a dump comes in, which no reader opens (``skipped_archives``).
ARCHIVE_SUFFIXES = (".7z", ".zip", ".bz2", ".xz", ".zst", ".tar", ".tgz", ".tar.gz", ".tbz", ".tbz2", ".txz",
                    ".tzst")
#: Bytes looked at to tell what a file is (a tar header block).
_HEAD = 512
#: What stands for the file in a command when the dump came through a pipe.
_PLACEHOLDER = "ARCHIVE"


@dataclass(frozen=True)
class _Kind:
    """An archive or a compression, told by ``magic`` at byte ``at``.

    ``tool``: for an archive, the command that extracts ``Badges.xml`` (``{src}``: the archive,
    ``{into}``: the option naming the folder to extract into, or nothing); for a compression,
    the command that writes the decompressed bytes to stdout, without the file.
    """

    magic: bytes
    article: str
    name: str
    suffix: str
    tool: str
    at: int = 0
    into: str = ""


_SEVEN_Z = _Kind(b"7z\xbc\xaf\x27\x1c", "a", "7z archive", ".7z", "7z x {src} Badges.xml{into}", into=" -o{}")
_ZIP = _Kind(b"PK\x03\x04", "a", "zip archive", ".zip", "unzip {src} '*Badges.xml'{into}", into=" -d {}")
_EMPTY_ZIP = _Kind(b"PK\x05\x06", "an", "empty zip archive", ".zip", "")
#: A POSIX tar archive says ``ustar`` at byte 257 of its first header block. GNU tar reads a
#: compressed one as it is (it tells the compression by the file's leading bytes).
_TAR = _Kind(b"ustar", "a", "tar archive", ".tar", "tar -xf {src}{into} --wildcards '*Badges.xml'", at=257,
             into=" -C {}")
_GZIP = _Kind(b"\x1f\x8b", "a", "gzip", ".gz", "gzip -dc")
_BZIP2 = _Kind(b"BZh", "a", "bzip2", ".bz2", "bzip2 -dc")
_XZ = _Kind(b"\xfd7zXZ\x00", "an", "xz", ".xz", "xz -dc")
_ZSTD = _Kind(b"\x28\xb5\x2f\xfd", "a", "zstd", ".zst", "zstd -dc")
_ARCHIVES = (_SEVEN_Z, _ZIP, _EMPTY_ZIP, _TAR)
_COMPRESSIONS = (_GZIP, _BZIP2, _XZ, _ZSTD)
#: How to open each compression the standard library reads (to look inside it).
_OPENERS: dict[_Kind, Callable[[Any], Any]] = {
    _GZIP: lambda f: gzip.GzipFile(fileobj=f, mode="rb"), _BZIP2: bz2.BZ2File, _XZ: lzma.LZMAFile}
#: Names that say a zstd file holds a tar.
_ZSTD_TAR = (".tar.zst", ".tzst")


def skipped_archives(folder: Path) -> list[str]:
    """The names of the archives (by suffix) in ``folder``, sorted: files a reader does not open."""
    try:
        return sorted(f.name for f in folder.iterdir() if f.is_file() and f.name.lower().endswith(ARCHIVE_SUFFIXES))
    except OSError:
        return []


class _Rejoined:
    """A byte stream's first bytes, read already, put back in front of the rest (for a stream
    that cannot seek back: a pipe)."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes (all that are left when ``n`` is None or negative)."""
        if not self._head:
            return bytes(self._rest.read(n))
        if n is None or n < 0:
            out, self._head = self._head + self._rest.read(), b""
            return bytes(out)
        out, self._head = self._head[:n], self._head[n:]
        return out


def _take_head(stream: Any) -> tuple[bytes, _Rejoined]:
    """The first ``_HEAD`` bytes of ``stream`` (fewer only at its end), however few each read of a
    pipe gives, and the stream with them put back."""
    head = b""
    while len(head) < _HEAD:
        more = stream.read(_HEAD - len(head))
        if not more:
            break
        head += more
    return head, _Rejoined(head, stream)


def _kind(head: bytes, kinds: tuple[_Kind, ...]) -> _Kind | None:
    """The kind of ``kinds`` whose magic ``head`` holds, if any."""
    return next((k for k in kinds if head[k.at:k.at + len(k.magic)] == k.magic), None)


def _inside(outer: _Kind, stream: Any, name: str) -> _Kind | None:
    """What a bzip2, xz or zstd file holds, when it is an archive or another compression (None:
    XML, something else, or unknown: a zstd file not named as a tar, a corrupt file)."""
    opener = _OPENERS.get(outer)
    if opener is None:  # zstd
        return _TAR if name.lower().endswith(_ZSTD_TAR) else None
    try:
        with opener(stream) as unpacked:
            head, _ = _take_head(unpacked)
    except (OSError, EOFError, lzma.LZMAError, zlib.error):
        return None
    return _kind(head, _ARCHIVES + _COMPRESSIONS)


def _beside(src: str, suffix: str, other: str) -> str:
    """``src`` without ``suffix`` (in any letter case), or with ``other`` added when it does not end so:
    the file a decompression of ``src`` writes."""
    if src.lower().endswith(suffix) and len(src) > len(suffix) and not src[:-len(suffix)].endswith("/"):
        return src[:-len(suffix)]
    return src + other


def _command(p: Path, outer: _Kind | None, inner: _Kind | None) -> str:
    """A shell command that gets ``Badges.xml`` out of ``p``, an ``outer`` compression of ``inner``."""
    regular = _regular(p)
    src = str(p) if regular else _PLACEHOLDER
    folder = str(p.parent) if regular and str(p.parent) != "." else ""
    steps = []
    if regular and p.name.lower() in {n.lower() for n in DUMP_NAMES}:  # the dump's own name: free it first
        renamed = str(p.parent / ("Badges.xml" + (inner.suffix if inner else "") + (outer.suffix if outer else "")))
        steps.append(f"mv {shlex.quote(src)} {shlex.quote(renamed)}")
        src = renamed
    if inner is _TAR or (inner in _ARCHIVES and outer is None):  # GNU tar reads a compressed tar as it is
        into = inner.into.format(shlex.quote(folder)) if folder else ""
        steps.append(inner.tool.format(src=shlex.quote(src), into=into))
    elif inner in _ARCHIVES and outer:  # a compressed 7z or zip: decompress, then extract
        middle = _beside(src, outer.suffix, inner.suffix) if regular else f"archive{inner.suffix}"
        into = inner.into.format(shlex.quote(folder)) if folder else ""
        steps.append(f"{outer.tool} {shlex.quote(src)} > {shlex.quote(middle)}")
        steps.append(inner.tool.format(src=shlex.quote(middle), into=into))
    elif outer:
        out = _beside(src, outer.suffix, inner.suffix if inner else ".xml") if regular else "Badges.xml"
        steps.append(f"{outer.tool} {shlex.quote(src)} > {shlex.quote(out)}")
        if inner is not None:  # compressed twice
            steps.append(f"{inner.tool} {shlex.quote(out)} > {shlex.quote(_beside(out, inner.suffix, '.xml'))}")
    return " && ".join(steps)


def _regular(p: Path) -> bool:
    """True when ``p`` names a regular file a command can be given: not a pipe or a device, nor
    a process's file descriptor (``/dev/stdin``, ``/dev/fd/0``, ``/proc/self/fd/0``: a regular
    file only while standard input is redirected from it)."""
    if Path(os.path.abspath(p)).parts[1:2] in (("dev",), ("proc",)):
        return False
    try:
        return stat.S_ISREG(p.stat().st_mode)
    except OSError:
        return False


def _refusal(p: Path, outer: _Kind | None, inner: _Kind | None) -> str:
    """What ``p`` is (an ``outer`` compression of ``inner``) and how to get ``Badges.xml`` out of it."""
    if outer is None:
        what = f"{inner.article} {inner.name}" if inner else "a file"
    else:
        held = (inner.name if inner in _ARCHIVES else f"{inner.name}-compressed file") if inner else "file"
        what = f"{outer.article} {outer.name}-compressed {held}"
    if inner is _EMPTY_ZIP:
        return f"{what}, not XML: it holds no file, so no Badges.xml"
    how = "extract Badges.xml from it first" if inner in _ARCHIVES else "decompress it first"
    text = f"{what}, not XML: {how}, e.g. `{_command(p, outer, inner)}`"
    if outer is _ZSTD and inner is None:  # not looked inside: it may be a compressed tar
        text += f" (or, if it is a compressed tar, `{_command(p, None, _TAR)}`)"
    if not _regular(p):
        text += (f", where {_PLACEHOLDER} is the file that was fed into {p} (a pipe, a device or standard input, "
                 "which leaves no file to extract from; save what fed it to a file first if there is none)")
    return text


@contextmanager
def open_dump(p: Path) -> Iterator[BinaryIO]:
    """``p`` opened for reading bytes, decompressed if it is gzip (by its leading bytes, not its name).

    The leading bytes are read, not sought back over: a pipe (``--data <(7z e -so ...)``,
    /dev/stdin) cannot seek, and gives them in as many pieces as its writer wrote.

    Raises:
        InvalidInput: ``p`` is an archive, or compressed other than by gzip, or a gzip-compressed
            archive (saying which, and giving a command that gets ``Badges.xml`` out of it).
        OSError, EOFError, zlib.error: ``p`` cannot be opened, or is a broken gzip file.
    """
    with ExitStack() as stack:
        head, stream = _take_head(stack.enter_context(p.open("rb")))
        outer = _kind(head, _COMPRESSIONS)
        if outer is _GZIP:
            head, stream = _take_head(stack.enter_context(_OPENERS[_GZIP](stream)))
            inner = _kind(head, _ARCHIVES + _COMPRESSIONS)
        elif outer is not None:
            inner = _inside(outer, stream, p.name)
        else:
            inner = _kind(head, _ARCHIVES)
        if (outer is None or outer is _GZIP) and inner is None:
            yield cast(BinaryIO, stream)
            return
        raise InvalidInput(_refusal(p, outer, inner), file=str(p))
