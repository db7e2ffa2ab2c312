"""Reader for the learning spine file: layers x domains -> SpineCell nodes, and the destinations.

File shape (YAML)::

    framework: {id, name}
    layers:  [{id, name, description}]   # in order: layer_rank is the position
    domains: [{id, name, description}]   # domain_rank is the position
    destinations: [{id, name, description}]

Every (domain, layer) pair becomes a ``SpineCell`` with id ``<domain>.<layer>``
(e.g. ``skills.demonstration``), so a city changes the grid by editing data.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from colearn.graph import feed, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.common import IngestReport, load_yaml, validate, write_batches

_ID = r"^[a-z][a-z0-9_\-]*$"


def default_spine_path() -> Path:
    """The spine bundled with colearn (``data/spine.yaml``)."""
    return Path(str(resources.files("colearn.data").joinpath("spine.yaml")))


class SpineEntry(BaseModel):
    """A layer, a domain or a destination."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    description: str = ""


class Framework(BaseModel):
    """The spine's name, used as OB ``targetFramework``."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)


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


def read_spine(path: Path | str | None = None) -> SpineFile:
    """Parse and validate a spine file.

    Args:
        path: the YAML file; default: the bundled ``data/spine.yaml``.

    Raises:
        InvalidInput: the file is not YAML or breaks the shape above (the
            message names the file and the field).
    """
    p = Path(path) if path is not None else default_spine_path()
    raw = load_yaml(p)
    return validate(SpineFile, raw, file=p, record="spine")


def spine_cell_rows(spine: SpineFile) -> list[dict[str, Any]]:
    """The ``merge_nodes(SpineCell)`` rows: one per (domain, layer), ranks from file order."""
    rows = []
    for d_rank, dom in enumerate(spine.domains):
        for l_rank, lay in enumerate(spine.layers):
            rows.append({
                "id": f"{dom.id}.{lay.id}",
                "props": {
                    "layer": lay.id, "domain": dom.id,
                    "layer_rank": l_rank, "domain_rank": d_rank,
                    "name": f"{dom.name}: {lay.name}",
                    "description": lay.description,
                    "framework": spine.framework.name,
                },
            })
    return rows


def ingest_spine(store: GraphStore, path: Path | str | None = None) -> IngestReport:
    """Write the spine's cells and destinations (idempotent upsert).

    Args:
        store: the graph.
        path: the spine file; default the bundled one.

    Returns:
        Counts of ``SpineCell`` and ``Destination`` rows written.

    Raises:
        InvalidInput: see ``read_spine``.
    """
    spine = read_spine(path)
    report = IngestReport(source=str(path or default_spine_path()))
    report.add(Label.SPINE_CELL, write_batches(store, queries.merge_nodes(Label.SPINE_CELL),
                                               spine_cell_rows(spine), label=str(Label.SPINE_CELL),
                                               record=feed.CATALOGUE))
    dest_rows = [{"id": d.id, "props": {"name": d.name, "description": d.description}}
                 for d in spine.destinations]
    report.add(Label.DESTINATION, write_batches(store, queries.merge_nodes(Label.DESTINATION), dest_rows,
                                                            label=str(Label.DESTINATION), record=feed.CATALOGUE))
    return report


class SpineCellRecord(BaseModel):
    """One cell of the spine written on its own (the catalogue API): ``id`` is
    ``<domain>.<layer>``; ranks give the order of layers and of domains."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]*\.[a-z][a-z0-9_\-]*$", max_length=120)
    name: str = Field(min_length=1)
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
