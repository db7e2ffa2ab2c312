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
