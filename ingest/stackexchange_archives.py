"""A Stack Exchange dump file opened as XML bytes: ``Badges.xml`` as it is, decompressed, or
read out of the archive it came in; or refused saying what is wrong with it.

A dump is ``Badges.xml``, as it is or compressed by gzip, bzip2 or xz (``Badges.xml.gz``), or
the ``Badges.xml`` member of an archive the dump is published and passed around in: a 7z,
zip or tar archive, as it is or compressed by gzip, bzip2 or xz (``beer.stackexchange.com.7z``,
``ai.tar.xz``, ``ai.7z.gz``). ``open_dump`` tells them apart by their leading bytes, never by
the name. The member is found by its last path part in any letter case
(``beer.stackexchange.com/Badges.xml`` counts). A tar is read as a stream; a zip or 7z
archive needs a file it can seek in, so one that comes through a pipe (``--data <(cat
ai.7z)``) or inside a compression is first copied to a temporary file, and a 7z archive's
``Badges.xml`` is extracted into a temporary folder (deleted when the file is closed).

Refused, naming the file: an archive without a ``Badges.xml`` member (listing what it holds)
or with more than one (naming them), a damaged or cut-short archive or compression, and what
the standard library cannot read before Python 3.14, zstd (a file compressed twice, too), with
a command that decompresses it. A pipe has no file to name in a command, so there the
command says ``ARCHIVE`` and the message says what that stands for.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import os
import shlex
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from colearn.errors import InvalidInput

__all__ = ["ARCHIVE_SUFFIXES", "DUMP_NAMES", "READ_SUFFIXES", "archive_suffix", "dump_archives", "open_dump",
           "skipped_archives"]

#: The names of a site's dump (in any letter case; a folder holding more than one is refused:
#: ``stackexchange_xml.find_dump``).
DUMP_NAMES = ("Badges.xml", "Badges.xml.gz", "Badges.xml.bz2", "Badges.xml.xz")

_CONTAINERS = (".7z", ".zip", ".tar")
#: Name endings of the archives a folder's dump is read from (``dump_archives``): a 7z, zip or
#: tar archive, as it is or compressed by gzip, bzip2 or xz.
READ_SUFFIXES = (*_CONTAINERS, ".tgz", ".tbz", ".tbz2", ".txz",
                 *(a + c for a in _CONTAINERS for c in (".gz", ".bz2", ".xz")))
#: Name endings of every archive or compressed file a dump comes in: ``READ_SUFFIXES`` and those
#: a folder's dump is not read from (``skipped_archives``): zstd, and bzip2 or xz files whose
#: name says no archive.
ARCHIVE_SUFFIXES = (*READ_SUFFIXES, ".bz2", ".xz", ".zst", ".tzst", *(a + ".zst" for a in _CONTAINERS))
#: Bytes looked at to tell what a file is (a tar header block).
_HEAD = 512
#: What stands for the file in a command when the dump came through a pipe.
_PLACEHOLDER = "ARCHIVE"
#: Members named in a refusal of an archive without ``Badges.xml``.
_LISTED = 5


@dataclass(frozen=True)
class _Kind:
    """An archive or a compression, told by ``magic`` at byte ``at``.

    ``tool``: for a tar, the command that extracts ``Badges.xml`` (``{src}``: the archive,
    ``{into}``: the option naming the folder to extract into, or nothing); for a compression,
    the command that writes the decompressed bytes to stdout, without the file.
    """

    magic: bytes
    article: str
    name: str
    suffix: str
    tool: str = ""
    at: int = 0
    into: str = ""


_SEVEN_Z = _Kind(b"7z\xbc\xaf\x27\x1c", "a", "7z archive", ".7z")
_ZIP = _Kind(b"PK\x03\x04", "a", "zip archive", ".zip")
_EMPTY_ZIP = _Kind(b"PK\x05\x06", "an", "empty zip archive", ".zip")
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
#: How to open each compression the standard library reads.
_OPENERS: dict[_Kind, Callable[[Any], Any]] = {
    _GZIP: lambda f: gzip.GzipFile(fileobj=f, mode="rb"), _BZIP2: bz2.BZ2File, _XZ: lzma.LZMAFile}
#: Names that say a zstd file holds a tar.
_ZSTD_TAR = (".tar.zst", ".tzst")
#: What the standard library's readers raise on a damaged or cut-short file (py7zr's errors are
#: caught where it is imported: ``_seven_z_member``); ValueError covers a member name that does
#: not decode, NotImplementedError a zip of a version or method zipfile does not read.
_BROKEN = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, tarfile.TarError, ValueError,
           NotImplementedError)
#: ``errno`` values that say the temporary copy could not be written (no room, a size limit, no
#: permission), not that the archive is damaged (``_unreadable``).
_TEMP_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS})


def archive_suffix(name: str) -> str:
    """The longest of ``ARCHIVE_SUFFIXES`` that ``name`` ends in (any letter case), as ``name``
    writes it: ``.tar.xz`` for ``ai.tar.xz``, ``.7z`` for ``Beer.stackexchange.com.7z``; ``""``
    for none or for the whole name."""
    low = name.lower()
    size = max((len(s) for s in ARCHIVE_SUFFIXES if low.endswith(s) and len(low) > len(s)), default=0)
    return name[len(name) - size:] if size else ""


def _archive_names(folder: Path) -> list[str]:
    """The names of the files in ``folder`` ending in ``ARCHIVE_SUFFIXES`` (any letter case) that
    are neither hidden nor one of ``DUMP_NAMES``, sorted (none when it cannot be listed)."""
    dumps = {n.lower() for n in DUMP_NAMES}
    try:
        return sorted(f.name for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")
                      and f.name.lower() not in dumps and archive_suffix(f.name))
    except OSError:
        return []


def dump_archives(folder: Path) -> list[str]:
    """The names of the archives in ``folder`` that a dump is read from (by suffix:
    ``READ_SUFFIXES``, any letter case), sorted; none when it cannot be listed."""
    return [n for n in _archive_names(folder) if n.lower().endswith(READ_SUFFIXES)]


def skipped_archives(folder: Path) -> list[str]:
    """The names of the other archives and compressed files in ``folder`` (by suffix:
    ``ARCHIVE_SUFFIXES`` but not ``READ_SUFFIXES``, nor one of ``DUMP_NAMES``), sorted: files no
    reader opens as a folder's dump (none when it cannot be listed)."""
    return [n for n in _archive_names(folder) if not n.lower().endswith(READ_SUFFIXES)]


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


