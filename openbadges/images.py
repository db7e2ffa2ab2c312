"""Badge images: a generated SVG and PNG per badge, and baked downloads of an award.

The generated SVG is a disc in the colour of the badge's spine layer with the
badge name and its layer and domain; the PNG (made with ``pypng``, no text) is
the same disc. Baking (Open Badges 2.0 "Baking Specification"; OB 3.0 section
5.3 "Baking") puts the award inside the image so that it travels with it:

- OB 2.0 SVG: an ``<openbadges:assertion verify="<assertion URL>">`` element
  (namespace ``http://openbadges.org``); OB 2.0 PNG: an ``iTXt`` chunk with the
  keyword ``openbadges`` holding the hosted assertion JSON;
- OB 3.0 SVG: ``<openbadges:credential verify="<VC-JWT>">`` (namespace
  ``https://purl.imsglobal.org/ob/v3p0``); OB 3.0 PNG: an ``iTXt`` chunk with
  the keyword ``openbadgecredential`` holding the VC-JWT.

Reading is wider than writing, as the Baking specifications allow: an SVG
element is found by its namespace URI under any prefix (``ob:assertion`` is
the same element), and a PNG's legacy ``tEXt`` ``openbadges`` chunk is read.

Baking and extraction use ``openbadgeslib.baking`` (it strips active content
from SVGs and bounds decompression); ``openbadges-bakery`` does the OB 2.0
half of the same with an older API (file objects, temp files) and is not
needed.
"""

from __future__ import annotations

import hashlib
import io
import math
from functools import lru_cache
from xml.sax.saxutils import escape

import png
from defusedxml import ElementTree as DefusedET
from openbadgeslib import baking

from colearn.errors import InvalidInput

#: Fill colour per spine layer (by id); other layers get a colour from their id.
LAYER_COLOURS = {
    "engagement": "#2a9d8f",
    "participation": "#457b9d",
    "demonstration": "#e9a23b",
    "leadership": "#c8553d",
}
_PALETTE = ("#6d597a", "#355070", "#b56576", "#588157", "#bc6c25")
SIZE = 256


def layer_colour(layer: str | None) -> str:
    """The colour of a spine layer (``#rrggbb``)."""
    if layer in LAYER_COLOURS:
        return LAYER_COLOURS[layer]
    digest = hashlib.sha256((layer or "").encode("utf-8")).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]


def _lines(text: str, width: int = 16, most: int = 3) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "\u2026"
    return lines


def badge_svg(name: str, layer: str | None, caption: str = "") -> bytes:
    """A 256 x 256 SVG: a disc in the layer's colour, the badge name, and a caption
    (e.g. ``Skills: Demonstration``)."""
    colour = layer_colour(layer)
    lines = _lines(name)
    start = 128 - 14 * (len(lines) - 1)
    text = "".join(f'<tspan x="128" y="{start + 28 * i}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 256 256" '
        f'role="img" aria-label="{escape(name, {chr(34): "&quot;"})}">'
        f'<circle cx="128" cy="128" r="120" fill="{colour}"/>'
        '<circle cx="128" cy="128" r="104" fill="none" stroke="#ffffff" stroke-width="4" opacity="0.8"/>'
        '<text font-family="sans-serif" font-size="22" font-weight="bold" fill="#ffffff" '
        f'text-anchor="middle">{text}</text>'
        '<text x="128" y="212" font-family="sans-serif" font-size="13" fill="#ffffff" '
        f'text-anchor="middle">{escape(caption)}</text></svg>'
    ).encode("utf-8")


@lru_cache(maxsize=32)
def badge_png(layer: str | None) -> bytes:
    """A 256 x 256 RGBA PNG: a disc in the layer's colour on a transparent ground."""
    colour = layer_colour(layer)
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    rows = []
    for y in range(SIZE):
        row = bytearray(SIZE * 4)
        dy = y - 127.5
        half = math.sqrt(max(0.0, 120.0 ** 2 - dy * dy))
        for x in range(int(128 - half), int(128 + half)):
            row[4 * x:4 * x + 4] = bytes((r, g, b, 255))
        rows.append(row)
    out = io.BytesIO()
    png.Writer(SIZE, SIZE, greyscale=False, alpha=True).write(out, rows)
    return out.getvalue()


