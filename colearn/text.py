"""Decoding uploaded and read text without ever losing a character; and how an
error lists the values a field accepts (``expected``).

One rule for every CSV reader (the HTTP bulk award and the CLI): bytes are
decoded with the ``charset`` the sender declared (HTTP ``Content-Type``
parameter, RFC 9110 section 8.3; ``colearn issue --csv FILE --encoding NAME``),
else as UTF-8 (a leading BOM is dropped);
a byte sequence the encoding cannot decode refuses the whole text, naming the
line, and nothing is replaced (no U+FFFD), so a name or an email address is
never silently changed before it is hashed or stored.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

from colearn.errors import InvalidInput, UnsupportedMediaType


class UnknownCharset(UnsupportedMediaType):
    """The declared charset is not one Python knows (HTTP 415)."""


#: How an HTTP sender declares a CSV's encoding (the default ``declare`` of ``decode_strict``).
HTTP_DECLARE = ("charset", "declare its encoding (Content-Type: text/csv; charset=windows-1252)")
#: How ``colearn issue --csv`` is told a file's encoding.
CLI_DECLARE = ("--encoding", "give its encoding with --encoding (e.g. --encoding windows-1252)")
#: A file read as UTF-8 only (a catalogue file): no encoding can be declared, the error
#: says to re-save it as UTF-8.
UTF8_ONLY = ("", "")


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
        UnknownCharset: ``charset`` is not a known encoding (``field`` is
            ``declare[0]``).
        InvalidInput: a byte the encoding cannot decode (``record`` is its line).
    """
    name = (charset or "utf-8").strip().strip('"').lower()
    try:
        info = codecs.lookup(name)
    except LookupError as exc:
        kind = "charset" if declare[0] == "charset" else f"encoding (given with {declare[0]})"
        raise UnknownCharset(f"unknown {kind} '{charset}'", file=source, field=declare[0]) from exc
    encoding = "utf-8-sig" if info.name == "utf-8" else info.name
    try:
        return raw.decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = "" if charset else ": not UTF-8; re-save the file as UTF-8" + (f", or {declare[1]}" if declare[1] else "")
        raise InvalidInput(f"line {line}, column {col}: byte 0x{raw[exc.start]:02x} cannot be decoded as "
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


__all__ = ["CLI_DECLARE", "HTTP_DECLARE", "LISTED", "UTF8_ONLY", "UnknownCharset", "counted", "decode_strict", "expected", "quantity"]