def _beside(src: str, suffix: str, other: str) -> str:
    """``src`` without ``suffix`` (in any letter case), or with ``other`` added when it does not end so:
    the file a decompression of ``src`` writes."""
    if src.lower().endswith(suffix) and len(src) > len(suffix) and not src[:-len(suffix)].endswith("/"):
        return src[:-len(suffix)]
    return src + other


def _command(p: Path, outer: _Kind, inner: _Kind | None) -> str:
    """A shell command that gets ``Badges.xml`` out of ``p``, an ``outer`` compression of ``inner``
    (a tar, another compression, or None: XML or unknown)."""
    regular = _regular(p)
    src = str(p) if regular else _PLACEHOLDER
    folder = str(p.parent) if regular and str(p.parent) != "." else ""
    steps = []
    if regular and p.name.lower() in {n.lower() for n in DUMP_NAMES}:  # the dump's own name: free it first
        renamed = str(p.parent / ("Badges.xml" + (inner.suffix if inner else "") + outer.suffix))
        steps.append(f"mv {shlex.quote(src)} {shlex.quote(renamed)}")
        src = renamed
    if inner is _TAR:  # GNU tar reads a compressed tar as it is
        steps.append(_TAR.tool.format(src=shlex.quote(src), into=_TAR.into.format(shlex.quote(folder)) if folder else ""))
    else:
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


def _what(outer: _Kind | None, inner: _Kind | None) -> str:
    """An ``outer`` compression of ``inner`` in words: ``a zip archive``, ``an xz-compressed tar
    archive``, ``a bzip2-compressed file`` (``inner`` None: XML or unknown)."""
    if outer is None:
        return f"{inner.article} {inner.name}" if inner else "a file"
    held = (inner.name if inner in _ARCHIVES else f"{inner.name}-compressed file") if inner else "file"
    return f"{outer.article} {outer.name}-compressed {held}"


