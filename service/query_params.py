"""Query parameters as the route declares them: known, and once when single-valued.

FastAPI reads a parameter declared as one value (``group: str | None``) with the
last of its values, so ``?group=a&group=b`` silently meant ``group=b``; and it
ignores a parameter the route does not declare, so ``/learners/x/next?theme=zzz``
(the filter is ``themes``) answered as if unfiltered. The app depends on
``single_valued_query`` (every route, before its own dependencies): on an API
route (one in the OpenAPI document), a parameter it does not declare is a 422
naming it (``query.theme``, with the parameters it takes and the nearest name),
and one it declares as one value, given more than once, is a 422 naming it. A
parameter declared as a list (``list[str]``) takes each value.

Pages people open from a link are exempt from the first rule (``is_page``): a route
that answers HTML (``response_class=HTMLResponse``: ``/share/{id}``,
``/learners/{id}``, ``/redeem``, ``/signin``, ``/portfolio``, ``/demo``, ...) or
is left out of the OpenAPI document (``/widget/colearn.js``) ignores a parameter it
does not read, since a social site or a mail adds its own (``?fbclid=``,
``?utm_source=``) and the page's script reads the query itself. A parameter a page
declares is still read as one value.
"""

from __future__ import annotations

from collections import Counter
from difflib import get_close_matches

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import field_annotation_is_sequence
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

__all__ = ["declared", "is_page", "single_valued", "single_valued_query"]


def _query_fields(dependant: Dependant) -> list:
    """The query parameters of a route's dependant and of all its dependencies."""
    found, todo, seen = [], [dependant], set()
    while todo:
        d = todo.pop()
        if id(d) in seen:
            continue
        seen.add(id(d))
        found.extend(d.query_params)
        todo.extend(d.dependencies)
    return found


def single_valued(route: APIRoute) -> frozenset[str]:
    """The names (aliases, as sent: ``from``) of the query parameters ``route``
    reads as one value: every declared one whose type is not a sequence, the
    fields of a query model (``Annotated[Filters, Query()]``) included."""
    names: set[str] = set()
    for f in _query_fields(route.dependant):
        annotation = f.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(info.alias or name for name, info in annotation.model_fields.items()
                         if not field_annotation_is_sequence(info.annotation))
        elif not field_annotation_is_sequence(annotation):
            names.add(f.alias)
    return frozenset(names)


def declared(route: APIRoute) -> frozenset[str]:
    """The names (aliases, as sent) of every query parameter ``route`` reads, the
    fields of a query model included."""
    names: set[str] = set()
    for f in _query_fields(route.dependant):
        annotation = f.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(info.alias or name for name, info in annotation.model_fields.items())
        else:
            names.add(f.alias)
    return frozenset(names)


def is_page(route: APIRoute) -> bool:
    """Whether ``route`` is a page people open from a link, which ignores query parameters
    it does not read: it answers HTML (``response_class`` is ``HTMLResponse``) or is
    left out of the OpenAPI document."""
    answers = getattr(route.response_class, "value", route.response_class)  # a router's default is wrapped
    return not route.include_in_schema or (isinstance(answers, type) and issubclass(answers, HTMLResponse))


def single_valued_query(request: Request) -> None:
    """Refuse a query parameter an API route (not a page, ``is_page``) does not read, and a
    single-valued one given more than once.

    Raises:
        RequestValidationError: one error per such parameter, at ``("query", name)``
            (a 422 naming ``query.<name>``).
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.query:
        return
    counts = Counter(k for k, _ in request.query_params.multi_items())
    if not is_page(route):
        known = declared(route)
        unknown = [name for name in counts if name not in known]
        if unknown:
            takes = ", ".join(sorted(known)) or "none"
            raise RequestValidationError([{
                "loc": ("query", name), "type": "value_error",
                "msg": f"this route reads no parameter '{name}'"
                       + (f" (did you mean '{close[0]}'?)" if (close := get_close_matches(name, known, 1)) else "")
                       + f"; it takes: {takes}"} for name in unknown])
    repeated = {name: n for name, n in counts.items() if n > 1}
    if not repeated:
        return
    singles = single_valued(route)  # walked only for a request that repeats a parameter
    errors = [{"loc": ("query", name), "type": "value_error",
               "msg": f"given {n} times; this parameter takes one value"}
              for name, n in repeated.items() if name in singles]
    if errors:
        raise RequestValidationError(errors)
