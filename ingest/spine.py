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

from colearn.graph import feed, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.common import IngestReport, load_yaml_mapping, validate, write_batches
from colearn.records.spine import Framework, SpineCellRecord, SpineEntry, SpineFile

__all__ = ["Framework", "SpineCellRecord", "SpineEntry", "SpineFile", "default_spine_path", "ingest_spine",
           "read_spine", "spine_cell_rows"]


def default_spine_path() -> Path:
    """The spine bundled with colearn (``data/spine.yaml``)."""
    return Path(str(resources.files("colearn.data").joinpath("spine.yaml")))


def read_spine(path: Path | str | None = None) -> SpineFile:
    """Parse and validate a spine file.

    Args:
        path: the YAML file; default: the bundled ``data/spine.yaml``.

    Raises:
        InvalidInput: the file is not YAML, is not a YAML mapping (saying what it holds
            instead) or breaks the shape above (the
            message names the file and the field).
    """
    p = Path(path) if path is not None else default_spine_path()
    raw = load_yaml_mapping(p, SpineFile.model_fields)
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
