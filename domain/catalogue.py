"""Catalogue and pathway writes, each recording its change in the feed.

The service validates a record and checks who may write it
(``service/catalogue.py``, ``service/authoring.py``, asking ``domain/policy.py``);
the write itself happens here, as one statement that also records a
``catalogue`` entry in the change feed (``graph.feed.recorded``), so every
serving process learns of a badge, opportunity, theme or pathway created,
changed or deleted and rebuilds what it derives from it.
"""

from __future__ import annotations

import time
from typing import Any

from colearn.graph import feed, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore


def write_node(store: GraphStore, label: Label, params: dict[str, Any], *, create: bool) -> bool:
    """Create or update one catalogue node and its links (``queries.catalogue_upsert``).

    Args:
        store: the graph.
        label: the node's label.
        params: ``catalogue_upsert``'s parameters (``id``, ``props``, ``l<i>``).
        create: create a new node (else update an existing one).

    Returns:
        True when a node was written (False: an update of an unknown id).

    Raises:
        Conflict: ``create`` and the id is taken (nothing written).
    """
    change = feed.change(feed.CATALOGUE, label=str(label), ids=[params["id"]])
    return bool(store.write(feed.recorded(queries.catalogue_upsert(label, create=create)),
                            {**params, "feed": change}))


def delete_node(store: GraphStore, label: Label, node_id: str) -> bool:
    """Delete a catalogue node with its links unless something blocks it (``queries.catalogue_delete``;
    an organisation's API keys are revoked with it, in the same statement).

    Returns:
        True when it was deleted (False: unknown, or still in use).
    """
    change = feed.change(feed.CATALOGUE, label=str(label), ids=[node_id])
    rows = store.write(feed.recorded(queries.catalogue_delete(label)),
                       {"id": node_id, "feed": change, "now": int(time.time())})
    return bool(rows) and rows[0]["deleted"] == 1


def detach_badge(store: GraphStore, opportunity_id: str, badge_id: str) -> bool:
    """Take badge ``badge_id`` off opportunity ``opportunity_id`` (``queries.DETACH_BADGE``),
    recorded in the feed as a change of the opportunity.

    Returns:
        True when the link was deleted (False: no such link, or a claim code not revoked
        grants the badge at the opportunity).
    """
    change = feed.change(feed.CATALOGUE, label=str(Label.OPPORTUNITY), ids=[opportunity_id])
    return bool(store.write(feed.recorded(queries.DETACH_BADGE),
                            {"opportunity_id": opportunity_id, "badge_id": badge_id, "feed": change}))


def write_pathway(store: GraphStore, params: dict[str, Any], *, create: bool) -> bool:
    """Create or replace a recommended pathway whole (``queries.pathway_upsert``).

    Returns:
        True when written (False: an update of an unknown id).

    Raises:
        Conflict: ``create`` and the id is taken.
    """
    change = feed.change(feed.CATALOGUE, label=str(Label.PATHWAY), ids=[params["id"]])
    return bool(store.write(feed.recorded(queries.pathway_upsert(create=create)), {**params, "feed": change}))


def delete_pathway(store: GraphStore, pathway_id: str) -> dict[str, Any]:
    """Delete a pathway with its steps unless learners hold live completion awards of it
    (``queries.DELETE_PATHWAY``).

    Returns:
        ``{deleted, completions, named}``: ``deleted`` false when it is unknown or kept;
        ``completions`` how many live completion awards keep it, ``named`` a few of their ids.
    """
    change = feed.change(feed.CATALOGUE, label=str(Label.PATHWAY), ids=[pathway_id])
    return store.write(feed.recorded(queries.DELETE_PATHWAY), {"id": pathway_id, "feed": change})[0]


def set_pathway_status(store: GraphStore, pathway_id: str, status: str, *, now: int) -> bool:
    """Move a pathway to ``status`` (``queries.SET_PATHWAY_STATUS``), stamped ``now`` (epoch s).

    Returns:
        True when the pathway exists.
    """
    change = feed.change(feed.CATALOGUE, label=str(Label.PATHWAY), ids=[pathway_id])
    return bool(store.write(feed.recorded(queries.SET_PATHWAY_STATUS),
                            {"id": pathway_id, "status": status, "now": now, "feed": change}))
