"""Award notices of a bulk award: one claim link per new award to an email, each naming the
badge and its issuer, in a fixed number of statements whatever the batch's size (a 500-row CSV
took 26 s on Neo4j at four statements a notice)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from colearn.domain import awards as issuing
from colearn.graph import access
from colearn.graph.store import GraphStore
from colearn.service.learner_awards import notices_for, send_notices
from tests.openbadges_builders import BASE, seed_issuing_city


class _Counted:
    """The store, counting the statements sent through it."""

    def __init__(self, store: GraphStore) -> None:
        self.inner, self.sent = store, 0

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self.sent += 1
        return self.inner.read(query, params)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self.sent += 1
        return self.inner.write(query, params)


class _Kept:
    where = "a list"

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def send(self, message: Any) -> None:
        self.messages.append(message)


def test_a_bulk_award_is_notified_in_three_statements(store: GraphStore, tmp_path: Path) -> None:
    seed_issuing_city(store)
    requests = [issuing.AwardRequest(badge, issuing.Recipient("email", f"p{i}@example.org"))
                for i, badge in enumerate(["web", "safety", "app"] * 10)]
    report = issuing.award_many(store, "college", requests, pepper=b"pepper")
    notices = notices_for(report)
    assert len(notices) == 30
    counted, mailer = _Counted(store), _Kept()
    before = int(time.time())
    done = send_notices(counted, mailer, BASE, notices, claim_link_days=30, pepper=b"pepper")  # type: ignore[arg-type]
    assert done.sent == 30 and counted.sent == 3
    assert before + 30 * 86400 <= done.links_expire <= int(time.time()) + 30 * 86400  # the badges' names, their one issuer's, the tokens
    names = {"web": "Web Foundations", "safety": "Online Safety Aware", "app": "First Web App"}
    for notice, message in zip(notices, mailer.messages):
        assert message.to == notice.email and f'"{names[notice.award.badge_id]}"' in message.subject
        assert "Brackenford College has awarded you" in message.text
        token = message.text.split("/claim#token=")[1].split()[0]
        assert access.peek_token(store, access.CLAIM, token)["assertion_id"] == notice.award.id
    assert send_notices(counted, mailer, BASE, [], claim_link_days=30, pepper=b"pepper").sent == 0  # type: ignore[arg-type]
    assert counted.sent == 3
