"""``colearn ingest openbadges`` refuses what ``POST /verify`` and a portfolio import
refuse: each variant of a field report through all three readers, and the one
difference (an award past its expiry is loaded as history); and what it does with
an award a learner has imported (passed over when it is the same award)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from colearn.cli import app as cli
from colearn.cli import ingest as cli_ingest
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


# ---------------------------------------------------------------- an award a learner imported, ingested again


def _graph(store: GraphStore) -> list[str]:
    """Every node and relationship with its properties, in an order both engines give alike;
    of the change feed only its counter (the app's follower prunes entries and moves its
    reader meanwhile), which any recorded write would raise."""
    nodes = store.read("MATCH (n) WHERE NOT n:FeedEntry AND NOT n:FeedReader "
                       "RETURN labels(n) AS labels, properties(n) AS props")
    rels = store.read("MATCH (s)-[r]->(e) RETURN type(r) AS type, s.id AS start, e.id AS end, "
                      "properties(r) AS props")
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in nodes + rels)


def _cli_ingest(store: GraphStore, monkeypatch: pytest.MonkeyPatch, path: Path) -> Result:
    """``colearn ingest openbadges <path>`` on the test's store (either engine)."""
    @contextmanager
    def this_store() -> Iterator[GraphStore]:
        yield store

    monkeypatch.setattr(cli_ingest, "store", this_store)
    return CliRunner().invoke(cli, ["ingest", "openbadges", str(path)])


def _same_award(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``doc`` and the same award written otherwise: its recipient's hash in lower case,
    and its recipient in plaintext (hashed here with the same salt)."""
    lower = copy.deepcopy(doc)
    lower["recipient"]["identity"] = lower["recipient"]["identity"].lower()
    plain = copy.deepcopy(doc)
    plain["recipient"] = {"type": "email", "hashed": False, "salt": doc["recipient"]["salt"], "identity": EMAIL}
    return [("as imported", doc), ("hash in lower case", lower), ("recipient in plaintext", plain)]


@pytest.mark.parametrize("first", ["imported", "ingested, then imported"])
def test_an_award_in_a_portfolio_is_passed_over_by_a_later_ingest(api, store, tmp_path, monkeypatch, first) -> None:
    """A learner imports an award (taking it over from an earlier ingest, or not); an
    operator then ingests the same file: it exits 0 and reports the file passed over,
    and the award stays as the import made it (it was refused: "already in the graph
    for a different badge or recipient", as the award is TO the importer now)."""
    client, keys = api
    doc = load("r06-sha256-upper.json")
    if first != "imported":
        assert ingest(store, tmp_path, doc).refused == []
    r = import_(client, keys, doc)
    assert r.status_code == 201, r.text
    before = _graph(store)
    reason = (f"Assertion: not ingested: award '{doc['id']}' is already in a learner's portfolio "
              "(they imported it); it is left as it is")

    path = _write(tmp_path, doc)
    result = _cli_ingest(store, monkeypatch, path)
    assert result.exit_code == 0, result.output
    assert f"skipped {path}: {reason}" in " ".join(result.output.split())
    assert _graph(store) == before
    for what, same in _same_award(doc):
        report = ingest_openbadges(store, [_write(tmp_path, same)])
        assert (report.refused, report.skipped, report.counts) == ([], [(str(path), reason)], {}), what
        assert _graph(store) == before, what
    held = store.read("MATCH (a:Assertion {source_url: $u})-[:TO]->(l:Learner) RETURN l.id AS learner, "
                      "a.source AS source", {"u": doc["id"]})
    assert held == [{"learner": "se-1", "source": "import"}]


@pytest.mark.parametrize("what", ["another recipient", "another badge"])
def test_an_imported_awards_id_reused_for_another_award_is_still_refused(api, store, tmp_path, monkeypatch,
                                                                         what) -> None:
    """A file that reuses the id of an award in a portfolio for another recipient or
    another badge is refused, by the CLI too, and nothing changes."""
    client, keys = api
    doc = load("r06-sha256-upper.json")
    assert import_(client, keys, doc).status_code == 201
    before = _graph(store)
    other = copy.deepcopy(doc)
    if what == "another recipient":
        other["recipient"] = {"type": "email", "hashed": False, "salt": "s4lt", "identity": "someone@example.org"}
    else:
        other["badge"] = "https://issuer.example/badges/b2"
    reason = _ingest_refusal(store, tmp_path, client, other)
    assert reason == (f"assertion id '{doc['id']}' is already in the graph for a different badge or recipient; "
                      "an id names one award"), what
    result = _cli_ingest(store, monkeypatch, _write(tmp_path, other))
    assert result.exit_code == 1 and "already in the graph for a different badge or recipient" in result.output
    assert _graph(store) == before
