"""Badge images: a generated SVG and PNG per badge, and baked downloads of an award.

The generated SVG is a disc in the colour of the badge's spine layer with the
badge name and its layer and domain; ``badge_png`` (made with ``pypng``, no
text) is the same disc, and ``named_badge_png`` (Pillow) adds the name.
Organisations may upload their own image (``validate_upload``: PNG re-encoded,
SVG reduced to an allow-list); ``artwork`` picks the uploaded image or the
generated one, and baked downloads carry it. Baking (Open Badges 2.0 "Baking Specification"; OB 3.0 section
5.3 "Baking") puts the award inside the image so that it travels with it:

- OB 2.0 SVG: an ``<openbadges:assertion verify="<assertion URL>">`` element
  (namespace ``http://openbadges.org``); OB 2.0 PNG: an ``iTXt`` chunk with the
  keyword ``openbadges`` holding the hosted assertion JSON;
- OB 3.0 SVG: ``<openbadges:credential verify="<VC-JWT>">`` (namespace
  ``https://purl.imsglobal.org/ob/v3p0``); OB 3.0 PNG: an ``iTXt`` chunk with
  the keyword ``openbadgecredential`` holding the VC-JWT.

Reading a baked image (``unbake``, ``sniff``) is ``colearn.openbadges.baked``'s
job (one award per image, the chunks and elements read); both names are
re-exported here.

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
from typing import Any
from xml.sax.saxutils import escape

import png
from openbadgeslib import baking

from colearn.errors import InvalidInput
# re-exported from ``baked``, their old import path
from colearn.openbadges.baked import MAX_ITXT_BYTES as MAX_ITXT_BYTES
from colearn.openbadges.baked import PNG_SIGNATURE as PNG_SIGNATURE
from colearn.openbadges.baked import SVG_ELEMENTS as SVG_ELEMENTS
from colearn.openbadges.baked import sniff as sniff
from colearn.openbadges.baked import unbake as unbake

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


# --------------------------------------------------------------------------
# Badge artwork: uploaded images (validated, SVG sanitised) and a generated
# PNG that shows the badge's name
# --------------------------------------------------------------------------

#: Largest upload accepted, in bytes.
MAX_UPLOAD_BYTES = 512 * 1024
#: Largest PNG accepted, in pixels per side.
MAX_PNG_SIDE = 2048
SVG_XMLNS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: SVG elements kept by ``sanitise_svg`` (shapes, text, paint servers, grouping);
#: anything else (script, foreignObject, image, animation, style, ...) is dropped with its content.
UPLOAD_SVG_ELEMENTS = frozenset((
    "svg g defs title desc symbol use path circle ellipse rect line polyline polygon text tspan "
    "linearGradient radialGradient stop clipPath mask pattern").split())
#: Attributes kept by ``sanitise_svg`` (geometry and presentation; no event handlers, no style).
UPLOAD_SVG_ATTRIBUTES = frozenset((
    "id x y x1 y1 x2 y2 cx cy r rx ry fx fy width height d points viewBox preserveAspectRatio transform "
    "fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin "
    "stroke-dasharray stroke-dashoffset stroke-miterlimit opacity font-family font-size font-weight "
    "font-style text-anchor dominant-baseline letter-spacing offset stop-color stop-opacity gradientUnits "
    "gradientTransform spreadMethod patternUnits patternTransform clip-path clip-rule mask maskUnits "
    "version role aria-label href dx dy rotate textLength lengthAdjust").split())


def validate_png(data: bytes) -> bytes:
    """An uploaded PNG, checked and re-encoded by Pillow (which drops every ancillary
    chunk, so nothing baked or hidden in it survives).

    Raises:
        InvalidInput: larger than ``MAX_UPLOAD_BYTES``, not a PNG, unreadable, or a side
            over ``MAX_PNG_SIDE`` pixels.
    """
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the image has {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,} are accepted")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidInput("not a PNG image (the file does not start with the PNG signature)")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if max(img.size) > MAX_PNG_SIDE:
                raise InvalidInput(f"the image is {img.size[0]} x {img.size[1]} pixels; at most "
                                   f"{MAX_PNG_SIDE} per side are accepted")
            img.load()
            out = io.BytesIO()
            img.convert("RGBA").save(out, format="PNG", optimize=True)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"the PNG cannot be read: {exc}") from exc
    return out.getvalue()


def _safe_value(name: str, value: str) -> bool:
    low = "".join(value.split()).lower()
    if name == "href":
        return value.startswith("#")
    if "javascript:" in low or "data:" in low or "expression(" in low:
        return False
    return "url(" not in low or all(part.startswith("#") for part in low.split("url(")[1:])


def sanitise_svg(data: bytes) -> bytes:
    """An uploaded SVG reduced to an allow-list of elements (``UPLOAD_SVG_ELEMENTS``) and
    attributes (``UPLOAD_SVG_ATTRIBUTES``): scripts, event handlers, styles, external
    references (``href`` other than ``#fragment``, ``url()`` other than ``url(#..)``),
    ``javascript:`` and ``data:`` values are removed. Parsed with ``defusedxml``
    (no entities, no external DTDs).

    Raises:
        InvalidInput: too large, not well-formed XML, or its root is not an SVG ``<svg>``.
    """
    import xml.etree.ElementTree as ET

    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the image has {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,} are accepted")
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidInput(f"the SVG cannot be read: {exc}") from exc
    if root.tag != f"{{{SVG_XMLNS}}}svg":
        raise InvalidInput("not an SVG image: the root element must be <svg> in the SVG namespace")

    def local(tag: str) -> tuple[str | None, str]:
        if tag.startswith("{"):
            ns, _, name = tag[1:].partition("}")
            return ns, name
        return None, tag

    def clean(el: ET.Element) -> None:
        for child in list(el):
            ns, name = local(child.tag) if isinstance(child.tag, str) else (None, "")
            if ns != SVG_XMLNS or name not in UPLOAD_SVG_ELEMENTS:
                el.remove(child)
            else:
                clean(child)
        for attr in list(el.attrib):
            ns, name = local(attr)
            keep = (ns is None or (ns == XLINK_NS and name == "href")) and name in UPLOAD_SVG_ATTRIBUTES \
                and _safe_value(name, el.attrib[attr])
            if not keep:
                del el.attrib[attr]

    clean(root)
    ET.register_namespace("", SVG_XMLNS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def validate_upload(data: bytes, media_type: str) -> bytes:
    """An uploaded badge image made safe: ``image/png`` through ``validate_png``,
    ``image/svg+xml`` through ``sanitise_svg``.

    Raises:
        InvalidInput: another media type, or what the two checks raise.
    """
    kind = media_type.split(";")[0].strip().lower()
    if kind == "image/png":
        return validate_png(data)
    if kind == "image/svg+xml":
        return sanitise_svg(data)
    raise InvalidInput(f"a badge image is image/png or image/svg+xml, not '{kind or 'unknown'}'",
                       field="Content-Type")


#: The widest (px) a line of the name, and the caption, may be drawn inside the disc's ring.
_NAME_WIDTH, _CAPTION_WIDTH = 196, 124


def _fitted(draw: Any, text: str, kind: str, size: int, width: int) -> Any:
    """The ``png_font`` of ``kind`` at ``size``, or smaller (down to 9 px) for ``text`` to fit ``width``."""
    from colearn.openbadges.fonts import png_font

    wide = draw.textlength(text, font=png_font(kind, size))
    return png_font(kind, size if wide <= width else max(9, int(size * width / wide)))


@lru_cache(maxsize=256)
def named_badge_png(name: str, layer: str | None, caption: str = "") -> bytes:
    """A 256 x 256 RGBA PNG (Pillow): a disc in the layer's colour with the badge name
    (up to three lines; a line too wide for the disc drawn smaller) and a caption, as
    ``badge_svg`` draws it, in DejaVu Sans (``png_font``)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, 248, 248), fill=layer_colour(layer))
    draw.ellipse((24, 24, 232, 232), outline=(255, 255, 255, 204), width=4)
    lines = _lines(name)
    start = 128 - 14 * (len(lines) - 1)
    for i, line in enumerate(lines):
        draw.text((128, start + 28 * i), line, font=_fitted(draw, line, "title", 22, _NAME_WIDTH), fill="white",
                  anchor="ms")
    if caption:
        draw.text((128, 212), caption, font=_fitted(draw, caption, "caption", 13, _CAPTION_WIDTH), fill="white",
                  anchor="ms")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def uploaded_artwork(store, badge_id: str) -> tuple[str, bytes] | None:
    """A badge's uploaded image as ``("png" | "svg", bytes)``, or None without one."""
    import base64

    from colearn.graph.badge_images import badge_image

    uploaded = badge_image(store, badge_id)
    if uploaded is None:
        return None
    return ("png" if uploaded[0] == "image/png" else "svg"), base64.b64decode(uploaded[1])


