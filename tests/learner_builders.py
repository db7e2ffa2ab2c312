"""Helpers for the learner journey tests: a city with an opportunity and a published
pathway on top of the issuing city, and reading messages from the outbox."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from colearn.config import Settings

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from tests.openbadges_builders import BASE, seed_issuing_city


def seed_learner_city(store: GraphStore) -> None:
    """``seed_issuing_city`` plus: ``college`` offers the opportunity ``open-day``
    (awarding ``web``), a district ``north``, the destination ``employment``, and
    the published pathway ``into-web`` (steps: ``web``, then ``app``)."""
    seed_issuing_city(store)
    store.write(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [
        {"id": "open-day", "props": {"name": "College open day", "mode": "offline"}}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": "open-day", "targets": [{"id": "college", "props": {}}]}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE),
                {"rows": [{"id": "open-day", "targets": [{"id": "web", "props": {}}]}]})
    store.write(queries.merge_nodes(Label.PLACE), {"rows": [{"id": "north", "props": {"name": "North"}}]})
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {"name": "Employment"}}]})
    steps = [{"id": f"into-web.step-{i}", "order": i, "props": {"title": t, "required": 1, "optional": False},
              "badges": [b]} for i, (t, b) in enumerate([("Foundations", "web"), ("Build an app", "app")], 1)]
    store.write(queries.pathway_upsert(create=True), {
        "id": "into-web", "props": {"title": "Into web work", "description": "", "status": "published",
                                    "kind": "recommended"},
        "organisation": "college", "destination": "employment", "completion_badge": None, "steps": steps})


def outbox(folder: Path) -> list[email.message.EmailMessage]:
    """The messages written to an outbox folder, oldest first."""
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))]


def link_token(message: email.message.EmailMessage, page: str) -> str:
    """The token of the ``/<page>#token=...`` link in a message's plain text."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(rf"/{page}#token=([A-Za-z0-9_\-]+)", text)
    assert found, f"no /{page} link in: {text}"
    return found.group(1)


@contextmanager
def learner_client(store: GraphStore, folder: Path, **settings: Any) -> Iterator[tuple[TestClient, Path]]:
    """A client of an app over ``seed_learner_city`` writing mail to ``<folder>/outbox``
    (returned with it); the API's own limit off unless ``settings`` say otherwise."""
    seed_learner_city(store)
    box = folder / "outbox"
    app = create_app(Settings(**{"data_dir": folder, "base_url": BASE, "rate_limit_per_minute": 0,
                                 "mail_outbox": box, **settings}), store=store)
    with TestClient(app) as client:
        yield client, box
