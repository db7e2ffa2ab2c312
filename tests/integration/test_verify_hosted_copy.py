"""``POST /verify`` of an OB 2.0 hosted assertion given by value or baked in a PNG: the
hosted copy is authoritative (OB 2.0 HostedBadge), so a copy that differs from it in
any top-level member fails the ``hosted`` check with code ``tampered``, naming the
members; an untampered copy, in another JSON form or as the images this service bakes,
still verifies. Awards are made through the API, on both engines."""

from __future__ import annotations

import copy
import json
import struct
import zlib
from typing import Any

import png
import pytest

from tests.integration import test_assertions_api as assertions_api
from tests.integration.test_assertions_api import EMAIL, award
from tests.openbadges_builders import BASE

#: The issuing API's client and keys per role (its fixture, shared).
api = assertions_api.api

#: A change a learner could make to the hosted assertion, per kind of member.
TAMPERS = {
    "evidence": lambda d: d["evidence"][0].update(narrative="Led the whole project alone"),
    "narrative": lambda d: d.update(narrative="Awarded with distinction"),
    "image": lambda d: d.update(image="https://elsewhere.example/forged.png"),
    "alignment": lambda d: d.update(alignment=[{"targetName": "Surgery", "targetUrl": "https://elsewhere.example/s"}]),
    "verification": lambda d: d["verification"].update(allowedOrigins=["elsewhere.example"]),
}


def _awarded(api) -> tuple[Any, dict[str, Any]]:
    client, keys = api
    a = award(client, keys["college"], recipient={"type": "email", "identity": EMAIL},
              evidence_url="https://ex.org/work", narrative="Built the club's website")
    r = client.get(f"/ob/v2/assertions/{a['id']}")
    assert r.status_code == 200 and r.json()["evidence"][0]["narrative"] == "Built the club's website", r.text
    return client, r.json()


def _hosted_check(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == "hosted")


def _rewrite_chunk(image: bytes, text: str) -> bytes:
    """The PNG with its ``openbadges`` iTXt chunk's text replaced by ``text`` (other chunks kept)."""
    chunks, found = [], 0
    for tag, data in png.Reader(bytes=image).chunks():
        if tag == b"iTXt" and data.startswith(b"openbadges\0"):
            data, found = b"openbadges\0\0\0\0\0" + text.encode("utf-8"), found + 1
        chunks.append((tag, data))
    assert found == 1, "the baked PNG carries one openbadges iTXt chunk"
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    for tag, data in chunks:
        out += struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return bytes(out)


@pytest.mark.parametrize("member", sorted(TAMPERS))
def test_a_tampered_hosted_copy_fails_naming_the_member(api, member: str) -> None:
    client, hosted = _awarded(api)
    forged = copy.deepcopy(hosted)
    TAMPERS[member](forged)
    report = client.post("/verify", json={"document": forged, "identity": EMAIL}).json()
    check = _hosted_check(report)
    assert report["valid"] is False and report["failed"] == ["hosted"], report
    assert check["code"] == "tampered" and check["detail"] == f"differs from the hosted assertion in: {member}", check
    # the hosted copy itself, as given, still verifies
    assert client.post("/verify", json={"document": hosted, "identity": EMAIL}).json()["valid"] is True


def test_a_member_dropped_or_several_changed_are_all_named(api) -> None:
    client, hosted = _awarded(api)
    forged = {k: v for k, v in hosted.items() if k != "evidence"}
    forged["narrative"] = "Awarded with distinction"
    check = _hosted_check(client.post("/verify", json={"document": forged}).json())
    assert (check["ok"], check["code"]) == (False, "tampered")
    assert check["detail"] == "differs from the hosted assertion in: evidence, narrative", check


def test_a_baked_png_with_a_rewritten_chunk_fails(api) -> None:
    client, hosted = _awarded(api)
    image = client.get(f"/ob/v2/assertions/{hosted['id'].rsplit('/', 1)[1]}/baked.png").content
    forged = copy.deepcopy(hosted)
    TAMPERS["evidence"](forged)
    report = client.post(f"/verify?identity={EMAIL}", content=_rewrite_chunk(image, json.dumps(forged)),
                         headers={"Content-Type": "image/png"}).json()
    assert report["valid"] is False and report["baked_in"] == "png" and report["failed"] == ["hosted"], report
    assert _hosted_check(report)["detail"] == "differs from the hosted assertion in: evidence"
    # the same rewrite with the hosted JSON, its keys in another order and spaced out, verifies
    same = json.dumps(dict(reversed(list(hosted.items()))), indent=4)
    report = client.post(f"/verify?identity={EMAIL}", content=_rewrite_chunk(image, same),
                         headers={"Content-Type": "image/png"}).json()
    assert report["valid"] is True and report["baked_in"] == "png", report


def test_an_untampered_copy_verifies_in_every_form_it_travels_in(api) -> None:
    client, hosted = _awarded(api)
    aid = hosted["id"].rsplit("/", 1)[1]
    for ext, kind in (("png", "image/png"), ("svg", "image/svg+xml")):  # the images this service bakes
        image = client.get(f"/ob/v2/assertions/{aid}/baked.{ext}")
        report = client.post(f"/verify?identity={EMAIL}", content=image.content, headers={"Content-Type": kind}).json()
        assert report["valid"] is True and report["baked_in"] == ext, report
    # JSON-LD forms that say the same: a list of the one context and type, the same instant
    # spelt +00:00, the OB 1.1 name of the verification type, the award's other baked image
    same = {**hosted, "@context": [hosted["@context"]], "type": [hosted["type"]],
            "issuedOn": hosted["issuedOn"].replace("Z", "+00:00"), "verification": {"type": "hosted"},
            "image": f"{BASE}/ob/v2/assertions/{aid}/baked.svg"}
    report = client.post("/verify", json={"document": same, "identity": EMAIL}).json()
    assert report["valid"] is True and _hosted_check(report)["detail"] == f"hosted at {hosted['id']}", report
    # another award's baked image is not this one's
    other = award(client, api[1]["college"], badge="web", recipient={"type": "email", "identity": "bo@example.org"})
    report = client.post("/verify", json={"document": {**hosted, "image": other["links"]["baked_png"]}}).json()
    assert _hosted_check(report)["detail"] == "differs from the hosted assertion in: image", report
