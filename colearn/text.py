"""Decoding uploaded and read text without ever losing a character; counting its
lines; and how an error lists the values a field accepts (``expected``).

One rule for every CSV reader (the HTTP bulk award and the CLI): bytes are
decoded with the ``charset`` the sender declared (HTTP ``Content-Type``
parameter, RFC 9110 section 8.3; ``colearn issue --csv FILE --encoding NAME``),
else as UTF-8 (a leading BOM is dropped);
a byte sequence the encoding cannot decode refuses the whole text, naming the
line, and nothing is replaced (no U+FFFD), so a name or an email address is
never silently changed before it is hashed or stored.

Which charsets are honoured (``text_codec``): only character encodings, those
with a name in the IANA Character Sets registry (RFC 2978) or the WHATWG
Encoding Standard (``CHARSETS``). A declared name is one of those names, or
resolved by Python's alias table (``encodings.aliases``: ``Windows-1252``,
``cp1252`` and ``latin1``/``ISO-8859-1`` are each one codec), and refused unless
it resolves to one of those; no other name is ever looked up. Python's other
codecs are not charsets and are refused like an unknown name (415 naming
``charset``; ``--encoding`` on the CLI): the bytes-to-bytes transforms
(``hex``, ``base64``, ``zlib``, ``rot13``, ...), the Python-literal codecs
(``unicode_escape``, ``raw_unicode_escape``: they would rewrite ``\\u00eb`` in
the data to ``ë``), ``idna``/``punycode`` (domain names), ``undefined``,
``charmap`` and the platform-dependent ``mbcs``/``oem``.

UTF-16 and UTF-32 declared without a byte order (``utf-16``, ``utf-32``) follow
a BOM when the text starts with one, else are read big-endian (RFC 2781
section 4.3; The Unicode Standard, section 3.10, D98 and D101); Python's
codecs would assume little-endian.

Lines (``count_lines``, and the ``line`` an error names) are physical lines as
a text editor shows them and as the CSV reader counts them (``csv.reader`` over
``io.StringIO(text, newline="")``): a line ends at CR, LF or CRLF, nothing else
(not U+2028, NEL, form feed or the other characters ``str.splitlines`` splits at).
"""

from __future__ import annotations

import codecs
import encodings
from collections.abc import Sequence
from encodings.aliases import aliases as _PYTHON_ALIASES

from colearn.errors import InvalidInput, UnsupportedMediaType


class UnknownCharset(UnsupportedMediaType):
    """The declared charset is not a character encoding this reads (HTTP 415): unknown to
    Python, or a Python codec that is no charset (``hex``, ``unicode_escape``: see ``CHARSETS``)."""


