"""Small Stack Exchange dumps cut from the bundled AI site, written where a test wants them, as
they are or in real archives."""

from __future__ import annotations

import gzip
from pathlib import Path

#: The bundled AI dump (real rows, the current format).
AI = Path(__file__).resolve().parents[1] / "data" / "stackexchange" / "ai" / "Badges.xml"


def small_ai(rows: int = 300) -> str:
    """The AI dump's declaration and its first ``rows`` rows, closed."""
    lines = AI.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[:2 + rows]) + "</badges>\n"


def put(path: Path, text: str | None = None, *, rows: int = 300) -> Path:
    """Write ``text`` (default ``small_ai(rows)``) at ``path``, gzipped when the name ends
    in ``.gz``, making its folders; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (text if text is not None else small_ai(rows)).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.lower().endswith(".gz") else data)
    return path


def archive(path: Path, members: dict[str, bytes], kind: str, compress: str = "") -> Path:
    """Write a real ``kind`` archive (``zip``, ``7z`` or ``tar``) at ``path`` holding ``members``
    (``{member name: bytes}``), compressed by ``compress`` (``gz``, ``bz2``, ``xz`` or nothing: a
    tar by ``tarfile`` itself, a zip or 7z archive as a whole file, as ``ai.7z.gz``); returns ``path``."""
    import bz2
    import io
    import lzma
    import tarfile
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "tar":
        with tarfile.open(path, f"w:{compress}") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data)
    else:
        import py7zr

        with py7zr.SevenZipFile(path, "w") as seven:
            for name, data in members.items():
                seven.writestr(data, name)
    if compress:
        packed = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[compress]
        path.write_bytes(packed(path.read_bytes()))
    return path
