"""The origin rule (``rules.hosted_origin_problem``: host and port, IDNA, URLs parsers
read alike) and the one-award rule of baked images (``images.unbake``), as functions."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest

from colearn.errors import InvalidInput
from colearn.openbadges import images
from colearn.openbadges.rules import hosted_origin_problem, image_problem


def assertion(aid: str, issuer: str = "https://issuer.example/issuer", allowed: Any = None) -> dict[str, Any]:
    profile: dict[str, Any] = {"id": issuer, "type": "Profile"}
    if allowed is not None:
        profile["verification"] = {"allowedOrigins": allowed}
    return {"id": aid, "badge": {"id": "https://issuer.example/badges/1", "issuer": profile}}


@pytest.mark.parametrize("doc, words", [
    (assertion("https://issuer.example:8443/a"), "issuer.example:8443"),
    (assertion("https://issuer.example/a", "https://issuer.example:8443/i"), "issuer.example:8443"),
    (assertion("https://lms.example:9999/a", allowed="lms.example"), "lms.example:9999"),
    (assertion("https://evil.example\\@issuer.example/a"), "'id'"),
    (assertion("https://issuer.example/a", "https://evil.example\\@issuer.example/i"), "'badge.issuer.id'"),
    (assertion("https://user@issuer.example/a"), "user information"),
])
def test_origin_problems(doc, words) -> None:
    problem = hosted_origin_problem(doc)
    assert problem is not None and words in problem, problem


@pytest.mark.parametrize("doc", [
    assertion("https://lms.example:8443/a", allowed=["lms.example:8443"]),
    assertion("https://bücher.example/a", "https://xn--bcher-kva.example/i"),
    assertion("https://xn--bcher-kva.example:8443/a", allowed="BÜCHER.example:8443"),
])
def test_one_origin_spelled_otherwise(doc) -> None:
    assert hosted_origin_problem(doc) is None


def test_an_image_url_parsers_read_differently_is_refused() -> None:
    assert "backslash" in (image_problem("https://evil.example\\@issuer.example/i.png") or "")
    assert image_problem("https://issuer.example/i.png") is None


def _chunk(image: bytes, tag: bytes, data: bytes) -> bytes:
    chunk = struct.pack("!I", len(data)) + tag + data + struct.pack("!I", zlib.crc32(tag + data))
    return image[:-12] + chunk + image[-12:]


def _itxt(image: bytes, keyword: bytes, text: str) -> bytes:
    return _chunk(image, b"iTXt", keyword + b"\0\0\0\0\0" + text.encode())


OB2 = json.dumps({"@context": "https://w3id.org/openbadges/v2", "id": "https://issuer.example/a/1"})
OB3 = json.dumps({"id": "urn:uuid:5b8a8b5e-4f0b-4d8e-9f7e-2d7c1a0b3c4d", "type": ["VerifiableCredential"]})


def test_two_awards_across_versions_are_refused() -> None:
    png = _itxt(_itxt(images.badge_png(None), b"openbadgecredential", OB3), b"openbadges", OB2)
    with pytest.raises(InvalidInput, match="2 different awards"):
        images.unbake(png)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><credential xmlns="https://purl.imsglobal.org/ob/v3p0">'
           f'<![CDATA[{OB3}]]></credential><assertion xmlns="http://openbadges.org" verify="https://x.example/a"/>'
           '</svg>')
    with pytest.raises(InvalidInput, match="2 different awards"):
        images.unbake(svg.encode())


def test_the_same_award_twice_is_one_and_its_document_is_read() -> None:
    for first, second in (("https://ISSUER.example:443/a/1", OB2), (OB2, "https://issuer.example/a/1"),
                          (OB2, json.dumps(json.loads(OB2), indent=2))):
        png = _itxt(_itxt(images.badge_png(None), b"openbadges", first), b"openbadges", second)
        assert images.unbake(png) == ("2.0", OB2) or json.loads(images.unbake(png)[1]) == json.loads(OB2)
    ztxt = b"openbadges\0\0" + zlib.compress(b"https://issuer.example/a/1")
    assert images.unbake(_chunk(images.badge_png(None), b"zTXt", ztxt)) == ("2.0", "https://issuer.example/a/1")


def test_url_problems_names_every_url_member_parsers_read_differently() -> None:
    from colearn.openbadges.rules import url_problems

    doc = {"id": "https://evil.example\\@issuer.example/a", "verify": {"url": "https://issuer.example/\tk"},
           "badge": {"issuer": {"id": "urn:uuid:5b8a8b5e-4f0b-4d8e-9f7e-2d7c1a0b3c4d", "url": "https://ok.example"},
                     "evidence": ["https://ok.example/e", {"id": "https://me@evil.example/e"}]},
           "narrative": "https://a b \\ not a URL member"}
    assert [where for where, _ in url_problems(doc)] == ["$.id", "$.verify.url", "$.badge.evidence[1].id"]
