"""The fonts the generated PNG badge images are drawn in (``images.named_badge_png``).

DejaVu Sans (Bold for the badge name), as matplotlib, a dependency, ships it in
``mpl-data/fonts/ttf`` with its licence (``LICENSE_DEJAVU`` there: free to use and
redistribute); it is read from the installed package, never fetched. It draws
Latin-1, Latin Extended-A, Greek, Cyrillic and the common punctuation (en dash,
curly quotes), where Pillow's own default font draws ASCII only and shows a box
for any other character.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["PNG_FONTS", "png_font", "png_font_path"]

#: The font file of each text of a badge image.
PNG_FONTS = {"title": "DejaVuSans-Bold.ttf", "caption": "DejaVuSans.ttf"}


def png_font_path(kind: str) -> Path:
    """The installed file of ``PNG_FONTS[kind]`` (in matplotlib's data).

    Raises:
        KeyError: an unknown ``kind``.
    """
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / PNG_FONTS[kind]


@lru_cache(maxsize=16)
def png_font(kind: str, size: int) -> Any:
    """The ``PNG_FONTS[kind]`` font at ``size`` px (a Pillow ``FreeTypeFont``).

    Raises:
        KeyError: an unknown ``kind``.
        OSError: the font file is missing (a broken matplotlib install).
    """
    from PIL import ImageFont

    return ImageFont.truetype(str(png_font_path(kind)), size)