def _refusal(p: Path, outer: _Kind, inner: _Kind | None) -> str:
    """What ``p`` is (an ``outer`` compression of ``inner``, one of them zstd) and how to get
    ``Badges.xml`` out of it."""
    how = "extract Badges.xml from it first" if inner is _TAR else "decompress it first"
    text = f"{_what(outer, inner)}, not XML: {how}, e.g. `{_command(p, outer, inner)}`"
    if outer is _ZSTD and inner is None:  # not looked inside: it may be a compressed tar
        text += f" (or, if it is a compressed tar, `{_command(p, outer, _TAR)}`)"
    if not _regular(p):
        text += (f", where {_PLACEHOLDER} is the file that was fed into {p} (a pipe, a device or standard input, "
                 "which leaves no file to extract from; save what fed it to a file first if there is none)")
    return text


def _is_badges(name: str) -> bool:
    """True for an archive member named ``Badges.xml`` in any letter case, in any folder."""
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lower() == "badges.xml"


def _the_member(p: Path, what: str, names: list[str]) -> str:
    """The one name of ``names`` (an archive's files) that is ``Badges.xml`` (``_is_badges``).

    Raises:
        InvalidInput: none is (listing the first ``_LISTED`` names), or more than one (naming each).
    """
    found = [n for n in names if _is_badges(n)]
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidInput(f"{what} that holds {len(found)} files named Badges.xml ({', '.join(found)}): "
                           "extract the one that is the site's dump and give that", file=str(p))
    listed = ", ".join(names[:_LISTED]) + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")
    held = f"it holds: {listed}" if names else "it holds no file"
    raise InvalidInput(f"{what} that holds no Badges.xml ({held})", file=str(p))


def _temp_dir(stack: ExitStack) -> Path:
    """A new temporary folder, deleted when ``stack`` closes."""
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="colearn-dump-")))


def _tar_member(stack: ExitStack, p: Path, what: str, stream: Any) -> BinaryIO:
    """The ``Badges.xml`` member of the tar ``stream``, read as a stream to its end (to see every
    member) and copied to a temporary file on the way."""
    copy = _temp_dir(stack) / "Badges.xml"
    names: list[str] = []
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if not member.isfile():
                continue
            names.append(member.name)
            if _is_badges(member.name) and not copy.exists():
                with cast(BinaryIO, tar.extractfile(member)) as src, copy.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    _the_member(p, what, names)
    return cast(BinaryIO, stack.enter_context(copy.open("rb")))


def _zip_member(stack: ExitStack, p: Path, what: str, source: BinaryIO) -> BinaryIO:
    """The ``Badges.xml`` member of the zip archive ``source``, read as it is decompressed
    (``zipfile`` errors on a damaged one are ``open_dump``'s to word)."""
    archive = stack.enter_context(zipfile.ZipFile(source))
    name = _the_member(p, what, [i.filename for i in archive.infolist() if not i.is_dir()])
    try:
        return cast(BinaryIO, stack.enter_context(archive.open(name)))
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, or a compression zipfile does not read
        raise InvalidInput(f"cannot read: {what} ({exc})", file=str(p)) from exc


def _seven_z_member(stack: ExitStack, p: Path, what: str, source: BinaryIO) -> BinaryIO:
    """The ``Badges.xml`` member of the 7z archive ``source``, extracted into a temporary folder."""
    import py7zr  # not needed by any other input: loaded only for a 7z archive

    into = _temp_dir(stack)
    try:
        archive = stack.enter_context(py7zr.SevenZipFile(source, mode="r"))
        name = _the_member(p, what, [f.filename for f in archive.list() if f.is_file])
        archive.extract(path=into, targets=[name])
    except InvalidInput:
        raise
    except py7zr.exceptions.PasswordRequired as exc:
        raise InvalidInput(f"cannot read: {what} that is encrypted (a password is needed): extract Badges.xml "
                           "with the password first", file=str(p)) from exc
    except py7zr.exceptions.UnsupportedCompressionMethodError as exc:
        raise InvalidInput(f"cannot read: {what} compressed by a method py7zr does not read: extract Badges.xml "
                           "with 7-Zip first (7z x ARCHIVE Badges.xml)", file=str(p)) from exc
    except OSError as exc:
        raise _unreadable(p, what, exc) from exc
    except Exception as exc:  # noqa: BLE001 - py7zr parses an untrusted file: any error of it means damaged
        raise InvalidInput(f"cannot read: {what}, damaged or cut short ({type(exc).__name__})",
                           file=str(p)) from exc
    # py7zr writes a member named /x/Badges.xml to <into>/x/Badges.xml: never a path outside ``into``
    extracted = (into / name.replace("\\", "/").lstrip("/")).resolve()
    if not extracted.is_relative_to(into.resolve()) or not extracted.is_file():
        raise InvalidInput(f"cannot read: {what}: its member {name!r} was not extracted within a temporary "
                           "folder", file=str(p))
    return cast(BinaryIO, stack.enter_context(extracted.open("rb")))


