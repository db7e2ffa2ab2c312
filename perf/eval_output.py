"""Where ``colearn eval`` writes: the reports folder checked before any work, the report's
section on badges placed by the fallback rule, and a report and its plot written both or
neither (``recommender.report.write_pair``), a failure as one error naming the file.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from colearn.errors import InvalidInput


def markdown_cell(text: Any) -> str:
    """``text`` as one markdown table cell: HTML escaped, ``|`` as an entity, line breaks as spaces."""
    return " ".join(html.escape(str(text), quote=False).replace("|", "&#124;").split())


def fallbacks_markdown(fallbacks: Mapping[str, Sequence[Mapping[str, Any]]], *, always: bool) -> str:
    """The report's section on the badges the fallback rule placed (``{site: fallback_rows}``), as
    markdown starting with a blank line; ``""`` when there are none, unless ``always``."""
    rows = [(site, f) for site, fs in fallbacks.items() for f in fs]
    if not rows and not always:
        return ""
    lines = ["", "## Badges placed by the fallback rule", ""]
    if not rows:
        lines.append("None: the badge mapping lists every general badge name of the data.")
    else:
        lines += ["The badge mapping does not list these general badge names; each was placed on the spine by "
                  "its tier. Add them to the mapping to place them by what they mean.", "",
                  "| site | badge | tier | spine cell | badge id |", "|---|---|---|---|---|"]
        lines += [f"| {site} | {markdown_cell(f['name'])} | {f['tier']} | {f['cell']} | "
                  f"`{f['badge_id']}` |" for site, f in rows]
    return "\n".join(lines) + "\n"


def check_reports(folder: Path, name: str) -> None:
    """Check, before any work, that ``<folder>/<name>.md`` and ``.png`` can be written: ``folder``
    (``--reports``) is a folder or can be made as one, and neither file's name is taken by a folder.

    Raises:
        InvalidInput: ``folder`` is a file, or is under one; the nearest folder that exists is
            not writable; ``<name>.md`` or ``<name>.png`` is a folder (naming it).
    """
    where = Path(folder)
    if where.exists() and not where.is_dir():
        raise InvalidInput("--reports must be a folder", file=str(where))
    above = Path(os.path.abspath(where))
    while not above.exists():
        above = above.parent
    if not above.is_dir():
        raise InvalidInput(f"--reports must be a folder, and {above} is a file", file=str(where))
    if not os.access(above, os.W_OK | os.X_OK):
        raise InvalidInput(f"--reports: cannot write in {above}", file=str(where))
    for suffix in (".md", ".png"):
        target = where / f"{name}{suffix}"
        if target.is_dir():
            raise InvalidInput("a folder has the report's name: move it away, or give another --reports",
                               file=str(target))


def written(write: Callable[[], tuple[Path, Path]]) -> tuple[Path, Path]:
    """``write()`` (``report.write_report`` or ``write_suite_report``: both files or neither).

    Raises:
        InvalidInput: ``write`` raised an ``OSError`` (naming the file it concerns; neither
            file was written).
    """
    try:
        return write()
    except OSError as exc:
        raise InvalidInput(f"cannot write the report: {exc.strerror or exc}; nothing of this run was written",
                           file=exc.filename) from exc


__all__ = ["check_reports", "fallbacks_markdown", "markdown_cell", "written"]
