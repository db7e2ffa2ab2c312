"""What every ``colearn`` command shares: the root app with ``--version`` and
``--verbose``, the two consoles (stdout for the answer, stderr for the rest),
the configured store, the error edge and the progress display."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console, ConsoleDimensions
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from colearn import __version__
from colearn.cli.messages import error_message, settings_failure
from colearn.config import get_settings
from colearn.errors import ColearnError, in_result
from colearn.graph.store import GraphStore, open_store

T = TypeVar("T")



def fail_settings(lines: list[str]) -> NoReturn:
    """Print each line as an error on stderr and end the command with exit status 2: a setting
    (an environment variable, an option) must change.

    Raises:
        typer.Exit: always, with code 2.
    """
    for line in lines:
        err.print(f"[red]error:[/red] {escape(line)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


class OneLineHelpGroup(typer.core.TyperGroup):
    """A command group whose listing gives each command's summary as flowing text, and whose
    commands end on a wrong setting with one line per problem and exit status 2
    (``messages.settings_failure``), not a traceback.

    Typer's rich help keeps the single line breaks of a docstring in the group's
    command list (its own ``--help`` joins them), so a summary wrapped in the source
    read as ragged lines. Each listed command without a ``short_help`` gets its
    docstring's first paragraph, with its line breaks and reST double backticks
    removed."""

    # ``Any``: Typer 0.29 vendors its own click, older releases use click itself
    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command ``cmd_name`` (None when there is none), its ``short_help`` set as the class says."""
        command = super().get_command(ctx, cmd_name)
        if command is not None and command.short_help is None and command.help:
            summary = inspect.cleandoc(command.help).split("\n\n")[0]
            command.short_help = " ".join(summary.replace("``", "").split())
        return command

    def invoke(self, ctx: Any) -> Any:
        """Run the command ``ctx`` names (see the class for a wrong setting).

        Raises:
            typer.Exit: code 2, on a wrong setting; whatever else the command raises.
        """
        try:
            return super().invoke(ctx)
        except (ValidationError, OSError) as exc:
            lines = settings_failure(exc)
            if lines is None:
                raise
            fail_settings(lines)


app = typer.Typer(help="colearn: Cities of Learning pathways, badges and 'what next?'.",
                  no_args_is_help=True, add_completion=False, cls=OneLineHelpGroup)

#: How wide the answer is laid out when stdout is not a terminal and COLUMNS is unset:
#: wide enough that no table is cut (``recomm…``) or folded mid-cell to fit.
PIPED_WIDTH = 10_000


class AnswerConsole(Console):
    """The console of a command's answer: on a terminal, the terminal's width; elsewhere (a
    pipe, a file, a test) ``COLUMNS`` when it is set, else ``PIPED_WIDTH``, where rich would
    take 80 columns (or the width of a terminal on stdin) and cut or fold a wide table's
    cells. A table takes only the width its cells need."""

    @property
    def size(self) -> ConsoleDimensions:
        """The console's width and height (see the class)."""
        size = super().size
        if self._width is None and not self.is_terminal:  # rich sets _width from COLUMNS
            return ConsoleDimensions(PIPED_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


#: The command's answer (tables, JSON).
out = AnswerConsole()
#: Everything else: progress, warnings, errors. Soft-wrapped: each message is one line however
#: wide the console (COLUMNS=80, a terminal), so a long file name or URL in it is never folded
#: across two lines of a log; a terminal wraps it for the eye.
err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"colearn {__version__}")
        raise typer.Exit()


#: A log line off a terminal: time, level, logger and message.
PLAIN_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_handler(console: Console) -> logging.Handler:
    """Where log records go: on a terminal, rich's handler (wrapped at the terminal's width);
    elsewhere (a file, a pipe, a service's journal) ``PLAIN_LOG_FORMAT`` on the console's
    stream, never wrapped, so that ``grep`` finds a message whole (rich would wrap it at 80
    columns there): one line per record whose message has no line break of its own."""
    if console.is_terminal:
        return RichHandler(console=console, show_path=False)
    handler = logging.StreamHandler(console.file)
    handler.setFormatter(logging.Formatter(PLAIN_LOG_FORMAT))
    return handler


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                         help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """colearn: Open Badges on a learning spine, held as a graph."""
    handler = log_handler(err)
    handler.addFilter(lambda record: not in_result(record))  # the commands print those from the result
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
                        handlers=[handler])


