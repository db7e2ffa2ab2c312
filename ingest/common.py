"""What every reader shares: batching, progress, reports and pydantic error translation."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from colearn.errors import InvalidInput
from colearn.text import UTF8_ONLY, decode_strict, quantity
from colearn.graph.store import BATCH_SIZE, GraphStore, refresh_statistics, write_each
from colearn.graph import feed

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: Show a progress bar when a write has more rows than this.
PROGRESS_THRESHOLD = 20_000


@dataclass
class IngestReport:
    """What a reader wrote.

    Attributes:
        source: the file or folder read.
        counts: rows written per kind (e.g. ``{"Badge": 81, "Assertion": 15942}``);
            re-running an idempotent ingest writes the same rows again, so the
            counts are of rows sent, not of nodes created.
        refused: ``[(record, message)]`` for inputs that were refused as a whole
            (e.g. an Open Badges file that is malformed) when the reader refuses
            per file rather than failing the run.
        notes: ``[(record, message)]`` for records written that will not do all a reader
            may expect (an organisation without an email cannot award badges).
    """

    source: str
    counts: dict[str, int] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, n: int) -> None:
        """Add ``n`` written rows of ``kind``."""
        self.counts[kind] = self.counts.get(kind, 0) + n

    def merge(self, other: "IngestReport") -> None:
        """Fold another report's counts and refusals into this one."""
        for k, v in other.counts.items():
            self.add(k, v)
        self.refused.extend(other.refused)
        self.notes.extend(other.notes)


