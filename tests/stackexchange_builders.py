"""Small Stack Exchange dumps cut from the bundled AI site, written where a test wants them."""

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