@contextmanager
def store() -> Iterator[GraphStore]:
    """The store the settings name (``COLEARN_NEO4J_URI`` or the embedded one), closed on exit."""
    opened = open_store(get_settings())
    try:
        yield opened
    finally:
        opened.close()


def run(fn: Callable[[], T]) -> T:
    """Run a command body; turn colearn errors into a message on stderr (one line, never wrapped
    at the terminal's width, so that a log or ``grep`` finds it whole; several problems of one
    input one a line, every one of them) and exit status 1. A field that an option gave is
    named as the option the user typed (``colearn.cli.messages``).

    Raises:
        typer.Exit: with code 1, when ``fn`` raised a ``ColearnError``.
    """
    try:
        return fn()
    except ColearnError as exc:
        err.print(f"[red]error:[/red] {escape(error_message(exc))}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


def say(message: str) -> None:
    """One dim progress line on stderr."""
    err.print(f"[dim]{escape(message)}[/dim]", highlight=False)


def print_table(table: Table, min_width: int) -> None:
    """Print a wide table on stdout at least ``min_width`` columns wide (measurement tables)."""
    Console(width=max(out.width, min_width)).print(table)


class Steps:
    """What a long command is doing, shown on stderr: on a terminal, a rich
    progress display (each step with a spinner and its elapsed time, then a
    tick; ``bar`` steps with a bar, count and time left); elsewhere (logs, CI,
    tests) one plain line per step, so that stdout stays the command's answer.
    """

    def __init__(self) -> None:
        self.live = err.is_terminal
        self.progress: Progress | None = None
        self.task: TaskID | str | None = None
        self.started = 0.0

    def __enter__(self) -> "Steps":
        if self.live:
            self.progress = Progress(SpinnerColumn(finished_text="[green]\u2713"), TextColumn("{task.description}"),
                                     BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                                     console=err)
            self.progress.start()
        from colearn.ingest.common import sharing_progress

        self._sharing = sharing_progress(self.progress)
        self._sharing.__enter__()
        return self

    def _finish(self, failed: bool = False) -> None:
        """End the current step: ticked (or ``done in``), or, when it ``failed``, left unticked
        (``stopped after``) so that the error printed next is not read as coming after success."""
        if isinstance(self.task, int) and self.progress is not None:
            if not failed:
                total = self.progress.tasks[self.task].total
                self.progress.update(self.task, total=total or 1, completed=total or 1)
        elif self.task is not None:
            word = "stopped after" if failed else "done in"
            err.print(f"[dim]  {word} {time.monotonic() - self.started:.1f} s[/dim]", highlight=False)
        self.task = None

    def __call__(self, message: str, total: int | None = None) -> None:
        """Start a step (``total``: a bar of that many units, advanced by ``advance``)."""
        self._finish()
        self.started = time.monotonic()
        if self.progress is not None:
            self.task = self.progress.add_task(message, total=total)
        else:
            err.print(f"[dim]{escape(message)}[/dim]", highlight=False)
            self.task = message

    def advance(self, done: int, total: int | None = None) -> None:
        """Set the current step's bar to ``done`` of ``total``."""
        if self.progress is not None and isinstance(self.task, int):
            self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._finish(failed=exc_type is not None)
        self._sharing.__exit__(None, None, None)  # entered in __enter__ whether live or not
        if self.progress is not None:
            self.progress.stop()


def print_report(report: Any, name: str | None = None) -> None:
    """An ingest report: rows per kind as a table on stdout, titled ``ingested <name>`` (default
    the name of the file or folder read); what was refused, noted, skipped, stubbed or placed by
    a fallback, one line each on stderr."""
    table = Table(title=f"ingested {name or Path(report.source).name}")
    table.add_column("kind")
    table.add_column("rows", justify="right")
    for kind, n in report.counts.items():
        table.add_row(str(kind), f"{n:,}")
    out.print(table)
    for record, message in report.refused:
        err.print(f"[yellow]refused[/yellow] {record}: {message}", highlight=False)
    for record, message in getattr(report, "notes", []):
        err.print(f"[yellow]note[/yellow] {record}: {message}", highlight=False)
    for record, message in getattr(report, "skipped", []):
        err.print(f"skipped {record}: {message}", highlight=False)
    for stub in getattr(report, "stubs", []):
        err.print(f"placeholder for an object known only by URL: {stub}", highlight=False)
    for name in getattr(report, "fallbacks", []):
        err.print(f"[yellow]no mapping[/yellow] for badge '{escape(name)}': placed by its class", highlight=False)
