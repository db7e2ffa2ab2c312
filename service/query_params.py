"""One value for a single-valued query parameter.

FastAPI reads a parameter declared as one value (``group: str | None``) with the
last of its values, so ``?group=a&group=b`` silently meant ``group=b``. The app
depends on ``single_valued_query`` (every route, before its own dependencies):
a query parameter the route declares as one value and the request gives more
than once is a 422 naming it (``query.group``). A parameter declared as a list
(``list[str]``) takes each value, as FastAPI reads it; one the route does not
declare is ignored, as FastAPI ignores it.
"""

from __future__ import annotations

from collections import Counter

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import field_annotation_is_sequence
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

__all__ = ["single_valued", "single_valued_query"]


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


def single_valued_query(request: Request) -> None:
    """Refuse a single-valued query parameter given more than once.

    Raises:
        RequestValidationError: one error per such parameter, at ``("query", name)``
            (a 422 naming ``query.<name>``).
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.query:
        return
    repeated = {name: n for name, n in Counter(k for k, _ in request.query_params.multi_items()).items() if n > 1}
    if not repeated:
        return
    singles = single_valued(route)  # walked only for a request that repeats a parameter
    errors = [{"loc": ("query", name), "type": "value_error",
               "msg": f"given {n} times; this parameter takes one value"}
              for name, n in repeated.items() if name in singles]
    if errors:
        raise RequestValidationError(errors)