def _unreadable(p: Path, what: str, exc: Exception) -> InvalidInput:
    """Why ``p`` (``what`` it is) could not be read: a temporary copy that could not be written
    (``_TEMP_ERRNOS``: no room, a size limit, no permission; naming the folder and ``TMPDIR``), or
    a damaged or cut-short file."""
    if isinstance(exc, OSError) and exc.errno in _TEMP_ERRNOS:
        return InvalidInput(f"cannot read: {what}: its Badges.xml could not be copied to a temporary folder "
                            f"({tempfile.gettempdir()}: {exc.strerror}); set TMPDIR to a folder with room for it",
                            file=str(p))
    return InvalidInput(f"cannot read: {what}, damaged or cut short ({exc})", file=str(p))


def _seekable(stack: ExitStack, stream: Any, raw: Any) -> BinaryIO:
    """``raw`` (the file as opened) from its start when it can seek and ``stream`` is all of it,
    else ``stream`` copied to a temporary file (a pipe, or what a compression holds)."""
    if raw is not None and raw.seekable():
        raw.seek(0)
        return cast(BinaryIO, raw)
    spool = cast(BinaryIO, stack.enter_context(tempfile.TemporaryFile(prefix="colearn-dump-")))
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool


def _xml(stack: ExitStack, p: Path, what: str, kind: _Kind | None, stream: Any, raw: Any) -> BinaryIO:
    """``stream``, ``what`` ``p`` is once decompressed, as XML bytes: as it is (``kind`` None), or
    its ``kind`` archive's ``Badges.xml`` member (``raw``: the file as opened, when ``stream`` is
    all of it)."""
    if kind is None:
        return cast(BinaryIO, stream)
    if kind is _TAR:
        return _tar_member(stack, p, what, stream)
    source = _seekable(stack, stream, raw)
    return (_seven_z_member if kind is _SEVEN_Z else _zip_member)(stack, p, what, source)


@contextmanager
def open_dump(p: Path) -> Iterator[BinaryIO]:
    """``p`` opened for reading the XML bytes of a ``Badges.xml``: ``p`` as it is, decompressed
    (gzip, bzip2, xz), or its archive's ``Badges.xml`` member (7z, zip, tar, each as it is or
    compressed), told by its leading bytes, not its name.

    The leading bytes are read, not sought back over: a pipe (``--data <(cat ai.7z)``,
    /dev/stdin) cannot seek, and gives them in as many pieces as its writer wrote. Temporary
    files (a zip or 7z archive from a pipe or a compression, a tar's or a 7z's member) are
    deleted when the context closes.

    Raises:
        InvalidInput: ``p`` is zstd-compressed or compressed twice (saying so, with a command that
            gets ``Badges.xml`` out of it), an archive without a ``Badges.xml`` member (listing what
            it holds) or with more than one (naming them), or a damaged or cut-short archive or
            compression (``cannot read``, saying what it is), also when found while its bytes are read.
        OSError: ``p`` cannot be opened or read (XML as it is).
    """
    with ExitStack() as stack:
        raw = stack.enter_context(p.open("rb"))
        head, stream = _take_head(raw)
        inner = _kind(head, _ARCHIVES)
        # a tar's first bytes are its first member's name, which may begin like a compression ("BZh...")
        outer = None if inner is _TAR else _kind(head, _COMPRESSIONS)
        if outer is _ZSTD:
            inner = _TAR if p.name.lower().endswith(_ZSTD_TAR) else None  # not looked inside
            raise InvalidInput(_refusal(p, outer, inner), file=str(p))
        if outer is None and inner is None:  # XML as it is
            yield cast(BinaryIO, stream)
            return
        try:
            if outer is not None:
                head, stream = _take_head(stack.enter_context(_OPENERS[outer](stream)))
                inner = _kind(head, _ARCHIVES + _COMPRESSIONS)
                if inner in _COMPRESSIONS:
                    raise InvalidInput(_refusal(p, outer, inner), file=str(p))
            yield _xml(stack, p, _what(outer, inner), inner, stream, raw if outer is None else None)
        except _BROKEN as exc:
            raise _unreadable(p, _what(outer, inner), exc) from exc
