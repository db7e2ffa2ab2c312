"""Reading a bulk award CSV's bytes and text (``colearn.text``, ``domain.award_csv``): which
declared charsets are honoured, UTF-16/32 byte order, RFC 4180 records and physical line
numbers, and which request bodies the guard holds to the CSV limits (``service.guard``)."""

from __future__ import annotations

import csv
import io
import random

import pytest

from colearn.domain.award_csv import parse_award_csv
from colearn.errors import InvalidInput
from colearn.service import guard
from colearn.service.bodies import BodyTooLarge
from colearn.text import CLI_DECLARE, UnknownCharset, count_lines, decode_strict, text_codec

#: Python codecs that are no charset: bytes-to-bytes transforms, Python literals, domain names, ...
NOT_CHARSETS = ("hex", "base64", "rot13", "rot_13", "zlib", "bz2", "uu", "quopri", "quoted-printable",
                "unicode_escape", "raw_unicode_escape", "unicode-escape", "idna", "punycode", "undefined",
                "charmap", "palmos", "base64_codec", "hex_codec")


@pytest.mark.parametrize("name", NOT_CHARSETS)
def test_a_python_codec_that_is_no_charset_is_refused_as_an_unknown_one(name: str) -> None:
    for declare, field in ((None, "charset"), (CLI_DECLARE, "--encoding")):
        kwargs = {"declare": declare} if declare else {}
        with pytest.raises(UnknownCharset) as err:
            decode_strict(b"email,badge_id\nq@example.org,web\n", name, source="a.csv", **kwargs)
        assert err.value.field == field and err.value.file == "a.csv" and name in str(err.value)


def test_unicode_escape_never_rewrites_the_data_and_unknown_names_stay_refused() -> None:
    for name in ("unicode_escape", "no-such-thing", "mbcs", "oem", "aliases", "__init__", "utf-8\x00"):
        with pytest.raises(UnknownCharset):
            decode_strict(b"narrative\nZo\\u00eb\n", name, source="a.csv")
    assert decode_strict(b"narrative\nZo\\u00eb\n", "us-ascii", source="a.csv") == "narrative\nZo\\u00eb\n"


@pytest.mark.parametrize("label, codec", [
    ("utf-8", "utf_8_sig"), ("UTF8", "utf_8_sig"), ("Windows-1252", "cp1252"), ('"cp1252"', "cp1252"),
    ("ISO-8859-1", "latin_1"), ("latin1", "latin_1"), ("ISO_8859-1:1987", "latin_1"), ("US-ASCII", "ascii"),
    ("ISO-8859-15", "iso8859_15"), ("IBM850", "cp850"), ("IBM00858", "cp858"), ("macintosh", "mac_roman"),
    ("Shift_JIS", "shift_jis"), ("Windows-31J", "cp932"), ("EUC-KR", "euc_kr"), ("GB18030", "gb18030"),
    ("KOI8-R", "koi8_r"), ("x-mac-cyrillic", "mac_cyrillic"), ("UTF-16LE", "utf_16_le"), ("utf-7", "utf_7"),
])
def test_charsets_of_the_iana_registry_and_their_aliases_are_honoured(label: str, codec: str) -> None:
    assert text_codec(label, source="a.csv") == codec


@pytest.mark.parametrize("declared, width", [("utf-16", 2), ("UTF-16", 2), ("utf-32", 4), ("utf_32", 4)])
def test_utf16_and_utf32_without_a_bom_are_big_endian_and_a_bom_is_followed(declared: str, width: int) -> None:
    text = "email,badge_id\nzoë@example.org,web\n"
    name = f"utf-{width * 8}"
    assert decode_strict(text.encode(f"{name}-be"), declared, source="a.csv") == text  # RFC 2781 4.3
    for order in ("le", "be"):
        bom = "\ufeff".encode(f"{name}-{order}")
        assert decode_strict(bom + text.encode(f"{name}-{order}"), declared, source="a.csv") == text
    with pytest.raises(InvalidInput):  # little-endian without a BOM is not guessed at: it does not decode
        decode_strict("\u00d8\n".encode(f"{name}-le"), declared, source="a.csv")