def uploaded_kind(store, badge_id: str) -> str | None:
    """The kind (``png`` or ``svg``) of a badge's uploaded image, or None without one:
    the kind its image is published in, so that the published URL answers the
    uploaded bytes (``Publisher`` builds the documents' image URLs from it)."""
    from colearn.graph.badge_images import badge_image

    uploaded = badge_image(store, badge_id)
    if uploaded is None:
        return None
    return "png" if uploaded[0] == "image/png" else "svg"


def png_as_svg(data: bytes) -> bytes:
    """An SVG showing a PNG exactly: one ``<image>`` of its pixels (a ``data:`` URI)
    at the PNG's own size, so a PNG upload can be published and baked as SVG."""
    import base64

    width, height = png.Reader(bytes=data).read()[:2]
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (f'<svg xmlns="{SVG_XMLNS}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<image width="{width}" height="{height}" href="{uri}"/></svg>').encode("utf-8")


def artwork(store, badge_id: str, name: str, layer: str | None, caption: str, kind: str) -> bytes:
    """A badge's image as ``kind`` (``png`` or ``svg``): the one rule for the artwork in
    use, which the published image URLs, ``/ob/v2/badges/{id}/image.{kind}`` and baked
    downloads all follow. The uploaded image when it has one: as uploaded in its own
    kind, a PNG upload as SVG through ``png_as_svg``; else (and for an SVG upload asked
    as PNG: nothing rasterises SVG here) the generated one showing the badge's name
    (``named_badge_png`` / ``badge_svg``). Publish in ``uploaded_kind`` to show the
    upload everywhere."""
    uploaded = uploaded_artwork(store, badge_id)
    if uploaded is not None and uploaded[0] == kind:
        return uploaded[1]
    if uploaded is not None and uploaded[0] == "png" and kind == "svg":
        return png_as_svg(uploaded[1])
    return named_badge_png(name, layer, caption) if kind == "png" else badge_svg(name, layer, caption)
