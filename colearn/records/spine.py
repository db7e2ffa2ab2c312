"""The learning spine's records: the spine file's shape and one cell written on its own.

A spine is data (``data/spine.yaml``): layers in order, domains, and the
city's destinations; every (domain, layer) pair is a ``SpineCell`` with id
``<domain>.<layer>``. The spine reader (``ingest.spine``), the catalogue API
and the synthetic cities all read it through these models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from colearn.records.fields import Name

__all__ = ["Framework", "SpineCellRecord", "SpineEntry", "SpineFile"]

_ID = r"^[a-z][a-z0-9_\-]*$"


class SpineEntry(BaseModel):
    """A layer, a domain or a destination."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_ID)
    name: Name
    description: str = ""


class Framework(BaseModel):
    """The spine's name, used as OB ``targetFramework``."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_ID)
    name: Name


class SpineFile(BaseModel):
    """The whole spine file."""

    model_config = ConfigDict(extra="forbid")
    framework: Framework
    layers: list[SpineEntry] = Field(min_length=1)
    domains: list[SpineEntry] = Field(min_length=1)
    destinations: list[SpineEntry] = Field(default_factory=list)

    @field_validator("layers", "domains", "destinations")
    @classmethod
    def _unique(cls, v: list[SpineEntry]) -> list[SpineEntry]:
        seen: set[str] = set()
        for e in v:
            if e.id in seen:
                raise ValueError(f"id '{e.id}' appears twice")
            seen.add(e.id)
        return v


class SpineCellRecord(BaseModel):
    """One cell of the spine written on its own (the catalogue API): ``id`` is
    ``<domain>.<layer>``; ranks give the order of layers and of domains."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]*\.[a-z][a-z0-9_\-]*$", max_length=120)
    name: Name
    layer: str = Field(pattern=_ID)
    domain: str = Field(pattern=_ID)
    layer_rank: int = Field(ge=0, le=100)
    domain_rank: int = Field(ge=0, le=100)
    description: str = ""

    @field_validator("domain")
    @classmethod
    def _id_is_domain_dot_layer(cls, domain: str, info: Any) -> str:
        cell, layer = info.data.get("id"), info.data.get("layer")
        if cell is not None and layer is not None and cell != f"{domain}.{layer}":
            raise ValueError(f"the id of a cell is '<domain>.<layer>': expected '{domain}.{layer}', got '{cell}'")
        return domain