#: The charsets honoured, as Python codec names (``encodings.<name>``), each with its
#: IANA Character Sets registry name (RFC 2978) or WHATWG Encoding Standard label
#: (section 4.2). ``utf_8_sig`` is Python's name for UTF-8 read with a leading BOM
#: dropped, which is how UTF-8 is read anyway.
CHARSETS: dict[str, str] = {
    "utf_8": "UTF-8", "utf_8_sig": "UTF-8", "utf_16": "UTF-16", "utf_16_be": "UTF-16BE",
    "utf_16_le": "UTF-16LE", "utf_32": "UTF-32", "utf_32_be": "UTF-32BE", "utf_32_le": "UTF-32LE",
    "utf_7": "UTF-7", "ascii": "US-ASCII", "latin_1": "ISO-8859-1",
    **{f"iso8859_{n}": f"ISO-8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)},
    **{f"cp{n}": f"windows-{n}" for n in range(1250, 1259)},
    "cp874": "windows-874", "tis_620": "TIS-620", "koi8_r": "KOI8-R", "koi8_u": "KOI8-U",
    "mac_roman": "macintosh", "mac_cyrillic": "x-mac-cyrillic", "kz1048": "KZ-1048", "ptcp154": "PTCP154",
    "hp_roman8": "hp-roman8",
    **{f"cp{n:03d}": f"IBM{n:03d}" for n in (37, 273, 424, 437, 500, 775, 850, 852, 855, 857, 860, 861, 862,
                                          863, 864, 865, 866, 869, 1026)},
    "cp858": "IBM00858", "cp1140": "IBM01140",
    "big5": "Big5", "big5hkscs": "Big5-HKSCS", "gb2312": "GB2312", "gbk": "GBK", "gb18030": "GB18030",
    "hz": "HZ-GB-2312", "euc_jp": "EUC-JP", "shift_jis": "Shift_JIS", "cp932": "Windows-31J",
    "iso2022_jp": "ISO-2022-JP", "iso2022_jp_2": "ISO-2022-JP-2", "euc_kr": "EUC-KR",
    "cp949": "windows-949", "iso2022_kr": "ISO-2022-KR",
}
#: Those names as labels (normalised), looked up before Python's alias table, which lacks some
#: (``IBM00858``, ``x-mac-cyrillic``, ``Windows-31J``); any other label must be a Python alias of a codec there.
_LABELS = {encodings.normalize_encoding(label.lower()): codec for codec, label in CHARSETS.items()}

#: Byte order marks, by the codec that reads a text starting with one (``text_codec``).
_BOMS = {"utf_16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
         "utf_32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)}

#: How an HTTP sender declares a CSV's encoding (the default ``declare`` of ``decode_strict``).
HTTP_DECLARE = ("charset", "declare its encoding (Content-Type: text/csv; charset=windows-1252)")
#: How ``colearn issue --csv`` is told a file's encoding.
CLI_DECLARE = ("--encoding", "give its encoding with --encoding (e.g. --encoding windows-1252)")
#: A file read as UTF-8 only (a catalogue file): no encoding can be declared, the error
#: says to re-save it as UTF-8.
UTF8_ONLY = ("", "")


def text_codec(charset: str | None, head: bytes = b"", *, source: str,
               declare: tuple[str, str] = HTTP_DECLARE) -> str:
    """The Python codec that reads text declared as ``charset`` (by the rule in the module
    docstring), e.g. ``"cp1252"`` for ``Windows-1252``, ``"utf_8_sig"`` for none.

    Args:
        charset: the declared charset, or None for UTF-8. Surrounding spaces and
            quotes are ignored, and case (RFC 9110 section 8.3.2); a name of other
            than 1 to 40 printable US-ASCII characters is unknown (RFC 2978 section 2.3).
        head: the text's first bytes (4 are enough): whether a UTF-16 or UTF-32
            text starts with a BOM (without one it is read big-endian, RFC 2781 section 4.3).
        source: the file or upload, named in errors.
        declare: where the charset was declared (``decode_strict``).

    Raises:
        UnknownCharset: ``charset`` names no character encoding of ``CHARSETS``
            (``field`` is ``declare[0]``).
    """
    label = (charset or "utf-8").strip().strip('"').strip().lower()
    # a charset name is at most 40 printable US-ASCII characters (RFC 2978 section 2.3)
    name = encodings.normalize_encoding(label) if 0 < len(label) <= 40 and all("!" <= c <= "~" for c in label) else ""
    name = _LABELS.get(name) or _PYTHON_ALIASES.get(name, name)
    if name not in CHARSETS:
        kind = "charset" if declare[0] == "charset" else f"encoding (given with {declare[0]})"
        raise UnknownCharset(f"unknown {kind} '{charset}': not a character encoding of the IANA registry "
                             "(e.g. utf-8, windows-1252, iso-8859-1, utf-16)", file=source, field=declare[0])
    if name == "utf_8":
        return "utf_8_sig"
    if name in _BOMS and not head.startswith(_BOMS[name]):
        return f"{name}_be"
    return name


def count_lines(text: str) -> int:
    """How many physical lines ``text`` has, as the CSV reader and a text editor count them:
    each CR, LF or CRLF ends one, and a last line without an end counts too (``""``: 0,
    ``"a\\r\\nb"``: 2, ``"a\\n"``: 1). U+2028, NEL, form feed and the like end no line."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (1 if text and text[-1] not in "\r\n" else 0)


def decode_strict(raw: bytes, charset: str | None = None, *, source: str,
                  declare: tuple[str, str] = HTTP_DECLARE) -> str:
    """``raw`` as text, by the rule in the module docstring.

    Args:
        raw: the bytes.
        charset: the declared charset (e.g. ``windows-1252``), or None for UTF-8.
        source: the file or upload, named in errors.
        declare: ``(field, how)``: where the charset is declared (named when it
            is unknown) and how to declare one (said when UTF-8 fails):
            ``HTTP_DECLARE``, ``CLI_DECLARE`` or ``UTF8_ONLY`` (no way to).

    Raises:
        UnknownCharset: ``charset`` is not a charset honoured (``text_codec``;
            ``field`` is ``declare[0]``).
        InvalidInput: a byte the encoding cannot decode (``record`` is its
            physical line, ``count_lines``; the column counts characters).
    """
    encoding = text_codec(charset, raw[:4], source=source, declare=declare)
    try:
        return raw.decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start].decode(encoding, errors="replace")
        line = count_lines(before + ".")  # "." stands for the character the bad byte begins
        col = len(before) - max(before.rfind("\n"), before.rfind("\r"))
        bad = raw[exc.start] if exc.start < len(raw) else raw[-1]
        hint = "" if charset else ": not UTF-8; re-save the file as UTF-8" + (f", or {declare[1]}" if declare[1] else "")
        raise InvalidInput(f"line {line}, column {col}: byte 0x{bad:02x} cannot be decoded as "
                           f"{charset or 'UTF-8'}{hint}", file=source, record=line) from exc


#: How many accepted values an error lists before it says how many there are.
LISTED = 12


def expected(values: Sequence[str]) -> str:
    """The values a field accepts, as an error says them: ``expected one of a, b``
    (the first ``LISTED``, then how many there are in all), or ``there are none yet``."""
    if not values:
        return "there are none yet"
    more = f", ... ({len(values)} in all)" if len(values) > LISTED else ""
    return f"expected one of {', '.join(values[:LISTED])}{more}"


def quantity(n: int, one: str, many: str | None = None) -> str:
    """``"1 loss"``, ``"2 losses"``, ``"1,024 rows"``: a count (with thousands separators) and its
    noun, ``one`` for 1, else ``many`` (default ``one`` + ``s``)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def counted(n: int, one: str, many: str, named: Sequence[str]) -> str:
    """``n`` things, in the singular for one, naming some of them (``named``, sorted):
    ``1 pathway step: into-tech``, ``7 badges: a, b, c, d, e and 2 more``."""
    ids = sorted(set(named))
    more = f" and {n - len(ids)} more" if n > len(ids) else ""
    return f"{n} {one if n == 1 else many}: {', '.join(ids)}{more}"


__all__ = ["CHARSETS", "CLI_DECLARE", "HTTP_DECLARE", "LISTED", "UTF8_ONLY", "UnknownCharset", "count_lines", "counted",
           "decode_strict", "expected", "quantity", "text_codec"]
