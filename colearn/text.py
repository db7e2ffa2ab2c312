"""Text from outside: one strict UTF-8 decoder for uploads and files."""

from __future__ import annotations

from colearn.errors import InvalidInput


def utf8_text(raw: bytes, *, source: str) -> str:
    """Decode uploaded bytes as UTF-8 (a leading byte-order mark dropped), strictly.

    Invalid UTF-8 is refused, never replaced: a replaced byte would change the
    identity an award is made to.

    Args:
        raw: the bytes as received.
        source: what they are, for the error (``upload.csv``).

    Raises:
        InvalidInput: not UTF-8; the message gives the byte offset and the line.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(f"not UTF-8 text: byte {exc.start} (0x{raw[exc.start]:02x}) cannot be decoded; "
                           "save the file as UTF-8", file=source, record=line) from exc
