"""Data bundled with colearn: the learning spine, the demo city and the
Stack Exchange Martial Arts badge dump. Attribution is in ``data/README.md``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled(*parts: str) -> Path:
    """The path of a file or folder inside the bundled ``data/`` folder, e.g.
    ``bundled("stackexchange", "martialarts", "Badges.xml")`` (it need not exist)."""
    return Path(str(resources.files("colearn.data").joinpath(*parts)))
