"""The bulk award CSV (columns ``graph.issuing.CSV_COLUMNS``): its rows read as
``AwardRequest``s, each refused row named by its line.

Read as RFC 4180 CSV (section 2): a record ends only at CR, LF or CRLF outside
quotes; a quoted field keeps its line breaks exactly (``"line one\\nline two"``);
any other character (U+2028, NEL, form feed, ...) is data. Lines are the file's
physical lines, as a text editor shows them and ``colearn.text.count_lines``
counts them: a row is named by the line it starts on.

``domain.awards.award_csv`` writes what this reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from colearn.errors import InvalidInput
from colearn.graph.issuing import CSV_COLUMNS, RECIPIENT_TYPES, AwardRequest, Recipient, parse_time

__all__ = ["csv_records", "parse_award_csv"]


class _Lines:
    """The physical lines of a text (``io.StringIO(text, newline="")``: ends at CR, LF or CRLF,
    kept), telling whether the CSV reader asked for one past the end in the middle of a record
    (a quoted field never closed)."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self.served = 0  # lines served for the record being read
        self.ran_out = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            self.ran_out = self.served > 0
            raise
        self.served += 1
        return line


def csv_records(text: str, *, source: str = "CSV") -> Iterator[tuple[int, list[str]]]:
    """The records of CSV ``text`` (RFC 4180; a leading BOM dropped), each with the physical
    line it starts on (1-based); blank lines are skipped.

    Raises:
        InvalidInput: a quoted field is never closed, or the reader refuses a record (a field
            over ``csv.field_size_limit()`` characters); ``record`` is the line it starts on.
    """
    lines = _Lines(text.lstrip("\ufeff"))
    reader = csv.reader(lines)
    while True:
        start, lines.served = reader.line_num + 1, 0
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"line {start}: the record cannot be read as CSV: {exc}",
                               file=source, record=start) from exc
        if lines.ran_out:
            raise InvalidInput(f"line {start}: a quoted field on this line is never closed (a \" is missing): "
                               "the rest of the file would be read into it", file=source, record=start)
        if row:
            yield start, row


def parse_award_csv(text: str, *, source: str = "CSV") -> tuple[list[AwardRequest], list[int], list[tuple[int, str]]]:
    """Parse a bulk award CSV (columns ``CSV_COLUMNS``; a header row first), as the module
    docstring says (RFC 4180).

    Args:
        text: the CSV text.
        source: the file name, for errors.

    Returns:
        ``(requests, line numbers, refused)``: each good row as an
        ``AwardRequest`` with the 1-based physical line it starts on (the header
        is line 1), and ``[(line, reason)]`` for rows refused while reading.

    Raises:
        InvalidInput: the header lacks ``badge_id`` or has an unknown column, or
            the text is not CSV (``csv_records``); ``record`` names the line.
    """
    records = csv_records(text, source=source)
    first = next(records, None)
    header = [h.strip() for h in first[1]] if first is not None and first[0] == 1 else []
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if "badge_id" not in header or unknown:
        raise InvalidInput(f"the header must name badge_id and only these columns: {', '.join(CSV_COLUMNS)}"
                           + (f" (unknown: {', '.join(unknown)})" if unknown else ""), file=source, record=1)
    requests: list[AwardRequest] = []
    lines: list[int] = []
    refused: list[tuple[int, str]] = []
    for line, values in records:
        # as csv.DictReader: a missing value is empty, a value past the header's columns is ignored
        row: dict[str, str] = {}
        for name, value in zip(header, values + [""] * (len(header) - len(values))):
            row[name] = value.strip()
        try:
            kinds = [t for t in RECIPIENT_TYPES if row.get(t)]
            if len(kinds) != 1:
                raise InvalidInput("give exactly one of email or url", field="email")
            if not row.get("badge_id"):
                raise InvalidInput("badge_id is empty", field="badge_id")
            req = AwardRequest(
                badge_id=row["badge_id"], recipient=Recipient(kinds[0], row[kinds[0]]),
                learner_id=row.get("learner_id") or None, evidence_url=row.get("evidence_url") or None,
                evidence_narrative=row.get("narrative") or None,
                issued_on=parse_time(row.get("issued_on", ""), "issued_on"),
                expires_on=parse_time(row.get("expires_on", ""), "expires_on"),
                idempotency_key=row.get("key") or None)
        except InvalidInput as exc:
            refused.append((line, f"{exc.field}: {exc.detail}" if exc.field else exc.detail))
            continue
        requests.append(req)
        lines.append(line)
    return requests, lines, refused
