"""Reading what is baked into a badge image (``unbake``): one award, or a refusal.

Where an award is baked (Open Badges 2.0 "Baking Specification"; OB 3.0
section 5.3 "Baking"):

- PNG: an ``iTXt`` chunk ``openbadgecredential`` (OB 3.0: a VC-JWT or the
  credential's JSON), an ``iTXt`` chunk ``openbadges`` (OB 2.0: the Assertion
  JSON, a signed JWS, or the hosted Assertion's URL). Reading is wider than
  writing: the legacy ``tEXt`` chunk ``openbadges`` (OB 2.0 Baking "Legacy
  PNGs": the assertion URL) is read, and so is its compressed form ``zTXt``
  (PNG 1.2 section 4.2.3: ``tEXt`` and ``zTXt`` hold the same Latin-1 text,
  one deflated; inflated up to ``MAX_ITXT_BYTES`` like a compressed ``iTXt``)
  so that no baked award is left unread; colearn writes ``iTXt`` only.
- SVG: the element found by namespace URI and local name under any prefix
  (``SVG_ELEMENTS``): OB 3.0 ``credential``, OB 2.0 ``assertion``; its
  ``verify`` attribute (a URL, JWS or VC-JWT) and its body (a JSON document,
  which OB 2.0 Baking's example bakes beside a ``verify`` URL) are both read.
  UTF-8 and UTF-16 (XML 1.0 section 4.3.3) are read, found by the byte order
  mark or, without one, by ``<?`` in UTF-16 (XML 1.0 appendix F).

One award per image: each Baking specification allows one ``openbadges``
(one ``openbadgecredential``) chunk per PNG and one element per SVG, so an
image whose baked values name different awards, in one version or across
versions, is refused rather than one picked. Values are the same award when
they name the same id (``award_id``: a URL value is its own id; a JSON
document's ``id``; a JWS's payload ``id``, or ``jti`` or ``vc.id`` for a
VC-JWT), compared after ``origins.normalised_iri`` (scheme and host case, IDNA,
a default port), and the documents among them (JSON or JWS, not URLs) say the
same (JSON compared as parsed values, a JWS as its text). So a PNG carrying an
award's URL and its hosted JSON holds one award (the JSON is verified), and two
differing copies of one award's document are refused. A value with no id
readable offline is the same only as an identical value. Nothing is fetched:
an OB 2.0 assertion URL and an OB 3.0 credential URL are different ids, so an
image baking one award in both versions under different ids is refused.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

import png
from defusedxml import ElementTree as DefusedET
from openbadgeslib import baking

from colearn.errors import InvalidInput
from colearn.openbadges.origins import normalised_iri
from colearn.openbadges.recognise import segment_json

#: Namespace URI -> OB version of the baked SVG element (OB 2.0 Baking "SVG";
#: OB 3.0 section 5.3): the element is found by namespace URI and local name,
#: whatever prefix the document binds the namespace to.
SVG_ELEMENTS = {(baking.SVG_NS_OB3, "credential"): "3.0", (baking.SVG_NS, "assertion"): "2.0"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest text a compressed PNG ``iTXt`` (or ``zTXt``) chunk may inflate to (as ``openbadgeslib.baking``).
MAX_ITXT_BYTES = baking.MAX_ITXT_DECOMPRESSED
#: Byte order marks and UTF-16 without one (XML 1.0 appendix F: ``<?`` in UTF-16).
_XML_STARTS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
               (b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
#: What a baked value is called in messages, by image kind and version (plural).
_WHERE = {("png", "3.0"): "'openbadgecredential' chunks", ("png", "2.0"): "'openbadges' chunks",
          ("svg", "3.0"): "<credential> elements", ("svg", "2.0"): "<assertion> elements"}


def sniff(data: bytes) -> str | None:
    """``"png"`` (the PNG signature), ``"svg"`` (XML text: UTF-8, or UTF-16 by its
    byte order mark or XML 1.0 appendix F), or None (not an image read here)."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    for start, encoding in _XML_STARTS:
        if data.startswith(start):
            body = data[len(start):] if start[:1] in (b"\xef", b"\xff", b"\xfe") else data
            head = body[:64].decode(encoding, errors="ignore")
            return "svg" if head.lstrip()[:1] == "<" else None
    return "svg" if data.lstrip()[:1] == b"<" else None


def _jws_payload(text: str) -> Any:
    """The JSON payload of a compact JWS, unverified (``recognise.segment_json``), or None."""
    parts = text.split(".")
    return segment_json(parts[1]) if len(parts) == 3 and parts[1] else None


def award_id(text: str) -> str | None:
    """The id of the award a baked value names (``origins.normalised_iri``), or None when
    none can be read offline: an http(s) URL is its own id; a JSON document's ``id``; a
    compact JWS's payload ``id``, else its ``jti`` or ``vc.id`` (a VC-JWT, VC-JWT 1.1)."""
    value = text.strip()
    ident: Any = None
    if value.startswith("{"):
        try:
            doc = json.loads(value)
        except ValueError:
            return None
        ident = doc.get("id") if isinstance(doc, dict) else None
    elif value.lower().startswith(("http://", "https://")):
        ident = value
    elif isinstance(payload := _jws_payload(value), dict):
        vc = payload.get("vc")
        ident = payload.get("id") or payload.get("jti") or (vc.get("id") if isinstance(vc, dict) else None)
    return normalised_iri(ident) if isinstance(ident, str) and ident.strip() else None


