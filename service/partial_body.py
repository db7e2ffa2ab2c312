"""A catalogue create body read so that a badly shaped field does not hide the other
fields' problems: the fields that pass are checked against the graph too (unknown
references), and the 422 names every problem at once (``routers.catalogue``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Optional, get_origin

from fastapi.exceptions import RequestValidationError
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator,
                      create_model)

from colearn.graph.store import GraphStore
from colearn.service import catalogue
from colearn.service.catalogue import Entity

__all__ = ["BadShape", "lenient"]


class BadShape:
    """A body whose fields ``errors`` name failed their shape check, and ``record``: the
    other fields, read as the model reads them (``_rest``: the bad ones None or empty)."""

    def __init__(self, record: BaseModel, errors: list[Any]) -> None:
        self.record = record
        self.errors = errors

    def refusal(self, store: GraphStore, entity: Entity) -> RequestValidationError:
        """The 422 of every shape problem and every unknown reference of the fields that
        passed (``catalogue.reference_problems``), in the record's field order."""
        order = list(type(self.record).model_fields)
        found = [{**e, "loc": ("body", *e["loc"])} for e in self.errors]
        found += [catalogue.field_error(fld, message).errors()[0]
                  for fld, message in catalogue.reference_problems(store, entity, self.record)]
        at = {name: i for i, name in enumerate(order)}
        return RequestValidationError(sorted(found, key=lambda e: at.get(str(e["loc"][1]), len(order))))


def lenient(model: type[BaseModel]) -> Any:
    """``model`` as a body type that answers a ``BadShape`` instead of failing when some
    fields are badly shaped and the rest make a record; a body that is not an object,
    or a problem of the record as a whole, fails as before (``ValidationError``)."""

    def read(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            errors = exc.errors()
            if not isinstance(value, dict) or any(not e["loc"] for e in errors):
                raise
            bad = {e["loc"][0] for e in errors}
            return BadShape(_rest(model).model_validate({k: v for k, v in value.items() if k not in bad}), errors)

    return Annotated[model, WrapValidator(read)]


@lru_cache(maxsize=None)
def _rest(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with each required field optional (None, a list empty): what is left of a
    body once its bad fields are dropped (the others as ``model`` reads them)."""
    fields: dict[str, Any] = {
        name: (Optional[f.annotation], f if not f.is_required() else
               Field(default_factory=list) if get_origin(f.annotation) is list else Field(default=None))
        for name, f in model.model_fields.items()}
    return create_model(f"{model.__name__}Rest", __config__=ConfigDict(str_strip_whitespace=True), **fields)