def test_a_byte_that_does_not_decode_is_named_by_its_physical_line_and_character_column() -> None:
    cases = [(b"a\rb\r\xe9", 3, 1), (b"a\r\nb\r\nc\xe9", 3, 2), (b"\xc3\xa9\xc3\xa9x\xff", 1, 4),
             ("a\x85b\u2028c\x0cd\n".encode() + b"\xff", 2, 1)]
    for raw, line, col in cases:
        with pytest.raises(InvalidInput) as err:
            decode_strict(raw, source="a.csv")
        assert err.value.record == line and f"line {line}, column {col}:" in str(err.value), (raw, str(err.value))
    with pytest.raises(InvalidInput) as err:  # UTF-16: lines are counted in characters, not 0x0a bytes
        decode_strict("a\u010a\nb\n".encode("utf-16-be") + b"\xdc\x00", "utf-16", source="a.csv")
    assert err.value.record == 3


def test_lines_are_counted_as_the_csv_reader_counts_them() -> None:
    rng = random.Random(4180)
    alphabet = ["a", ",", '"', "\r", "\n", "\r\n", "\u2028", "\x85", "\x0c", "\x1c", "\x1d", "\x1e", "\x0b"]
    texts = ["", "a", "a\n", "a\r", "a\r\n", "\r\n\r\n", "\n\r", "a\u2028b\x85c"] + \
        ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(500)]
    for text in texts:
        reader = csv.reader(io.StringIO(text, newline=""))
        for _ in reader:
            pass
        assert count_lines(text) == reader.line_num == len(io.StringIO(text, newline="").readlines()), repr(text)


def test_quoted_fields_keep_their_line_breaks_and_only_cr_lf_end_a_record() -> None:
    for end in ("\n", "\r\n", "\r"):
        text = end.join(["email,badge_id,narrative", 'q@example.org,web,"line one' + end + 'line two"',
                         "r@example.org,web,a\u2028b\x85c\x0cd\x1ce\x1df\x1eg\x0bh", ",web,x", ""])
        requests, lines, refused = parse_award_csv(text, source="a.csv")
        assert [r.evidence_narrative for r in requests] == ["line one" + end + "line two",
                                                           "a\u2028b\x85c\x0cd\x1ce\x1df\x1eg\x0bh"]
        assert lines == [2, 4] and refused == [(5, "email: give exactly one of email or url")], (end, refused)


def test_rows_are_named_by_the_physical_line_they_start_on() -> None:
    text = ('\ufeffemail,badge_id,narrative\n\nq@example.org,web,"a\n\nb"\n'
            "bad,web\n\r\nr@example.org,,x\n")
    requests, lines, refused = parse_award_csv(text, source="a.csv")
    assert lines == [3, 6] and [line for line, _ in refused] == [8]


def test_a_quoted_field_never_closed_refuses_the_file_naming_its_line() -> None:
    for tail in ("", "\n", "\nr@example.org,web,x\n"):
        with pytest.raises(InvalidInput) as err:
            parse_award_csv('email,badge_id,narrative\nq@example.org,web,ok\np@example.org,web,"oops' + tail,
                            source="a.csv")
        assert err.value.record == 3 and err.value.file == "a.csv" and "never closed" in str(err.value)


def test_a_record_the_csv_module_refuses_is_invalid_input_naming_its_line() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_award_csv('email,badge_id,narrative\n\nq@example.org,web,"' + "x" * (csv.field_size_limit() + 1) + '"\n',
                        source="a.csv")
    assert err.value.record == 3 and "line 3" in str(err.value)


@pytest.mark.parametrize("kind", ["text/csv", "text/plain", "application/csv", "", "application/json"])
def test_every_body_the_csv_route_reads_is_a_csv_body(kind: str) -> None:
    assert guard.csv_body("/organisations/college/assertions/csv", kind)
    assert not guard.csv_body("/verify", kind) and not guard.csv_body("/organisations/college/assertions", kind)


@pytest.mark.parametrize("kind", ["multipart/form-data", "image/png", "application/ld+json", "text/html"])
def test_a_body_the_csv_route_does_not_read_is_no_csv_body(kind: str) -> None:
    assert not guard.csv_body("/organisations/college/assertions/csv", kind)


def test_the_line_limit_counts_cr_lf_and_crlf() -> None:
    for end in ("\n", "\r", "\r\n"):
        guard.check_csv_lines("email,badge_id" + end + (",web" + end) * (guard.MAX_CSV_LINES - 1))
        with pytest.raises(BodyTooLarge) as err:
            guard.check_csv_lines("email,badge_id" + end + (",web" + end) * guard.MAX_CSV_LINES)
        assert f"{guard.MAX_CSV_LINES:,}" in str(err.value)
    guard.check_csv_lines("x\u2028" * (guard.MAX_CSV_LINES + 5))  # not line ends: one line
