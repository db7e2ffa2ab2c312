"""The spine as the synthetic cities climb it, read from data (``data/spine.yaml`` by default).

Every synthetic city models learners who move up the spine's layers within
themes; the layers (in order), the domains, the destinations and the cells come
from the spine file, never from code, so a city with a fifth layer generates
with it. A layer is its 0-based rank in the file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colearn.ingest.spine import read_spine, spine_cell_rows
from colearn.records.spine import SpineFile

__all__ = ["Ladder"]


@dataclass(frozen=True)
class Ladder:
    """A spine's layers as rungs, with its domains and destinations.

    Attributes:
        spine: the validated spine file.
    """

    spine: SpineFile

    @classmethod
    def read(cls, path: Path | str | None = None) -> Ladder:
        """The ladder of a spine file (default: the bundled one, read once per process).

        Raises:
            InvalidInput: the spine file is malformed (``ingest.spine.read_spine``).
        """
        return cls(read_spine(path)) if path is not None else _bundled()

    @property
    def layers(self) -> tuple[str, ...]:
        """Layer ids, lowest first."""
        return tuple(lay.id for lay in self.spine.layers)

    @property
    def domains(self) -> tuple[str, ...]:
        """Domain ids in file order."""
        return tuple(d.id for d in self.spine.domains)

    @property
    def destinations(self) -> tuple[str, ...]:
        """Destination ids in file order."""
        return tuple(d.id for d in self.spine.destinations)

    @property
    def top(self) -> int:
        """The highest layer's rank."""
        return len(self.spine.layers) - 1

    def cell(self, domain: str, layer: int) -> str:
        """The cell id ``<domain>.<layer id>`` of a domain at layer rank ``layer``."""
        return f"{domain}.{self.layers[layer]}"

    def rank(self, cell: str) -> int:
        """The layer rank of a cell id ``<domain>.<layer>``.

        Raises:
            ValueError: the cell's layer is not one of the spine's.
        """
        return self.layers.index(cell.split(".", 1)[1])

    def lowest(self, cells: Iterable[str]) -> int:
        """The lowest layer among ``cells`` (a badge's layer, as the pathway checks read it)."""
        return min(self.rank(c) for c in cells)

    def highest(self, cells: Iterable[str]) -> int:
        """The highest layer among ``cells``."""
        return max(self.rank(c) for c in cells)

    def up(self, layer: int) -> int:
        """One layer up from ``layer``, staying on the top layer."""
        return min(self.top, layer + 1)

    def cell_rows(self) -> list[dict[str, Any]]:
        """``SPINE_CELLS``-like rows (``id``, ``layer``, ``domain``, ranks, ``name``, ...), the
        cells as the recommender's ``from_rows`` takes them."""
        return [{"id": c["id"], **c["props"]} for c in spine_cell_rows(self.spine)]


@functools.cache
def _bundled() -> Ladder:
    return Ladder(read_spine(None))
