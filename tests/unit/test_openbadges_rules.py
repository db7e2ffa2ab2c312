"""The shared rules of ``openbadges.rules``, ``colearn.identity`` and ``colearn.times``
on their own: date syntax, the IdentityHash form, expiry bounds, image sniffing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from colearn import times
from colearn.identity import IdentityHashError, parse_identity_hash
from colearn.openbadges.images import sniff
from colearn.openbadges.rules import date_problem, hosted_differences, parse_datetime

HASH = "sha256$" + "a" * 64


@pytest.mark.parametrize("value", ["2024-11-08T10:33:30Z", "2024-11-08T10:33:30.5+02:00", "2024-11-08T10:33:30-00:00",
                                   "2024-11-08T10:33:30.123456789Z"])
def test_dateTimeStamp_forms_are_read(value) -> None:
    assert parse_datetime(value).tzinfo is not None


@pytest.mark.parametrize("value", ["2024-11-08T10:33:30+0200", "2024-11-08 10:33:30Z", "2024-W45-5T10:33:30Z",
                                   "2024-313T10:33:30Z", "2024-11-08T10:33:30", "2024-11-08", "20241108T103330Z",
                                   "2024-11-08T10:33:30z", "2024-11-08T10:33:30Z\n", "2024-13-08T10:33:30Z", 1731061000])
def test_other_iso_8601_forms_are_refused(value) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_issue_dates_before_1970_break_the_date_rule_and_far_expiries_are_clamped() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    early = parse_datetime("1969-12-31T23:59:59Z")
    assert date_problem(early, None, now=now, issued_field="issuedOn", expires_field="expires")[0] == "issuedOn"
    assert date_problem(parse_datetime("0001-01-01T00:00:00+14:00"), None, now=now, issued_field="validFrom",
                        expires_field="validUntil")[0] == "validFrom"
    far = parse_datetime("9999-12-31T23:59:59Z")
    assert date_problem(parse_datetime("2024-01-01T00:00:00Z"), far, now=now, issued_field="i",
                        expires_field="e") is None
    assert times.stored_expiry(far) == times.LATEST
    assert times.stored_expiry(parse_datetime("9999-12-31T23:59:59-14:00")) == times.LATEST
    assert times.stored_expiry(parse_datetime("2030-01-01T00:00:00Z")) == datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", [f" {HASH}", f"{HASH} ", f"{HASH}\n", f"\t{HASH}"])
def test_an_identity_hash_has_nothing_around_it(value) -> None:
    with pytest.raises(IdentityHashError, match="spaces"):
        parse_identity_hash(value)
    assert parse_identity_hash(HASH.upper().replace("SHA256", "sha256")) == ("sha256", "a" * 64)


def test_sniff_reads_utf16_svg_by_its_bom_or_xml_declaration() -> None:
    svg = '<?xml version="1.0" encoding="UTF-16"?><svg/>'
    for data in (svg.encode("utf-16"), svg.encode("utf-16-le"), svg.encode("utf-16-be"), svg.encode("utf-8-sig"),
                 b"  <svg/>"):
        assert sniff(data) == "svg", data[:8]
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff('{"a": 1}'.encode("utf-16")) is None and sniff(b"\xef\xbb\xbf{}") is None


@pytest.mark.parametrize("field", ["issuedOn", "recipient.identity", "id"])
def test_a_schema_pattern_holds_to_the_end_of_the_value(field: str) -> None:
    """JSON Schema's ``$`` is the end of the text (ECMA-262); Python's ``re`` also let
    a final newline through, so verify passed what import and ingest refused."""
    import json
    from pathlib import Path

    from colearn.openbadges.schema import ob2_errors

    doc = json.loads((Path(__file__).resolve().parents[1] / "data" / "field-reports" / "r06-sha256-upper.json")
                     .read_text("utf-8"))
    assert ob2_errors(doc, "Assertion") == []
    *head, last = field.split(".")
    target = doc
    for key in head:
        target = target[key]
    target[last] += "\n"
    errors = ob2_errors(doc, "Assertion")
    assert len(errors) == 1 and errors[0].startswith(f"$.{field}:"), errors


def test_hosted_differences_compare_json_values_not_python_ones() -> None:
    hosted = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "issuedOn": "2026-01-02T03:04:05Z",
              "recipient": {"type": "email", "hashed": True, "identity": HASH},
              "image": "https://b.example/ob/v2/assertions/a1/baked.png", "verification": {"type": "HostedBadge"}}
    assert hosted_differences(dict(reversed(list(hosted.items()))), hosted) == []
    same = {**hosted, "@context": [hosted["@context"]], "type": ["Assertion"], "verification": {"type": "hosted"},
            "issuedOn": "2026-01-02T03:04:05.000+00:00", "image": "https://b.example/ob/v2/assertions/a1/baked.svg"}
    assert hosted_differences(same, hosted, images={same["image"]}) == []
    assert hosted_differences(same, hosted) == ["image"]  # only the images the caller names stand for it
    assert hosted_differences({**hosted, "recipient": {**hosted["recipient"], "hashed": 1}}, hosted) == ["recipient"]
    assert hosted_differences({**hosted, "issuedOn": "2026-01-02T03:04:06Z", "expires": None}, hosted) == \
        ["expires", "issuedOn"]
    assert hosted_differences({k: v for k, v in hosted.items() if k != "verification"}, hosted) == ["verification"]


def test_hosted_differences_take_arrays_as_sets_and_a_hash_in_either_case() -> None:
    """JSON-LD arrays are unordered (no OB 2.0 term is an ``@list``), so a reordered
    ``evidence`` or ``alignment`` says the same; ``@context``'s order does count. A hashed
    identity's hex digest names the same hash in upper case; a plaintext one is compared as is."""
    hosted = {"@context": ["https://w3id.org/openbadges/v2", {"x": "https://x.example/"}], "type": "Assertion",
              "recipient": {"type": "email", "hashed": True, "identity": HASH},
              "evidence": [{"id": "https://e.example/1", "narrative": "one"}, {"id": "https://e.example/2"}],
              "badge": "https://b.example/badge", "weight": 2}
    reordered = {**hosted, "evidence": list(reversed(hosted["evidence"])), "weight": 2.0,
                 "recipient": {**hosted["recipient"], "identity": HASH.upper().replace("SHA256$", "sha256$")}}
    assert hosted_differences(reordered, hosted) == []
    assert hosted_differences({**hosted, "@context": list(reversed(hosted["@context"]))}, hosted) == ["@context"]
    assert hosted_differences({**hosted, "evidence": hosted["evidence"][:1] * 2}, hosted) == ["evidence"]
    plain = {**hosted, "recipient": {"type": "email", "hashed": False, "identity": "Ana@example.org"}}
    assert hosted_differences({**plain, "recipient": {**plain["recipient"], "identity": "ana@example.org"}},
                              plain) == ["recipient"]
    assert hosted_differences({**hosted, "weight": True}, {**hosted, "weight": 1}) == ["weight"]
