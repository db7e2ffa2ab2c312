"""Contract tests for the API-key statements (both engines)."""

from __future__ import annotations

import pytest

from colearn.errors import Conflict
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore

from tests.integration.test_contract import covers


@covers("CREATE_API_KEY", "GET_API_KEY", "LIST_API_KEYS", "REVOKE_API_KEY", "GET_ORGANISATION_ID")
def test_api_key_statements(any_store: GraphStore) -> None:
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "org", "props": {}}]})
    rows = [{"id": f"k{i}", "hash": f"h{i}", "role": "partner" if i % 2 else "admin",
             "organisation_id": None, "origins": ["https://a.example"] if i % 2 else [],
             "name": f"key {i}", "created_on": 100 + i} for i in range(3)]
    for r in rows:
        assert any_store.write(queries.CREATE_API_KEY, r) == [{"id": r["id"]}]
    with pytest.raises(Conflict):
        any_store.write(queries.CREATE_API_KEY, rows[0])
    got = any_store.read(queries.GET_API_KEY, {"id": "k1"})
    assert got == [{"id": "k1", "hash": "h1", "role": "partner", "organisation_id": None,
                    "origins": ["https://a.example"], "name": "key 1", "created_on": 101, "revoked_on": None}]
    assert [r["id"] for r in any_store.read(queries.LIST_API_KEYS)] == ["k0", "k1", "k2"]
    assert any_store.write(queries.REVOKE_API_KEY, {"id": "k1", "revoked_on": 500}) == [
        {"id": "k1", "revoked_on": 500}]
    # revoking again keeps the first time
    assert any_store.write(queries.REVOKE_API_KEY, {"id": "k1", "revoked_on": 900})[0]["revoked_on"] == 500
    assert any_store.write(queries.REVOKE_API_KEY, {"id": "nope", "revoked_on": 1}) == []
    assert any_store.read(queries.GET_ORGANISATION_ID, {"id": "org"}) == [{"id": "org"}]
    assert any_store.read(queries.GET_ORGANISATION_ID, {"id": "zz"}) == []
