"""The Neo4j driver's retry warnings stay out of colearn's output; its other warnings do not."""

from __future__ import annotations

import logging

import pytest

import colearn.graph.neo4j_store  # noqa: F401 - installs the filter


def test_a_retry_warning_is_dropped_and_other_warnings_pass(caplog: pytest.LogCaptureFixture) -> None:
    session = logging.getLogger("neo4j.session")
    with caplog.at_level(logging.WARNING):
        session.warning("Transaction failed and will be retried in %ss (%s)", 0.9,
                        "{code: Neo.TransientError.Transaction.DeadlockDetected} ForsetiClient[transactionId=8008]")
        session.warning("Failed to read from the connection")
    said = [r.getMessage() for r in caplog.records]
    assert said == ["Failed to read from the connection"]
