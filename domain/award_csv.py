"""The bulk award CSV (columns ``graph.issuing.CSV_COLUMNS``): its rows read as
``AwardRequest``s, each refused row named by its line.

``domain.awards.award_csv`` writes what this reads.
"""

from __future__ import annotations

import csv

from colearn.errors import InvalidInput
from colearn.graph.issuing import CSV_COLUMNS, RECIPIENT_TYPES, AwardRequest, Recipient, parse_time

__all__ = ["parse_award_csv"]


def parse_award_csv(text: str, *, source: str = "CSV") -> tuple[list[AwardRequest], list[int], list[tuple[int, str]]]:
    """Parse a bulk award CSV (columns ``CSV_COLUMNS``; a header row first).

    Args:
        text: the CSV text.
        source: the file name, for errors.

    Returns:
        ``(requests, line numbers, refused)``: each good row as an
        ``AwardRequest`` with its 1-based line number (the header is line 1),
        and ``[(line, reason)]`` for rows refused while reading.

    Raises:
        InvalidInput: the header lacks ``badge_id`` or has an unknown column.
    """
    reader = csv.DictReader(text.lstrip("\ufeff").splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if "badge_id" not in header or unknown:
        raise InvalidInput(f"the header must name badge_id and only these columns: {', '.join(CSV_COLUMNS)}"
                           + (f" (unknown: {', '.join(unknown)})" if unknown else ""), file=source, record=1)
    requests: list[AwardRequest] = []
    lines: list[int] = []
    refused: list[tuple[int, str]] = []
    for raw in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
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