def batched(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def first_per_id(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the first of each ``id`` kept and later repeats left out, in order.

    Statements that create a node per row (``queries.MERGE_ASSERTIONS``) need
    ids unique within one statement; keeping the first row is what the graph
    does with a repeat in a later statement (an existing assertion keeps its
    properties).

    Args:
        rows: maps with an ``id`` key.

    Returns:
        A new list; the row maps themselves are not copied.
    """
    seen: set[Any] = set()
    out = []
    for row in rows:
        if row["id"] not in seen:
            seen.add(row["id"])
            out.append(row)
    return out


#: Rows of one ``write_batches`` call after which the store is asked to bring its planner's
#: statistics up to date (``graph.store.refresh_statistics``): a bulk load can leave Neo4j
#: planning with an index sample taken when the graph was nearly empty.
REFRESH_ROWS = 1_000


def rows_param(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{"rows": batch}``: the parameters of an ``UNWIND $rows`` statement for one batch
    (``write_batches``' default ``batch_params``)."""
    return {"rows": list(batch)}


def write_batches(store: GraphStore, query: str, rows: Sequence[dict[str, Any]], *,
                  label: str = "rows", size: int = BATCH_SIZE, progress: bool | None = None,
                  record: str | None = None,
                  batch_params: Callable[[Sequence[dict[str, Any]]], dict[str, Any]] = rows_param) -> int:
    """Write ``rows`` with ``query`` (by default an ``UNWIND $rows`` statement), one statement per batch.

    Each batch is atomic: it lands whole or not at all, with its change-feed
    entry when ``record`` is given (``graph/feed.py``: serving processes see it).
    Batches run in order, one at a time (``graph.store.write_each``: on
    FalkorDB the next batch is written out and sent while the engine runs the
    current one, ``graph.falkordb_pipeline``); the first batch that fails
    raises its error, the batches before it have landed and none after it
    has (on FalkorDB the next one may have been sent: its write guard stops it).

    Args:
        store: the graph.
        query: a statement taking ``$rows``.
        rows: the rows, already validated.
        label: the name shown on the progress bar.
        size: rows per batch.
        progress: show a progress bar; default: when there are more than
            ``PROGRESS_THRESHOLD`` rows.
        record: the feed kind to record with each batch: ``feed.AWARDS`` (rows
            carry ``learner_id`` and ``badge_id``), ``feed.CATALOGUE`` (rows carry
            ``id``; ``label`` names their label), or None (nothing a
            recommender derives from: learners, their homes).
        batch_params: the statement's parameters for one batch of rows (the feed entry's
            ``feed`` is added to them); default ``rows_param``: ``{"rows": batch}``. For a
            ``queries.merge_assertions`` statement: ``queries.assertion_groups``.

    After ``REFRESH_ROWS`` rows or more, the store is asked to bring its planner's
    statistics up to date (``graph.store.refresh_statistics``; never raises).

    Returns:
        The number of rows written.
    """
    show = len(rows) > PROGRESS_THRESHOLD if progress is None else progress
    statement = query if record is None else feed.recorded(query)

    def params(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
        own = batch_params(batch)
        if record is None:
            return own
        if record == feed.AWARDS:
            return {**own, "feed": feed.award_change(batch)}
        return {**own, "feed": feed.change(record, label=label, ids=[r["id"] for r in batch if "id" in r])}

    def statements(advance: Callable[[int], None] | None) -> Iterator[dict[str, Any]]:
        for batch in batched(rows, size):
            yield params(batch)
            if advance is not None:  # asked for the next batch: this one has been sent
                advance(len(batch))

    shared = _shared_progress.get()
    if not show:
        write_each(store, statement, statements(None))
    elif shared is not None:  # a command's own display is live: one more bar on it (rich allows one live display)
        task = shared.add_task(f"writing {label}", total=len(rows))
        write_each(store, statement, statements(lambda n: shared.advance(task, n)))
        shared.remove_task(task)
    else:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task(label, total=len(rows))
            write_each(store, statement, statements(lambda n: bar.advance(task, n)))
    if len(rows) >= REFRESH_ROWS:
        refresh_statistics(store)
    return len(rows)


#: A live rich ``Progress`` that ``write_batches`` adds its bars to (see ``sharing_progress``).
_shared_progress: ContextVar[Progress | None] = ContextVar("colearn_shared_progress", default=None)


@contextmanager
def sharing_progress(progress: Progress | None) -> Iterator[None]:
    """While inside, ``write_batches`` shows its bars on ``progress`` (a live rich
    ``Progress`` the caller started) instead of starting a display of its own."""
    token = _shared_progress.set(progress)
    try:
        yield
    finally:
        _shared_progress.reset(token)


def read_utf8(path: Path) -> str:
    """An input file's text, as UTF-8 (a leading BOM dropped), nothing replaced.

    Raises:
        InvalidInput: the file cannot be read, or a byte is not UTF-8 (naming the
            file, and the line and column of that byte: ``colearn.text.decode_strict``).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    return decode_strict(raw, source=str(path), declare=UTF8_ONLY)


def load_yaml(path: Path) -> Any:
    """Read one YAML file.

    Raises:
        InvalidInput: the file cannot be read, is not UTF-8 or is not YAML (naming the file).
    """
    text = read_utf8(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", file=str(path)) from exc


def yaml_kind(value: Any) -> str:
    """What a parsed YAML document is, in words: ``a list of 2 items``, ``a string ('<badges> ...')``
    (its start), ``a number``, ``nothing (an empty file)``."""
    if value is None:
        return "nothing (an empty file)"
    if isinstance(value, list):
        return f"a list of {quantity(len(value), 'item')}"
    if isinstance(value, str):
        start = " ".join(value.split())
        return f"a string ({start[:40]!r}{' ...' if len(start) > 40 else ''})"
    return {bool: "a boolean", int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def load_yaml_mapping(path: Path, keys: Iterable[str]) -> dict[Any, Any]:
    """Read one YAML file whose top level is a mapping (``key: value`` lines).

    Args:
        path: the file.
        keys: the top-level keys it may hold, named in the error.

    Raises:
        InvalidInput: see ``load_yaml``; or the top level is no mapping (naming the file, the
            keys it should hold and what it holds instead: ``yaml_kind``).
    """
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise InvalidInput(f"the file must be a YAML mapping of {', '.join(keys)} (one 'key: value' per top-level "
                           f"line), but holds {yaml_kind(raw)}", file=str(path))
    return raw


def validate(model: type[M], data: Any, *, file: str | Path, record: int | str) -> M:
    """Validate one record, turning a pydantic error into ``InvalidInput``.

    Args:
        model: the pydantic model of the record.
        data: the raw record (dict).
        file: the file it came from (named in the error).
        record: its line number or index (named in the error).

    Raises:
        InvalidInput: naming file, record and the first failing field, with
            every failing field in the message.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_validation(exc, file=file, record=record) from exc


#: pydantic's error types for a value that should be a mapping (a dict, or a model given as one).
_MAPPING_ERRORS = frozenset({"dict_type", "model_type", "model_attributes_type"})


def _error_text(error: Any) -> str:
    """A pydantic error's message, in plain words where pydantic's name its types (a mapping
    given as a list: ``should be a mapping of key: value, got a list of 2 items``)."""
    if error["type"] in _MAPPING_ERRORS:
        return f"should be a mapping of key: value, got {yaml_kind(error.get('input'))}"
    return str(error["msg"])


def validation_problems(exc: ValidationError, *, file: str | Path, record: int | str) -> list[InvalidInput]:
    """One ``InvalidInput`` per failing field of a pydantic ``ValidationError`` of a flat
    record, each naming ``file`` and ``record``: the field is the record's column and any
    list index (``themes.1``; not the branch of a union the value failed, so a date that
    is neither a date nor a time is one problem, with its first message); ``field`` None
    for a problem of the record as a whole."""
    found: dict[str | None, InvalidInput] = {}
    for e in exc.errors():
        loc = [str(p) for i, p in enumerate(e["loc"]) if i == 0 or isinstance(p, int)]
        name = ".".join(loc) or None
        found.setdefault(name, InvalidInput(_error_text(e).removeprefix("Value error, "), file=str(file),
                                            record=record, field=name))
    return list(found.values())


def invalid_from_validation(exc: ValidationError, *, file: str | Path, record: int | str) -> InvalidInput:
    """Build the ``InvalidInput`` for a pydantic ``ValidationError``."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or None
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {_error_text(e)}" for e in errors
    )
    return InvalidInput(detail, file=str(file), record=record, field=loc)


def clean_header(reader: csv.DictReader, file: str | Path) -> list[str]:
    """Strip a CSV reader's column names and use them; refuse an empty or repeated one.

    Raises:
        InvalidInput: naming the file and line 1.
    """
    header = [h.strip() for h in (reader.fieldnames or [])]
    if len(set(header)) != len(header) or "" in header:
        raise InvalidInput("the header has an empty or repeated column name", file=str(file), record=1)
    reader.fieldnames = header
    return header
