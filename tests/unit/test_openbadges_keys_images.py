"""Issuer keys (files, modes, races) and badge images (escaping, baking round trips); no store."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from defusedxml.minidom import parseString

from colearn.errors import InvalidInput
from colearn.openbadges import images
from colearn.openbadges.keys import KeyStore


def test_racing_key_stores_agree_on_one_key(tmp_path: Path) -> None:
    found: list[bytes] = []

    def make() -> None:
        found.append(KeyStore(tmp_path).issuer_key("org-1").public_pem)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1
    files = list((tmp_path / "issuer-keys").iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "issuer-keys").stat().st_mode) == 0o700
    assert files[0].read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_key_file_names_cannot_escape_the_folder(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    for org in ("../../etc/passwd", "a/b", ".", ""):
        assert keys.key_path(org).parent == tmp_path / "issuer-keys"
    assert keys.key_path("a") != keys.key_path("b")
    assert KeyStore(tmp_path).recipient_pepper() == keys.recipient_pepper()


def test_badge_svg_escapes_text_and_bakes(tmp_path: Path) -> None:
    svg = images.badge_svg('Tom & Jerry <script>"quoted"</script> and a very long name indeed', "leadership",
                           "Skills: <Leadership>")
    doc = parseString(svg)
    assert doc.getElementsByTagName("script") == []
    assert "Tom & Jerry" in doc.documentElement.toxml().replace("&amp;", "&")
    assert images.layer_colour("leadership") == "#c8553d" and images.layer_colour("mastery").startswith("#")
    baked = images.bake_ob3_svg(svg, '{"a": 1}')
    assert images.unbake(baked) == ("3.0", '{"a": 1}')
    with pytest.raises(InvalidInput, match="not a PNG or SVG"):
        images.unbake(b"GIF89a")
    with pytest.raises(InvalidInput, match="no Open Badges"):
        images.unbake(svg)


@pytest.mark.parametrize("char", ["\u00e9", "\u00dc", "\u2013", "\u201c", "\u201d", "\u0142", "\u00df"])
def test_the_generated_png_draws_latin_letters_and_punctuation_not_boxes(char: str) -> None:
    """The PNG's font drew a box for any character outside ASCII ("Caf\u25a1 Barista"):
    each of these, drawn alone as the name, must differ from a code point no font has."""
    from colearn.openbadges.images import named_badge_png

    missing = named_badge_png("\U0010fffd", "skills")
    assert named_badge_png("\U0010fffe", "skills") == missing  # every missing glyph is the same box
    assert named_badge_png(char, "skills") != missing, f"U+{ord(char):04X} is drawn as the missing-glyph box"


def test_the_png_font_is_matplotlibs_dejavu_sans_with_its_licence() -> None:
    from colearn.openbadges.fonts import PNG_FONTS, png_font_path

    for kind in PNG_FONTS:
        path = png_font_path(kind)
        assert path.is_file() and path.name.startswith("DejaVuSans")
        assert (path.parent / "LICENSE_DEJAVU").is_file()
