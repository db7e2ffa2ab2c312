"""Which referenced ids name no node: one read for every label a batch refers to.

A write that names other nodes (a badge's issuer, cells and themes; a pathway's
organisation, destination and step badges; a catalogue file's every record) is
refused with every reference that names nothing at once, and finds them with one
statement (``queries.missing_refs``), not one per label nor per reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore


def missing(store: GraphStore, wanted: Mapping[Label, Iterable[str]]) -> dict[Label, set[str]]:
    """The ids of ``wanted`` that no node of their label has.

    Args:
        store: the graph.
        wanted: label -> the ids referred to (repeats are looked up once).

    Returns:
        label -> its ids that name no node (every label of ``wanted``; an empty set
        when all exist). No read when nothing is wanted.
    """
    ids = {Label(label): sorted(set(refs)) for label, refs in wanted.items()}
    asked = [label for label, refs in ids.items() if refs]
    found: dict[Label, set[str]] = {label: set() for label in ids}
    if asked:
        row = store.read(queries.missing_refs(asked), {str(label): ids[label] for label in asked})[0]
        found |= {label: set(row[str(label)]) for label in asked}
    return found


def by_label(pairs: Iterable[tuple[Label | str, str]]) -> dict[Label, set[str]]:
    """``(label, id)`` pairs grouped as ``missing`` takes them: label -> the ids referred to."""
    wanted: dict[Label, set[str]] = {}
    for label, ref in pairs:
        wanted.setdefault(Label(label), set()).add(ref)
    return wanted