def bake_ob2_svg(svg: bytes, assertion_url: str) -> bytes:
    """OB 2.0 baked SVG: ``<openbadges:assertion verify="<hosted assertion URL>">``."""
    return baking.bake_svg(svg, assertion_url)


def bake_ob2_png(image: bytes, assertion_json: str) -> bytes:
    """OB 2.0 baked PNG: the hosted assertion JSON in an ``openbadges`` iTXt chunk."""
    return baking.bake_png(image, assertion_json)


def bake_ob3_svg(svg: bytes, credential: str) -> bytes:
    """OB 3.0 baked SVG: the VC-JWT in ``<openbadges:credential verify=...>`` (or, for a
    Data Integrity JSON document, as the element's text)."""
    as_text = credential.lstrip().startswith("{")
    return baking.bake_svg(svg, credential, element=baking.SVG_ELEMENT_OB3, namespace=baking.SVG_NS_OB3,
                           as_text=as_text)


def bake_ob3_png(image: bytes, credential: str) -> bytes:
    """OB 3.0 baked PNG: the credential in an ``openbadgecredential`` iTXt chunk."""
    return baking.bake_png(image, credential, keyword=baking.ITXT_KEYWORD_OB3)


#: Namespace URI -> OB version of the baked SVG element (OB 2.0 Baking "SVG";
#: OB 3.0 section 5.3): the element is found by namespace URI and local name,
#: whatever prefix the document binds the namespace to.
SVG_ELEMENTS = {(baking.SVG_NS_OB3, "credential"): "3.0", (baking.SVG_NS, "assertion"): "2.0"}


def _svg_baked(image: bytes) -> tuple[str, str] | None:
    """The first baked element's ``verify`` attribute or, for an OB 3.0 Data
    Integrity credential, its text; OB 3.0 first. Parsed with ``defusedxml``
    (no DTDs, entities or external references)."""
    root = DefusedET.fromstring(image)
    found: dict[str, str] = {}
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag.startswith("{"):
            continue
        ns, _, local = tag[1:].partition("}")
        version = SVG_ELEMENTS.get((ns.rstrip("/"), local))
        if version is None or version in found:
            continue
        value = el.get("verify")
        if value is None:
            value = "".join(el.itertext()).strip() or None
        if value:
            found[version] = value.strip()
    for version in ("3.0", "2.0"):
        if version in found:
            return version, found[version]
    return None


def _png_text_chunk(image: bytes, keyword: bytes) -> str | None:
    """The legacy ``tEXt`` chunk ``keyword`` (Latin-1, OB 2.0 Baking: readers may
    accept it; colearn writes ``iTXt`` only)."""
    for tag, data in png.Reader(bytes=image).chunks():
        if tag == b"tEXt":
            key, sep, text = data.partition(b"\0")
            if sep and key == keyword:
                return text.decode("latin-1").strip() or None
        if tag == b"IEND":
            break
    return None


def unbake(image: bytes) -> tuple[str, str]:
    """What is baked into a PNG or SVG: ``("3.0" | "2.0", text)``; OB 3.0 first.

    PNG: the ``iTXt`` chunk ``openbadgecredential`` (OB 3.0), else ``iTXt``
    ``openbadges`` (OB 2.0), else a legacy ``tEXt`` ``openbadges`` chunk (read,
    never written). SVG: the element by namespace URI, any prefix.

    Raises:
        InvalidInput: not a PNG or SVG, unreadable, or nothing baked into it.
    """
    try:
        if image.startswith(b"\x89PNG\r\n\x1a\n"):
            found = baking.extract_png(image, keyword=baking.ITXT_KEYWORD_OB3)
            if found:
                return "3.0", found
            found = baking.extract_png(image) or _png_text_chunk(image, baking.ITXT_KEYWORD)
            if found:
                return "2.0", found
        elif image.lstrip()[:1] == b"<":
            baked = _svg_baked(image)
            if baked:
                return baked
        else:
            raise InvalidInput("not a PNG or SVG image")
    except InvalidInput:
        raise
    except Exception as exc:  # malformed XML or PNG chunks, forbidden XML constructs
        raise InvalidInput(f"the image cannot be read: {exc}") from exc
    raise InvalidInput("no Open Badges assertion or credential is baked into this image")
