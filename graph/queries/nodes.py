"""Generic statements on nodes of any label, by id: upserts, link replacement, checks.

The label and relationship names come from ``graph.schema`` enums (each builder
passes its arguments through ``Label(...)``/``Rel(...)``), never from user text.
"""

from __future__ import annotations

from collections.abc import Iterable

from colearn.graph.queries._fragments import _in_city
from colearn.graph.schema import Label, Rel


def merge_nodes(label: Label) -> str:
    """Upsert nodes of ``label`` by id.

    Params:
        rows: ``[{"id": str, "props": {str: scalar | list}}]``; ``props`` is
            merged into the node (keys absent from ``props`` are kept).
    Returns rows: none.
    """
    return f"UNWIND $rows AS r MERGE (n:{Label(label)} {{id: r.id}}) SET n += r.props"


def set_links(owner: Label, rel: Rel, other: Label, *, outgoing: bool = True) -> str:
    """Replace the ``rel`` relationships between each owner node and ``other`` nodes.

    For each row, the owner's existing ``rel`` relationships to ``other`` nodes
    are deleted and the listed ones created, in one statement, so that running
    it twice leaves the same graph. Targets must exist (check with
    ``missing_ids`` first); a missing target is skipped by ``MATCH``.

    Args:
        owner: label of the node whose links are replaced (matched by ``r.id``).
        rel: relationship type.
        other: label of the nodes at the far end.
        outgoing: ``(owner)-[rel]->(other)`` when True, else ``(owner)<-[rel]-(other)``.

    Params:
        rows: ``[{"id": str, "targets": [{"id": str, "props": {..}}]}]``.
    """
    owner, rel, other = Label(owner), Rel(rel), Label(other)
    left, right = ("-", "->") if outgoing else ("<-", "-")
    return (
        f"UNWIND $rows AS r "
        f"MATCH (a:{owner} {{id: r.id}}) "
        f"OPTIONAL MATCH (a){left}[old:{rel}]{right}(:{other}) "
        f"DELETE old "
        f"WITH DISTINCT a, r "
        f"UNWIND r.targets AS t "
        f"MATCH (b:{other} {{id: t.id}}) "
        f"MERGE (a){left}[e:{rel}]{right}(b) "
        f"SET e += t.props"
    )


def missing_ids(label: Label) -> str:
    """The ids from ``$ids`` that no node of ``label`` has, counting only the city's
    (``_in_city``: an import's issuer or badge is not one to refer to).

    Params: ``ids``: list of str. Returns rows: ``{id}``.
    """
    return (
        f"UNWIND $ids AS id OPTIONAL MATCH (n:{Label(label)} {{id: id}}) WHERE {_in_city('n', label)} "
        f"WITH id, n WHERE n IS NULL RETURN id"
    )


def existing_ids(label: Label) -> str:
    """The ids from ``$ids`` that a node of ``label`` has, whatever made it (the city or
    a learner's import): what an import must leave as it is.

    Params: ``ids``: list of str. Returns rows: ``{id}``.
    """
    return f"UNWIND $ids AS id MATCH (n:{Label(label)} {{id: id}}) RETURN DISTINCT n.id AS id"


def missing_refs(labels: Iterable[Label]) -> str:
    """The ids that no node of their label has, for several labels in one read: a
    batch's references (a record's themes, badges and place; a file's) checked at once.
    An import's issuer or badge is not the city's (``_in_city``): its id is missing.

    Each label's ids are unwound in turn; an empty list is unwound as one null, which
    matches no node and is collected as nothing, so that the row carries on.

    Params: one list of ids per label, named after it (``$Badge``, ``$Theme``).
    Returns one row ``{<label>: [the ids of that list no such node has]}``.
    """
    names = [str(Label(label)) for label in labels]
    if not names:
        raise ValueError("missing_refs needs at least one label")
    parts: list[str] = []
    kept: list[str] = []
    for i, name in enumerate(names):
        parts.append(f"UNWIND CASE WHEN size(${name}) = 0 THEN [null] ELSE ${name} END AS id{i} "
                     f"OPTIONAL MATCH (n{i}:{name} {{id: id{i}}}) WHERE {_in_city(f'n{i}', Label(name))} "
                     f"WITH {''.join(f'{k}, ' for k in kept)}collect(CASE WHEN n{i} IS NULL THEN id{i} END) AS m{i} ")
        kept.append(f"m{i}")
    return "".join(parts) + "RETURN " + ", ".join(f"m{i} AS {name}" for i, name in enumerate(names))


def property_values(label: Label, prop: str) -> str:
    """The distinct values that ``label``'s nodes have in ``prop`` (an identifier
    from code: ``kind``, ``layer``), sorted. Params: none. Returns rows ``{value}``."""
    if not prop.isidentifier():
        raise ValueError(f"not a property name: {prop!r}")
    return (f"MATCH (n:{Label(label)}) WHERE n.{prop} IS NOT NULL "
            f"RETURN DISTINCT n.{prop} AS value ORDER BY value")


def count_nodes(label: Label) -> str:
    """Number of nodes of ``label`` of the city (``_in_city``: not an import's issuer
    or badge). Returns one row ``{n}``."""
    return f"MATCH (n:{Label(label)}) WHERE {_in_city('n', label)} RETURN count(n) AS n"


def merge_stub_nodes(label: Label) -> str:
    """Create placeholder nodes of ``label`` that do not exist yet; never touch existing ones.

    Used for objects a document only points to by URL (a BadgeClass or an
    issuer Profile that is neither in the batch nor in the graph): the stub
    carries ``stub: true`` and ``source_url``; a later ingest of the real
    object overwrites it with ``merge_nodes``.

    Params:
        rows: ``[{"id": str, "props": {..}}]``; ``props`` is set only when the
            node is created.
    Returns rows: none.
    """
    return (
        f"UNWIND $rows AS r MERGE (n:{Label(label)} {{id: r.id}}) "
        "ON CREATE SET n += r.props"
    )
