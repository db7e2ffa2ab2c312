"""``colearn ingest openbadges`` refuses what ``POST /verify`` and a portfolio import
refuse: each variant of a field report through all three readers, and the one
difference (an award past its expiry is loaded as history)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore
from colearn.ingest.openbadges import ingest_openbadges, parse_openbadges_document
from tests.integration import test_field_reports as field_reports
from tests.integration.test_field_reports import EMAIL, _award_web, _write, check, import_, ingest, load, verify

api = field_reports.api  # the fixture: the app on a seeded city


def _ingest_refusal(store: GraphStore, tmp_path: Path, client: TestClient, document: dict[str, Any]) -> str:
    """``ingest openbadges`` on ``document`` with the app's own publisher: the reason it
    was refused (the test fails when it was not), after checking nothing was written."""
    from colearn.openbadges.documents import Publisher
    from colearn.openbadges.verify import Verifier

    before = store.read("MATCH (a:Assertion) RETURN count(a) AS n")[0]["n"]
    verifier = Verifier(Publisher.from_settings(store, client.app.state.settings))
    with pytest.raises(InvalidInput) as err:
        ingest_openbadges(store, [_write(tmp_path, document)], verifier=verifier)
    assert store.read("MATCH (a:Assertion) RETURN count(a) AS n")[0]["n"] == before
    [(_, reason)] = err.value.refused  # type: ignore[attr-defined]
    return reason


def _variants() -> list[tuple[str, Any]]:
    """(what is wrong, how to make it from the R01 assertion) for faults that ``POST
    /verify`` and an import refused but ingest loaded."""
    def at(path: str, value: Any) -> Any:
        def change(doc: dict[str, Any]) -> None:
            *head, last = path.split(".")
            target = doc
            for key in head:
                target = target[key]
            target[last] = value
        return change
    return [
        ("the assertion's own image is HTML", at("image", "data:text/html;base64,PHNjcmlwdD4=")),
        ("a tab inside javascript:", at("badge.image", "java\tscript:alert(1)")),
        ("criteria at a javascript: IRI", at("badge.criteria", {"id": "javascript:alert(1)", "narrative": "x"})),
        ("a basic-format offset", at("issuedOn", "2024-11-08T10:33:30+0200")),
        ("a space for the T", at("issuedOn", "2024-11-08 10:33:30Z")),
        ("an ISO week date", at("issuedOn", "2024-W45-5T10:33:30Z")),
        ("revoked as a string", at("revoked", "true")),
        ("a hash with spaces around it", at("recipient", {"type": "email", "hashed": True,
                                                            "identity": " sha256$" + "a" * 64 + " "})),
        ("a context with a trailing slash", at("@context", "https://w3id.org/openbadges/v2/")),
        ("a context naming neither version", at("@context", "https://openbadgespec.org/v2/context.json")),
    ]


@pytest.mark.parametrize(("what", "change"), _variants(), ids=[w for w, _ in _variants()])
def test_ingest_refuses_what_verify_and_import_refuse(api, store, tmp_path, what, change) -> None:
    client, keys = api
    doc = load("r01-assertion-datauri-texthtml.json")
    doc["badge"]["image"] = "https://issuer.example/badge.png"
    doc["recipient"] = {"type": "email", "hashed": False, "identity": EMAIL}
    assert parse_openbadges_document(_write(tmp_path, doc)).assertions and not verify(client, doc)["failed"]
    change(doc)
    r = client.post("/verify", json={"document": doc})
    assert r.status_code == 422 or r.json()["failed"], what
    assert import_(client, keys, doc).status_code == 422, what
    reason = _ingest_refusal(store, tmp_path, client, doc)
    assert reason, what


def test_ingest_refuses_a_tampered_credential_and_loads_an_expired_one(api, store, tmp_path) -> None:
    """A credential whose proof no longer verifies is refused by every reader; an
    award past its expiry is refused by an import (a portfolio shows what is valid)
    but loaded by ingest, which records what was learned."""
    client, keys = api
    award = _award_web(client, keys)
    doc = client.get(f"/ob/v3/credentials/{award['id']}").json()
    doc["name"] = "A badge I did not earn"
    assert check(verify(client, doc), "signature")["code"] == "tampered"
    assert import_(client, keys, doc).status_code == 422
    assert "signature" in _ingest_refusal(store, tmp_path, client, doc)

    old = load("r19-expires-before-issued.json")
    old["expires"] = "2025-01-01T00:00:00Z"
    old["issuedOn"] = "2024-01-01T00:00:00Z"
    assert check(verify(client, old), "expiry")["ok"] is False
    assert import_(client, keys, old).status_code == 422
    report = ingest(store, tmp_path, old)
    assert report.refused == [] and store.read("MATCH (a:Assertion {source_url: $u}) RETURN a.expires_on AS e",
                                               {"u": old["id"]})[0]["e"] == 1735689600


def test_an_award_ingested_before_is_taken_over_by_the_learner_who_imports_it(api, store, tmp_path) -> None:
    """An operator loads another issuer's award (held by the learner its recipient hash
    names); the learner whose address it is then imports it: it moves to their
    portfolio (it answered 409, "already in another learner's portfolio"). Someone
    else's import of it is still refused."""
    client, keys = api
    doc = load("r06-sha256-upper.json")
    assert check(verify(client, doc), "recipient")["ok"] is True
    assert ingest(store, tmp_path, doc).refused == []
    r = import_(client, keys, doc)
    assert r.status_code == 201, r.text
    moved = store.read("MATCH (a:Assertion {source_url: $u})-[:TO]->(l:Learner) RETURN l.id AS learner, "
                       "a.source AS source", {"u": doc["id"]})
    assert moved == [{"learner": "se-1", "source": "import"}]
    pf = client.get("/learners/se-1/portfolio", headers=keys["se-1"]).json()
    assert r.json()["assertion_id"] in [a["assertion_id"] for c in pf["cells"] for a in c["awards"]] + \
        [a["assertion_id"] for a in pf["others"]]
