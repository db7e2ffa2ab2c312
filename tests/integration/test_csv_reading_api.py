"""A bulk award CSV read the same way over HTTP (``POST /organisations/{org}/assertions/csv``)
and by the CLI's reader (``colearn issue --csv FILE --encoding NAME``, ``domain.awards.award_csv``)
(field reports R26, R27): only character encodings are honoured as a declared charset,
UTF-16/32 without a BOM are big-endian, records are RFC 4180 (quoted line breaks kept, lines
physical), and every form of CSV body is held to the same size and line limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from colearn.cli import app as cli_app
from colearn.config import get_settings
from colearn.domain import awards as issuing
from colearn.errors import InvalidInput
from colearn.graph.falkordb_store import EmbeddedFalkorDB
from colearn.graph.store import GraphStore
from colearn.service import guard
from colearn.text import UnknownCharset
from tests.integration import test_field_reports as field_reports

api = field_reports.api  # the fixture: the app on a seeded city (``college`` defines ``web``)
CSV = "/organisations/college/assertions/csv"
NOT_CHARSETS = ("hex", "base64", "rot13", "zlib", "bz2", "uu", "quopri", "unicode_escape", "raw_unicode_escape",
                "idna", "punycode", "undefined", "charmap")


def _post(client: TestClient, keys: dict, body: bytes, kind: str | None = "text/csv", **params):
    headers = {**keys["college"], **({"Content-Type": kind} if kind is not None else {})}
    return client.post(CSV, content=body, params=params, headers=headers)


def _narratives(store: GraphStore) -> list[str]:
    return [r["n"] for r in store.read("MATCH (a:Assertion) RETURN a.evidence_narrative AS n ORDER BY n")]


def test_a_charset_that_is_no_character_encoding_is_415_naming_charset(api, store: GraphStore) -> None:
    client, keys = api
    quiet = TestClient(client.app, raise_server_exceptions=False)
    for name in NOT_CHARSETS:
        r = _post(quiet, keys, b"email,badge_id,narrative\nq@example.org,web,Zo\\u00eb\n", f"text/csv; charset={name}")
        assert r.status_code == 415, (name, r.status_code, r.text[:300])
        assert r.json()["errors"][0]["field"] == "charset" and name in r.json()["detail"], r.text
    assert _narratives(store) == []
    ok = _post(client, keys, b"email,badge_id,narrative\nq@example.org,web,Zo\\u00eb\n", "text/csv; charset=us-ascii")
    assert ok.status_code == 201 and _narratives(store) == ["Zo\\u00eb"], ok.text


def test_the_cli_reader_refuses_the_same_charsets_naming_encoding(store: GraphStore, tmp_path: Path) -> None:
    field_reports.seed_issuing_city(store)
    path = tmp_path / "a.csv"
    path.write_bytes(b"email,badge_id,narrative\nq@example.org,web,Zo\\u00eb\n")
    for name in NOT_CHARSETS:
        with pytest.raises(UnknownCharset) as err:
            issuing.award_csv(store, "college", path, pepper=b"p", encoding=name)
        assert err.value.field == "--encoding" and name in str(err.value)


def test_colearn_issue_csv_with_such_an_encoding_is_an_error_naming_encoding(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLEARN_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    path = tmp_path / "a.csv"
    path.write_bytes(b"email,badge_id\nq@example.org,web\n")
    try:
        for name in ("hex", "unicode_escape"):
            result = CliRunner().invoke(cli_app, ["issue", "--org", "college", "--csv", str(path), "--encoding", name,
                                                  "--dry-run"])
            assert result.exit_code == 1 and "--encoding" in result.output and name in result.output, result.output
            assert "Traceback" not in result.output and "LookupError" not in result.output
    finally:
        EmbeddedFalkorDB.for_data_dir(tmp_path / "data").stop()
        get_settings.cache_clear()


CSV_WITH_BREAKS = ('email,badge_id,narrative\r\n'
                   'q@example.org,web,"line one\nline two"\r\n'
                   'r@example.org,web,"crlf\r\nkept"\r\n'
                   's@example.org,web,a\u2028b\x85c\x0cd\x1ce\r\n')


def test_quoted_line_breaks_are_kept_and_only_cr_lf_end_a_record_over_http(api, store: GraphStore) -> None:
    client, keys = api
    r = _post(client, keys, CSV_WITH_BREAKS.encode(), "text/csv; charset=utf-8")
    assert r.status_code == 201, r.text
    assert _narratives(store) == ["a\u2028b\x85c\x0cd\x1ce", "crlf\r\nkept", "line one\nline two"]
    # a refused row is named by the physical line it starts on, as an editor shows it
    bad = ('email,badge_id,narrative\n"t@example.org",web,"one\ntwo\nthree"\nu@example.org,nope\x85,x\n'
           "v@example.org,,x\n")
    r = _post(client, keys, bad.encode(), dry_run="true")
    assert r.status_code == 200 and [e["record"] for e in r.json()["refused"]] == [5, 6], r.text


def test_the_cli_reader_keeps_quoted_line_breaks_too(store: GraphStore, tmp_path: Path) -> None:
    field_reports.seed_issuing_city(store)
    path = tmp_path / "breaks.csv"
    path.write_bytes(CSV_WITH_BREAKS.encode("utf-8"))
    report = issuing.award_csv(store, "college", path, pepper=b"p")
    assert not report.refused and _narratives(store) == ["a\u2028b\x85c\x0cd\x1ce", "crlf\r\nkept",
                                                         "line one\nline two"]
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_bytes(b'email,badge_id,narrative\nw@example.org,web,"oops\nx@example.org,web,x\n')
    with pytest.raises(InvalidInput) as err:
        issuing.award_csv(store, "college", unclosed, pepper=b"p")
    assert err.value.record == 2 and "never closed" in str(err.value)


def _over_the_line_limit(end: bytes) -> bytes:
    return b"email,badge_id" + end + (b",web" + end) * (guard.MAX_CSV_LINES + 10)


@pytest.mark.parametrize("form", ["cr", "text/plain", "application/csv", "no type", "json", "utf-16"])
def test_every_csv_body_is_held_to_the_line_limit(api, form: str) -> None:
    client, keys = api
    body, kind = _over_the_line_limit(b"\n"), "text/csv"
    if form == "cr":
        body = _over_the_line_limit(b"\r")
    elif form in ("text/plain", "application/csv"):
        kind = form
    elif form == "no type":
        kind = None
    elif form == "json":
        body, kind = json.dumps(body.decode()).encode(), "application/json"
    elif form == "utf-16":
        body, kind = body.decode().encode("utf-16-be"), "text/csv; charset=utf-16"
    r = _post(client, keys, body, kind, dry_run="true")
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json"), r.text[:300]
    assert f"{guard.MAX_CSV_LINES:,}" in r.json()["detail"], r.text


def test_every_csv_body_is_held_to_the_same_size_limit(api) -> None:
    client, keys = api
    between = b"email,badge_id,narrative\nq@example.org,web," + b"x" * (guard.MAX_OTHER_BYTES + 10) + b"\n"
    for kind in ("text/csv", "text/plain", "application/csv", None):
        r = _post(client, keys, between, kind, dry_run="true")
        assert r.status_code == 422 and "line 2" in r.json()["detail"], (kind, r.status_code, r.text[:300])
    over = b"email,badge_id\n" + b"x" * guard.MAX_CSV_BYTES
    for kind in ("text/csv", "text/plain", "application/csv", None, "application/json"):
        assert _post(client, keys, over, kind, dry_run="true").status_code == 413, kind


@pytest.mark.parametrize("declared", ["utf-16", "UTF-32"])
def test_utf16_and_utf32_without_a_bom_read_big_endian_over_http_and_by_the_cli(api, store: GraphStore, tmp_path: Path,
                                                                               declared: str) -> None:
    client, keys = api
    text = "email,badge_id,narrative\n{}@example.org,web,Zoë\n"
    forms = [f"{declared}-be", f"{declared}-le", declared]  # big-endian without a BOM (RFC 2781 4.3); a BOM followed
    for i, codec in enumerate(forms):
        r = _post(client, keys, ("\ufeff" if codec.endswith("-le") else "").encode(codec) + text.format(f"h{i}").encode(codec),
                  f"text/csv; charset={declared}")
        assert r.status_code == 201, (codec, r.text)
        path = tmp_path / f"{i}.csv"
        path.write_bytes(("\ufeff" if codec.endswith("-le") else "").encode(codec) + text.format(f"c{i}").encode(codec))
        report = issuing.award_csv(store, "college", path, pepper=b"p", encoding=declared)
        assert not report.refused, (codec, report.refused)
    assert _narratives(store) == ["Zoë"] * 2 * len(forms)
