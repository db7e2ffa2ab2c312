"""R05 (origins), R11 / R13 (baked images), second round: every reader (POST /verify,
the portfolio import, ``ingest openbadges``) compares origins by host AND port, in
IDNA ASCII, and refuses URLs that RFC 3986 and WHATWG parsers read differently; an
image holds one award across OB versions, and the same award baked twice is one."""

from __future__ import annotations

import copy
import struct
import zlib
from typing import Any

import pytest

from colearn.ingest.openbadges import parse_openbadges_document
from colearn.openbadges.images import badge_png
from tests.integration import test_field_reports as field_reports
from tests.integration.test_field_reports import (_award_badge, _award_web, _verify_image, _write, check, import_,
                                                  load, verify)
from tests.integration.test_field_reports_ingest import _ingest_refusal
from tests.integration.test_field_reports_rules import _with_itxt

api = field_reports.api  # the fixture: the app on a seeded city


def external(assertion_id: str, issuer_id: str = "https://issuer.example/issuer",
             allowed: Any = None) -> dict[str, Any]:
    """Another issuer's hosted OB 2.0 assertion for ``EMAIL`` (embedded BadgeClass and issuer)."""
    doc = copy.deepcopy(load("other-embedded-badgeclass-no-context.json"))
    doc["id"], doc["badge"]["issuer"]["id"] = assertion_id, issuer_id
    if allowed is not None:
        doc["badge"]["issuer"]["verification"] = {"type": "VerificationObject", "allowedOrigins": allowed}
    return doc


def refused_everywhere(api, store, tmp_path, doc: dict[str, Any], words: str, field: str = "id") -> None:
    """``doc``'s hosted check fails (code origin, ``words`` in it); an import answers 422 and
    ingest refuses it, naming ``field``."""
    client, keys = api
    hosted = check(verify(client, doc), "hosted")
    assert hosted["ok"] is False and hosted["code"] == "origin" and words in hosted["detail"], hosted
    r = import_(client, keys, doc)
    assert r.status_code == 422 and words in r.json()["detail"], r.text
    assert words in _ingest_refusal(store, tmp_path, client, doc)
    with pytest.raises(Exception) as err:
        parse_openbadges_document(_write(tmp_path, doc))
    assert getattr(err.value, "field", None) == "id" and field in str(err.value), err.value


def accepted_everywhere(api, tmp_path, doc: dict[str, Any]) -> None:
    """``doc`` passes the origin rule: the hosted check is not made (no network, None),
    an import takes it and ingest parses it."""
    client, keys = api
    hosted = check(verify(client, doc), "hosted")
    assert hosted["ok"] is None and hosted["code"] != "origin", hosted
    assert import_(client, keys, doc).status_code == 201
    assert parse_openbadges_document(_write(tmp_path, doc)).assertions


# ---------------------------------------------------------------- D7: ports

#: (assertion id, issuer id, allowedOrigins, the origin the refusal names)
OTHER_PORTS = [
    ("https://issuer.example:8443/assertions/p", "https://issuer.example/issuer", None, "issuer.example:8443"),
    ("https://issuer.example/assertions/p", "https://issuer.example:8443/issuer", None, "issuer.example:8443"),
    ("http://issuer.example:443/assertions/p", "https://issuer.example/issuer", None, "issuer.example:443"),
    ("https://lms.example:9999/assertions/p", "https://issuer.example/issuer", ["lms.example"], "lms.example:9999"),
    ("https://lms.example/assertions/p", "https://issuer.example/issuer", ["lms.example:8443"], "lms.example:8443"),
]
#: (assertion id, issuer id, allowedOrigins) on one origin, spelled otherwise
SAME_ORIGIN = [
    ("https://lms.example:8443/assertions/p1", "https://issuer.example/issuer", ["lms.example:8443"]),
    ("https://issuer.example:443/assertions/p2", "https://issuer.example/issuer", None),
    ("https://issuer.example/assertions/p3", "https://ISSUER.example:443/issuer", None),
    ("https://issuer.example:8443/assertions/p4", "https://issuer.example:8443/issuer", None),
    ("https://lms.example:443/assertions/p5", "https://issuer.example/issuer", ["other.example", "LMS.example"]),
]