@dataclass(frozen=True)
class _Baked:
    """One baked value: its OB version, where it was found (``_WHERE``), its text."""

    version: str
    where: str
    text: str

    @property
    def id(self) -> str | None:
        return award_id(self.text)

    @property
    def is_reference(self) -> bool:
        """A bare URL (names the award, carries none of it)."""
        return self.text.strip().lower().startswith(("http://", "https://"))

    @property
    def content(self) -> str:
        """The document as compared: parsed JSON in a canonical form, else the text."""
        text = self.text.strip()
        if text.startswith("{"):
            try:
                return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
            except ValueError:
                pass
        return text


def _what(items: list[_Baked]) -> str:
    wheres = list(dict.fromkeys(i.where for i in items))
    return wheres[0] if len(wheres) == 1 else f"awards ({' and '.join(wheres)})"


def _one_award(items: list[_Baked]) -> tuple[str, str] | None:
    """The one award ``items`` bake (module docstring), as ``(version, text)``: a document
    rather than a bare URL; OB 3.0's before OB 2.0's.

    Raises:
        InvalidInput: they name different awards, or differing documents of one.
    """
    if not items:
        return None
    groups: dict[str, list[_Baked]] = {}
    for item in items:
        groups.setdefault(item.id or f"text:{item.content}", []).append(item)
    rule = ("the Open Badges Baking specifications allow one award per image (OB 2.0 Baking; OB 3.0 section "
            "5.3), so which one it holds is unclear")
    if len(groups) > 1:
        ids = [k for k in groups if not k.startswith("text:")]
        named = f" (ids {', '.join(i[:120] for i in ids)})" if ids else ""
        raise InvalidInput(f"the image carries {len(groups)} different {_what(items)}{named}: {rule}",
                           field="image")
    documents = list({i.content: i for i in items if not i.is_reference}.values())
    if len(documents) > 1:
        raise InvalidInput(f"the image carries {len(documents)} different {_what(documents)} for one award "
                           f"({(items[0].id or '')[:120]}): {rule}", field="image")
    chosen = documents[0] if documents else items[0]
    return chosen.version, chosen.text.strip()


def _svg_baked(image: bytes) -> list[_Baked]:
    """Every baked element's ``verify`` attribute and body text, OB 3.0's first. Parsed
    with ``defusedxml`` (no DTDs, entities or external references), UTF-8 or UTF-16."""
    root = DefusedET.fromstring(image)
    found: list[_Baked] = []
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag.startswith("{"):
            continue
        ns, _, local = tag[1:].partition("}")
        version = SVG_ELEMENTS.get((ns.rstrip("/"), local))
        if version is None:
            continue
        for value in (el.get("verify"), "".join(el.itertext())):
            if value and value.strip():
                found.append(_Baked(version, _WHERE["svg", version], value.strip()))
    return sorted(found, key=lambda b: b.version != "3.0")


def _inflate(data: bytes, chunk: str) -> bytes:
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_ITXT_BYTES + 1)
    if len(text) > MAX_ITXT_BYTES or inflater.unconsumed_tail:
        raise InvalidInput(f"a compressed {chunk} chunk inflates beyond {MAX_ITXT_BYTES:,} bytes", field="image")
    return text


def _itxt_text(data: bytes) -> str | None:
    """The text of an ``iTXt`` chunk's body after its keyword (PNG 1.2 section 4.2.3.3)."""
    if len(data) < 2:
        return None
    flag, rest = data[0], data[2:]
    _, sep_lang, rest = rest.partition(b"\0")
    _, sep_trans, text = rest.partition(b"\0")
    if not (sep_lang and sep_trans):
        return None
    return (_inflate(text, "iTXt") if flag else text).decode("utf-8").strip()


def _png_baked(image: bytes) -> list[_Baked]:
    """Every ``openbadgecredential`` ``iTXt`` and ``openbadges`` ``iTXt`` / ``tEXt`` /
    ``zTXt`` chunk (PNG 1.2 section 4.2.3), OB 3.0's first, each in file order."""
    found: list[_Baked] = []
    for tag, data in png.Reader(bytes=image).chunks():
        if tag == b"IEND":
            break
        key, sep, body = data.partition(b"\0")
        version = {baking.ITXT_KEYWORD_OB3: "3.0", baking.ITXT_KEYWORD: "2.0"}.get(key) if sep else None
        if version is None:
            continue
        if tag == b"iTXt":
            text = _itxt_text(body)
        elif version == "2.0" and tag == b"tEXt":
            text = body.decode("latin-1").strip()
        elif version == "2.0" and tag == b"zTXt" and body[:1] == b"\0":  # method 0: deflate
            text = _inflate(body[1:], "zTXt").decode("latin-1").strip()
        else:
            continue
        if text:
            found.append(_Baked(version, _WHERE["png", version], text))
    return sorted(found, key=lambda b: b.version != "3.0")


def unbake(image: bytes) -> tuple[str, str]:
    """The award baked into a PNG or SVG (module docstring): ``("3.0" | "2.0", text)``.

    Raises:
        InvalidInput: not a PNG or SVG, unreadable, nothing baked into it, or baked
            values that name different awards (or differing copies of one), field ``image``.
    """
    kind = sniff(image)
    try:
        if kind == "png":
            found = _one_award(_png_baked(image))
        elif kind == "svg":
            found = _one_award(_svg_baked(image))
        else:
            raise InvalidInput("not a PNG or SVG image")
    except InvalidInput:
        raise
    except Exception as exc:  # malformed XML or PNG chunks, forbidden XML constructs
        raise InvalidInput(f"the image cannot be read: {exc}") from exc
    if found is None:
        raise InvalidInput("no Open Badges assertion or credential is baked into this image")
    return found


__all__ = ["MAX_ITXT_BYTES", "PNG_SIGNATURE", "SVG_ELEMENTS", "award_id", "sniff", "unbake"]
