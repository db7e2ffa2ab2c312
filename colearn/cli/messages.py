"""The message of an error a command refuses its input with, naming what the user typed.

The layers below name the field of their own records (``origins``,
``organisation_id``, ``recipient.identity``); on the command line that value came
from an option (``--origin``, ``--organisation``, ``--email``). ``error_message`` puts the
option (or the argument, as ``--help`` shows it) in the field's place, for every
command: the field is matched against the running command's parameters, by their
names and by the options' spellings, and through ``FIELD_OPTIONS`` where the two
are named apart. An error that names a file or a record (a line of a CSV, a
record of a catalogue) is about that input, not an option, and is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from colearn.config import get_settings, settings_problems
from colearn.errors import ColearnError, InvalidInput, InvalidInputs

try:  # Typer 0.29 vendors its own click, older releases use click itself
    from typer._click.core import ParameterSource
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older Typer
    from click.core import ParameterSource  # type: ignore[no-redef,assignment]
    from click.globals import get_current_context  # type: ignore[no-redef,assignment]

__all__ = ["FIELD_OPTIONS", "error_message", "option_for", "settings_failure"]

#: The parameters (by their Python names) that may give a field the layers below name
#: otherwise; a field is also matched by its own name. With several, the one the user
#: typed wins (``recipient.identity``: ``--email`` or ``--url``).
FIELD_OPTIONS: dict[str, tuple[str, ...]] = {
    "origins": ("origin",),
    "organisation_id": ("organisation", "org"),
    "learner_id": ("learner",),
    "idempotency_key": ("key",),
    "recipient.identity": ("email", "url"),
    "recipient.type": ("email", "url"),
    "evidence_narrative": ("narrative",),
    "ttl_s": ("ttl",),
    "size": ("sizes",),
}


def _spellings(param: Any) -> set[str]:
    """The names a field may call ``param`` by: its Python name and each option without dashes."""
    return {param.name, *(o.lstrip("-").replace("-", "_") for o in getattr(param, "opts", ()))}


def _shown(param: Any) -> str:
    """How the user spells ``param``: its long option (``--origin``), or an argument's name
    as ``--help`` lists it (``badge_id``)."""
    if getattr(param, "param_type_name", "") == "option":
        return str(max(param.opts, key=lambda o: (o.startswith("--"), len(o))))
    return str(param.name)


def option_for(field: str, ctx: Any) -> str | None:
    """The option (or argument) of the running command that gave ``field``, or None.

    Args:
        field: the field an ``InvalidInput`` names (an option already, ``--encoding``, is kept).
        ctx: the command's click context (Typer's), or None outside a command.
    """
    if field.startswith("-"):
        return field
    if ctx is None:
        return None
    wanted = {field, *FIELD_OPTIONS.get(field, ())}
    matches = [p for p in ctx.command.params if _spellings(p) & wanted]
    typed = [p for p in matches if ctx.get_parameter_source(p.name) == ParameterSource.COMMANDLINE]
    chosen = (typed or matches)[:1]
    return _shown(chosen[0]) if chosen else None


def _one(problem: InvalidInput, ctx: Any) -> str:
    """One problem's message, its field named as the option that gave it (when one did), and
    the other fields its text quotes (``'issued_on'``) as their options too."""
    if problem.file is not None or problem.record is not None or not problem.field:
        return str(problem)
    option = option_for(problem.field, ctx)
    if option is None:
        return str(problem)
    detail = problem.detail
    for param in ctx.command.params if ctx is not None else ():
        if f"'{param.name}'" in detail:
            detail = detail.replace(f"'{param.name}'", _shown(param))
    return detail if option in detail else f"{option}: {detail}"


def error_message(exc: ColearnError) -> str:
    """What the command line prints for ``exc``: its message, with a field that an option of
    the running command gave named as that option (each problem of an ``InvalidInputs``)."""
    ctx = get_current_context(silent=True)
    if isinstance(exc, InvalidInputs):  # every problem, however many, one a line
        return f"{len(exc.problems)} problems:\n" + "\n".join(f"- {_one(p, ctx)}" for p in exc.problems)
    if isinstance(exc, InvalidInput):
        return _one(exc, ctx)
    return str(exc)


def settings_failure(exc: BaseException) -> list[str] | None:
    """What the command line prints when ``exc`` means a setting must change, one line per
    problem, or None when it does not.

    A ``ValidationError`` of ``Settings``: each bad environment variable with its value and
    what is allowed (``config.settings_problems``). An ``OSError`` about the data directory
    or a file in it (it cannot be made, read or written): ``COLEARN_DATA_DIR``, its path and
    the system's reason.
    """
    if isinstance(exc, ValidationError):
        return settings_problems(exc) if exc.title == "Settings" else None
    if not isinstance(exc, OSError) or not exc.filename:
        return None
    try:
        data_dir = get_settings().data_dir.expanduser().absolute()
    except ValidationError:
        return None
    where = Path(str(exc.filename)).absolute()
    if where != data_dir and data_dir not in where.parents:
        return None
    return [f"COLEARN_DATA_DIR={str(data_dir)!r}: cannot use {where}: {exc.strerror or exc}"]