def test_the_port_is_part_of_the_origin(api, store, tmp_path) -> None:
    for aid, issuer, allowed, words in OTHER_PORTS:
        refused_everywhere(api, store, tmp_path, external(aid, issuer, allowed), words)
    # the scheme's default port, written or not, and an allowed host:port
    for aid, issuer, allowed in SAME_ORIGIN:
        accepted_everywhere(api, tmp_path, external(aid, issuer, allowed))


# ---------------------------------------------------------------- D8: IDN


def test_a_host_in_unicode_and_in_punycode_is_one_origin(api, store, tmp_path) -> None:
    for aid, issuer, allowed in [
        ("https://bücher.example/assertions/1", "https://xn--bcher-kva.example/issuer", None),
        ("https://xn--bcher-kva.example/assertions/2", "https://bücher.example/issuer", None),
        ("https://BÜCHER.example/assertions/3", "https://xn--bcher-kva.example/issuer", None),
        ("https://xn--bcher-kva.example/assertions/4", "https://issuer.example/issuer", ["bücher.example"]),
        ("https://bücher.example/assertions/5", "https://issuer.example/issuer", ["XN--BCHER-KVA.example"]),
    ]:
        accepted_everywhere(api, tmp_path, external(aid, issuer, allowed))
    # and another host is still another origin
    refused_everywhere(api, store, tmp_path,
                       external("https://bucher.example/assertions/6", "https://bücher.example/issuer"),
                       "bucher.example")


# ---------------------------------------------------------------- D9: URLs parsers read differently


@pytest.mark.parametrize("aid, words", [
    ("https://evil.example\\@issuer.example/assertions/bs", "backslash"),
    ("https://issuer.example\\assertions\\bs", "backslash"),
    ("https://issuer.exa\tmple/assertions/bs", "control character"),
    ("https://evil.example@issuer.example/assertions/bs", "user information"),
    ("https://issuer.example@evil.example/assertions/bs", "user information"),
    ("https:issuer.example/assertions/bs", "followed by a host"),
    ("https:///issuer.example/assertions/bs", "followed by a host"),
    ("https://issuer%2Eexample/assertions/bs", "percent-encoded"),
    ("https://2130706433/assertions/bs", "not a dotted-quad"),
])
def test_an_id_that_parsers_read_differently_is_refused_naming_it(api, store, tmp_path, aid, words) -> None:
    refused_everywhere(api, store, tmp_path, external(aid), words)
    assert "'id'" in check(verify(api[0], external(aid)), "hosted")["detail"]


@pytest.mark.parametrize("path, field", [("badge.issuer.id", "'badge.issuer.id'"), ("badge.id", "'badge.id'")])
def test_the_issuer_and_badge_ids_follow_the_same_url_rule(api, store, tmp_path, path, field) -> None:
    doc = external("https://issuer.example/assertions/q")
    target = doc["badge"]["issuer"] if path == "badge.issuer.id" else doc["badge"]
    target["id"] = "https://evil.example\\@issuer.example/x"
    refused_everywhere(api, store, tmp_path, doc, field)


def test_an_allowed_origins_entry_is_a_host_by_the_same_rule(api, store, tmp_path) -> None:
    doc = external("https://lms.example/assertions/q", allowed=["evil.example\\@lms.example"])
    refused_everywhere(api, store, tmp_path, doc, "'badge.issuer.verification.allowedOrigins' has no valid entry")
    # a bad entry beside a good one allows nothing itself
    accepted_everywhere(api, tmp_path, external("https://lms.example/assertions/r",
                                                allowed=["https://lms.example", "lms.example"]))


def test_an_image_url_follows_the_same_url_rule(api) -> None:
    client, _ = api
    doc = external("https://issuer.example/assertions/img")
    doc["badge"]["image"] = "https://evil.example\\@issuer.example/b1.png"
    fmt = check(verify(client, doc), "format")
    assert fmt["ok"] is False and "$.badge.image" in fmt["detail"] and "backslash" in fmt["detail"], fmt


# ---------------------------------------------------------------- D11: one award per image, across versions


def _with_chunk(image: bytes, tag: bytes, data: bytes) -> bytes:
    chunk = struct.pack("!I", len(data)) + tag + data + struct.pack("!I", zlib.crc32(tag + data))
    return image[:-12] + chunk + image[-12:]  # before IEND


def _refused(client, image: bytes, kind: str) -> str:
    r = client.post("/verify", content=image, headers={"Content-Type": kind})
    assert r.status_code == 422, r.text
    return r.json()["detail"]


