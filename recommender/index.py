"""Maps between graph ids (strings) and matrix rows or columns (integers).

Kept apart from the models (as ``implicit`` and ``lightfm`` keep their id maps
apart from the factorisation): a projection holds one ``IdIndex`` per axis and
every matrix is indexed through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from colearn.errors import InvalidInput, NotFound


class IdIndex:
    """A one-to-one map between string ids and the integers ``0 .. n-1``.

    Positions follow the order ids were given (or added), so an index built
    from sorted ids gives sorted rows. Ids are only ever appended: a position,
    once given, never changes.

    Args:
        ids: the ids, in row order; each must be a non-empty ``str``.
        kind: what the ids name (``"learner"``, ``"badge"``, ...), used in
            error messages.

    Raises:
        InvalidInput: an id is not a non-empty string, or appears twice.
    """

    def __init__(self, ids: Iterable[str] = (), *, kind: str = "id") -> None:
        self.kind = kind
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        for i in ids:
            if i in self._rows:
                raise InvalidInput(f"{kind} id '{i}' appears twice")
            self._append(i)

    def _append(self, id_: str) -> int:
        if not isinstance(id_, str) or not id_:
            raise InvalidInput(f"{self.kind} id must be a non-empty string, got {id_!r}")
        row = len(self._ids)
        self._ids.append(id_)
        self._rows[id_] = row
        return row

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __repr__(self) -> str:
        return f"IdIndex(kind={self.kind!r}, n={len(self)})"

    @property
    def ids(self) -> tuple[str, ...]:
        """All ids in row order."""
        return tuple(self._ids)

    def row(self, id_: str) -> int:
        """The row of ``id_``.

        Raises:
            NotFound: ``id_`` is not in the index.
        """
        try:
            return self._rows[id_]
        except KeyError:
            raise NotFound(f"{self.kind} '{id_}' is not in the index") from None

    def get(self, id_: str, default: int | None = None) -> int | None:
        """The row of ``id_``, or ``default`` when it is not in the index."""
        return self._rows.get(id_, default)

    def rows(self, ids: Iterable[str]) -> np.ndarray:
        """The rows of ``ids`` as an int64 array of shape ``[len(ids)]``.

        Raises:
            NotFound: one of the ids is not in the index (the first is named).
        """
        return np.fromiter((self.row(i) for i in ids), dtype=np.int64)

    def id(self, row: int) -> str:
        """The id at ``row``.

        Raises:
            NotFound: ``row`` is outside ``0 .. n-1``.
        """
        if not 0 <= int(row) < len(self._ids):
            raise NotFound(f"{self.kind} row {row} is outside 0..{len(self._ids) - 1}")
        return self._ids[int(row)]

    def add(self, id_: str) -> int:
        """The row of ``id_``, appending it first if it is new.

        Raises:
            InvalidInput: ``id_`` is not a non-empty string.
        """
        row = self._rows.get(id_)
        return row if row is not None else self._append(id_)

    def copy(self) -> "IdIndex":
        """An independent index with the same ids (later ``add`` calls do not touch this one)."""
        return IdIndex(self._ids, kind=self.kind)
