"""The one exception root of colearn and its kinds.

Every layer raises these (backends translate driver errors into them) and the
service maps them to ``application/problem+json`` responses (RFC 9457):
``NotFound`` -> 404, ``InvalidInput`` -> 422, ``Conflict`` -> 409,
``Unauthorised`` -> 401, ``Forbidden`` -> 403, ``StoreUnavailable`` -> 503. A warning
that is also part of a result is marked ``IN_RESULT``.
"""

from __future__ import annotations

import logging


class ColearnError(Exception):
    """Root of every error colearn raises on purpose.

    Attributes:
        type_slug: a stable short name used in the problem ``type`` URI.
        status: the HTTP status the service answers with.
    """

    type_slug = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ColearnError):
    """A node the caller named does not exist (HTTP 404)."""

    type_slug = "not-found"
    status = 404


class InvalidInput(ColearnError):
    """Input that fails validation (HTTP 422).

    The message names where the bad value is: the file, the record (line number
    or index) and the field, whichever apply.

    Args:
        message: what is wrong, in plain words.
        file: the input file, if the input came from one.
        record: the line number (1-based) or index of the bad record.
        field: the dotted path of the bad field inside the record.
    """

    type_slug = "invalid-input"
    status = 422

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.record = record
        self.field = field
        where = []
        if file is not None:
            where.append(str(file))
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field '{field}'")
        full = f"{': '.join([', '.join(where)])}: {message}" if where else message
        super().__init__(full)
        self.detail = message



class InvalidInputs(InvalidInput):
    """Several problems found in one input, each an ``InvalidInput`` naming its own
    file, record and field (HTTP 422, one ``errors`` entry per problem): a reader
    that checks everything before it refuses reports them all at once.

    Its own ``file``, ``record`` and ``field`` are the first problem's; its message
    lists every problem, one a line (``MAX_LISTED`` of them, then how many more;
    ``listing()`` lists them all, as the command line prints them).

    Args:
        problems: at least two problems, in the order found.
    """

    #: The most problems the message lists (``problems`` holds them all).
    MAX_LISTED = 50

    def __init__(self, problems: list[InvalidInput]) -> None:
        self.problems = list(problems)
        super().__init__(self.listing(self.MAX_LISTED))
        first = self.problems[0]
        self.file, self.record, self.field = first.file, first.record, first.field

    def listing(self, most: int | None = None) -> str:
        """The problems, one a line: every one, or the first ``most`` and how many more."""
        shown = self.problems if most is None else self.problems[:most]
        lines = [f"- {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"- and {len(self.problems) - len(shown)} more")
        return f"{len(self.problems)} problems:\n" + "\n".join(lines)


def refuse(problems: list[InvalidInput]) -> None:
    """Raise the problems found, if any: the one alone, or ``InvalidInputs`` for several.

    Raises:
        InvalidInput: one problem.
        InvalidInputs: several.
    """
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InvalidInputs(problems)


class BatchRefused(InvalidInput):
    """A batch refused whole because some of its records are bad: nothing of it
    was written (HTTP 422, one ``errors`` entry per refused record).

    Args:
        message: what was refused, in plain words.
        refused: ``[(where, reason)]`` per refused record, ``where`` naming it
            (``line 4`` of a CSV, ``body.2`` of a JSON list).
    """

    def __init__(self, message: str, refused: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.refused = list(refused)


class UnsupportedMediaType(InvalidInput):
    """A body in a media type (or charset) the route does not read (HTTP 415)."""

    type_slug = "unsupported-media-type"
    status = 415

class Conflict(ColearnError):
    """The write would break a uniqueness rule or a state transition (HTTP 409).

    Args:
        message: why, in plain words.
        field: the stored field at fault, when the request is sound but what it names is
            not (``organisation.email``: the organisation has none to issue with).
    """

    type_slug = "conflict"
    status = 409

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Gone(ColearnError):
    """What the caller names existed but was withdrawn for good (HTTP 410)."""

    type_slug = "gone"
    status = 410


class Unauthorised(ColearnError):
    """No valid credentials were presented (HTTP 401)."""

    type_slug = "unauthorised"
    status = 401


class Forbidden(ColearnError):
    """The caller is known but may not do this (HTTP 403).

    Args:
        message: why, in plain words.
        field: the request's field whose value is refused (``body.issuer``), when one is.
    """

    type_slug = "forbidden"
    status = 403

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotShared(Forbidden):
    """A partner key asked for a learner's recommendations or pathways, and the learner does
    not let partner sites read them (their ``partner_access``, else the city's default): HTTP
    403 with its own problem type, so a partner page can show what a visitor sees instead."""

    type_slug = "learner-not-shared"


class StoreUnavailable(ColearnError):
    """The graph store cannot be reached or started (HTTP 503)."""

    type_slug = "store-unavailable"
    status = 503


class RateLimited(ColearnError):
    """The caller has used up its request allowance for now (HTTP 429).

    Args:
        message: what happened.
        retry_after: whole seconds until a request will be accepted again.
    """

    type_slug = "rate-limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


#: ``extra`` of a logged warning whose content the caller also gets back in its result (the
#: Stack Exchange reader's ``fallbacks``): a front end that prints the result (``colearn.cli``)
#: leaves such records out, so that nothing is said twice. Test with ``in_result``.
IN_RESULT: dict[str, bool] = {"colearn_in_result": True}


def in_result(record: logging.LogRecord) -> bool:
    """True when ``record`` was logged with ``IN_RESULT``."""
    return bool(getattr(record, "colearn_in_result", False))