def test_two_awards_in_two_versions_are_refused(api) -> None:
    client, keys = api
    a, b = _award_web(client, keys), _award_badge(client, keys, "safety")
    token_a = client.get(f"/ob/v3/credentials/{a['id']}/jwt").text
    hosted_b = client.get(f"/ob/v2/assertions/{b['id']}").text
    for ob2 in (b["links"]["ob2"], hosted_b):
        png = _with_itxt(_with_itxt(badge_png(None), b"openbadgecredential", token_a), b"openbadges", ob2)
        detail = _refused(client, png, "image/png")
        assert "2 different awards" in detail and "'openbadges' chunks" in detail, detail
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:c="https://purl.imsglobal.org/ob/v3p0" '
           f'xmlns:o="http://openbadges.org"><c:credential verify="{token_a}"/>'
           f'<o:assertion verify="{b["links"]["ob2"]}"/></svg>')
    assert "2 different awards" in _refused(client, svg.encode(), "image/svg+xml")


def test_the_same_award_baked_twice_is_one(api) -> None:
    client, keys = api
    a = _award_web(client, keys)
    url = a["links"]["ob2"]
    hosted = client.get(f"/ob/v2/assertions/{a['id']}").text
    plain = _with_itxt(badge_png(None), b"openbadges", url)
    for twice in (_with_itxt(plain, b"openbadges", hosted), _with_itxt(plain, b"openbadges", hosted, compressed=True),
                  _with_itxt(_with_itxt(badge_png(None), b"openbadges", hosted), b"openbadges", url)):
        rep = _verify_image(client, twice, "image/png")
        assert rep["valid"] is True and rep["id"] == url, rep
    # the URL spelled another way (host case, the default port) names the same award
    other_spelling = url.replace("https://badges.city.example", "https://BADGES.city.example:443")
    rep = _verify_image(client, _with_itxt(_with_itxt(badge_png(None), b"openbadges", other_spelling),
                                           b"openbadges", hosted), "image/png")
    assert rep["valid"] is True, rep
    # OB 2.0 Baking's own example: the verify URL and, in the body, the assertion JSON
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{url}"><![CDATA[{hosted}]]></openbadges:assertion></svg>')
    rep = _verify_image(client, svg.encode(), "image/svg+xml")
    assert rep["valid"] is True and rep["baked_in"] == "svg", rep


def test_two_copies_of_one_award_that_differ_are_refused(api) -> None:
    client, keys = api
    a, b = _award_web(client, keys), _award_badge(client, keys, "safety")
    url, hosted = a["links"]["ob2"], client.get(f"/ob/v2/assertions/{a['id']}").text
    altered = hosted.replace('"issuedOn"', '"narrative": "not what was issued", "issuedOn"')
    png = _with_itxt(_with_itxt(badge_png(None), b"openbadges", hosted), b"openbadges", altered)
    assert "2 different 'openbadges' chunks for one award" in _refused(client, png, "image/png")
    # an element whose verify URL and body name different awards
    other = client.get(f"/ob/v2/assertions/{b['id']}").text
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{url}"><![CDATA[{other}]]></openbadges:assertion></svg>')
    assert "2 different <assertion> elements" in _refused(client, svg.encode(), "image/svg+xml")


def test_a_ztxt_openbadges_chunk_is_read_and_counts(api) -> None:
    client, keys = api
    a, b = _award_web(client, keys), _award_badge(client, keys, "safety")
    ztxt = b"openbadges\0\0" + zlib.compress(a["links"]["ob2"].encode("latin-1"))
    rep = _verify_image(client, _with_chunk(badge_png(None), b"zTXt", ztxt), "image/png")
    assert rep["valid"] is True and rep["baked_in"] == "png", rep
    # beside another award's iTXt it is a second award, not ignored
    both = _with_itxt(_with_chunk(badge_png(None), b"zTXt", ztxt), b"openbadges", b["links"]["ob2"])
    assert "2 different 'openbadges' chunks" in _refused(client, both, "image/png")
    bomb = b"openbadges\0\0" + zlib.compress(b"x" * (2 * 1024 * 1024))
    assert "inflates beyond" in _refused(client, _with_chunk(badge_png(None), b"zTXt", bomb), "image/png")
