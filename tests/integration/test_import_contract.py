"""What a learner's import makes is not the city's: its issuer and badge are marked
``source: import`` and left out of every catalogue statement (``_in_city``); insights
count no import (``_MADE_HERE``); a portfolio says which awards were imported and
whether they were verified. On both engines, with imports made by ``import_badge``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.openbadges import importing
from colearn.openbadges.verify import Verifier
from tests.integration.test_contract import covers
from tests.openbadges_builders import COUNCIL, PRIZES, publisher, seed_issuing_city, self_signed_credential

EMAIL = "sam@example.org"


def _import(store: GraphStore, tmp_path: Path, n: int = 1) -> importing.ImportResult:
    return importing.import_badge(store, Verifier(publisher(store, tmp_path)), "se-1",
                                  self_signed_credential(EMAIL, n=n), EMAIL)


def _imported_ids(store: GraphStore) -> tuple[str, str]:
    row = store.read("MATCH (o:Organisation)-[:DEFINES]->(b:Badge) WHERE b.name = $name RETURN o.id AS o, b.id AS b",
                     {"name": PRIZES})[0]
    return row["o"], row["b"]


@covers("existing_ids", "merge_stub_nodes", "count_nodes", "missing_ids", "missing_refs", "catalogue_get",
        "catalogue_page", "BADGE_CATALOGUE", "node_texts", "NODES_WITHOUT_VECTORS", "GET_ORGANISATION_ID")
def test_an_imports_issuer_and_badge_are_not_the_citys(any_store: GraphStore, tmp_path: Path) -> None:
    seed_issuing_city(any_store)
    result = _import(any_store, tmp_path)
    assert result.verified is False
    org, badge = _imported_ids(any_store)
    props = any_store.read("MATCH (n {id: $id}) RETURN n.source AS s, n.name AS name", {"id": org})[0]
    assert props == {"s": "import", "name": COUNCIL}
    # kept in the graph for the learner's portfolio
    assert {r["id"] for r in any_store.read(queries.existing_ids(Label.BADGE), {"ids": [badge, "web", "zzz"]})} == \
        {badge, "web"}
    assert any_store.read(queries.count_nodes(Label.BADGE)) == [{"n": 4}]
    assert any_store.read(queries.count_nodes(Label.ORGANISATION)) == [{"n": 2}]
    assert any_store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 1}]
    assert [r["id"] for r in any_store.read(queries.missing_ids(Label.BADGE), {"ids": [badge, "web"]})] == [badge]
    assert any_store.read(queries.missing_refs([Label.BADGE, Label.ORGANISATION]),
                          {"Badge": [badge, "web"], "Organisation": [org, "college"]}) == \
        [{"Badge": [badge], "Organisation": [org]}]
    assert any_store.read(queries.catalogue_get(Label.BADGE), {"id": badge}) == []
    assert any_store.read(queries.catalogue_get(Label.ORGANISATION), {"id": org}) == []
    assert any_store.read(queries.catalogue_get(Label.BADGE), {"id": "web"})[0]["record"]["id"] == "web"
    page = {"q": None, "offset": 0, "limit": 50}
    for label, q, want in ((Label.BADGE, "prizes", 0), (Label.ORGANISATION, "council", 0),
                           (Label.BADGE, None, 4), (Label.ORGANISATION, None, 2)):
        filters = {p: None for p in queries.CATALOGUE_FILTERS[label]}
        row = any_store.read(queries.catalogue_page(label), {**page, **filters, "q": q})[0]
        assert row["total"] == want and badge not in {d["id"] for d in row["data"] if d}
    assert badge not in {r["id"] for r in any_store.read(queries.BADGE_CATALOGUE)}
    assert badge not in {r["id"] for r in any_store.read(queries.node_texts(Label.BADGE))}
    assert any_store.read(queries.NODES_WITHOUT_VECTORS, {"model": "m"}) == [{"badges": 4, "opportunities": 0}]
    assert any_store.read(queries.GET_ORGANISATION_ID, {"id": org}) == []
    assert any_store.read(queries.GET_ORGANISATION_ID, {"id": "college"}) == [{"id": "college"}]


@covers("merge_stub_nodes", "existing_ids")
def test_an_import_changes_no_node_the_graph_has(any_store: GraphStore, tmp_path: Path) -> None:
    seed_issuing_city(any_store)
    _import(any_store, tmp_path)
    org, badge = _imported_ids(any_store)
    # the city loads that issuer for real (an admin's ingest): it is the city's, and a later import leaves it
    any_store.write(queries.merge_nodes(Label.ORGANISATION),
                    {"rows": [{"id": org, "props": {"name": "Real Council", "source": "openbadges"}}]})
    importing.import_badge(any_store, Verifier(publisher(any_store, tmp_path)), "se-1",
                           self_signed_credential(EMAIL, issuer="Someone Else", n=2), EMAIL)
    assert any_store.read(queries.catalogue_get(Label.ORGANISATION), {"id": org})[0]["record"]["name"] == "Real Council"
    assert any_store.read("MATCH (b:Badge {id: $id}) RETURN b.name AS name", {"id": badge}) == [{"name": PRIZES}]


@covers("issued_by_day", "INSIGHT_LABELS", "PATHWAY_STEP_LEARNERS")
def test_insights_count_no_import(any_store: GraphStore, tmp_path: Path) -> None:
    seed_issuing_city(any_store)
    _import(any_store, tmp_path)
    org, _ = _imported_ids(any_store)
    for dim in (None, "organisation", "cell"):
        assert any_store.read(queries.issued_by_day(dim)) == []
    assert org not in {r["id"] for r in any_store.read(queries.INSIGHT_LABELS)}
    # an import of one of the city's badges is not an award made here either
    any_store.write("MATCH (a:Assertion), (b:Badge {id: 'web'}) MATCH (a)-[r:OF]->() DELETE r CREATE (a)-[:OF]->(b)")
    any_store.write("CREATE (p:Pathway {id: 'p', kind: 'recommended'})-[:HAS_STEP {order: 1}]->(s:Step {required: 1}) "
                    "WITH s MATCH (b:Badge {id: 'web'}) CREATE (s)-[:ACCEPTS]->(b)")
    assert any_store.read(queries.issued_by_day("theme")) == []
    assert any_store.read(queries.PATHWAY_STEP_LEARNERS) == []


@covers("PORTFOLIO_BY_CELL", "LEARNER_OTHER_ASSERTIONS", "LEARNER_IMPORT_COUNT")
def test_a_portfolio_marks_imports_and_the_cap(any_store: GraphStore, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    seed_issuing_city(any_store)
    assert any_store.read(queries.LEARNER_IMPORT_COUNT, {"learner_id": "se-1"}) == [{"n": 0}]
    imported = _import(any_store, tmp_path)
    any_store.write("MATCH (l:Learner {id: 'se-1'}), (b:Badge {id: 'web'}) "
                    "CREATE (l)<-[:TO]-(:Assertion {id: 'here', status: 'accepted', issued_on: 1})-[:OF]->(b)")
    params = {"learner_id": "se-1", "now": int(time.time())}
    awards = {a["assertion_id"]: a for r in any_store.read(queries.PORTFOLIO_BY_CELL, params) for a in r["awards"]}
    assert (awards[imported.assertion_id]["imported"], awards[imported.assertion_id]["verified"]) == (True, False)
    assert (awards["here"]["imported"], awards["here"]["verified"]) == (False, True)
    any_store.write("MATCH (a:Assertion) SET a.status = 'revoked'")
    others = {a["assertion_id"]: a for a in any_store.read(queries.LEARNER_OTHER_ASSERTIONS, params)}
    assert (others[imported.assertion_id]["imported"], others[imported.assertion_id]["verified"]) == (True, False)
    assert (others["here"]["imported"], others["here"]["verified"]) == (False, True)
    assert any_store.read(queries.LEARNER_IMPORT_COUNT, {"learner_id": "se-1"}) == [{"n": 1}]
    monkeypatch.setattr(importing, "MAX_IMPORTS", 1)
    with pytest.raises(InvalidInput, match="at most 1 imported"):
        _import(any_store, tmp_path, n=2)


def test_an_award_imported_again_is_answered_as_stored(any_store: GraphStore, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same credential imported again makes no second copy and writes nothing: it is
    answered as stored, ``created`` false; even at the cap, since it is no new import."""
    seed_issuing_city(any_store)
    verifier = Verifier(publisher(any_store, tmp_path))
    token = self_signed_credential(EMAIL)
    first = importing.import_badge(any_store, verifier, "se-1", token, EMAIL)
    stored = "MATCH (a:Assertion) RETURN a.id AS id, properties(a) AS p"
    before = any_store.read(stored)
    monkeypatch.setattr(importing, "MAX_IMPORTS", 1)
    again = importing.import_badge(any_store, verifier, "se-1", token, EMAIL)
    assert (first.created, again.created) == (True, False)
    assert (again.assertion_id, again.badge_id, again.issued_on, again.verified) == (
        first.assertion_id, first.badge_id, first.issued_on, False)
    assert any_store.read(stored) == before  # one award, its imported_on and checks as first written
    with pytest.raises(InvalidInput, match="at most 1 imported"):  # another award at the cap is refused
        importing.import_badge(any_store, verifier, "se-1", self_signed_credential(EMAIL, n=2), EMAIL)
