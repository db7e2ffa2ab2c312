"""The contract suite: every statement in graph/queries/, run on FalkorDB (and on
Neo4j when NEO4J_URI is set), checked against numbers computed in Python from the
input rows, repeated awards included (FALKORDB.md's miscount)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from colearn.errors import Conflict
from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.common import first_per_id, write_batches
from colearn.recommender.projections import Projection
from tests.graph_checks import AWARDS_PER_BADGE, delete_nodes, public_statements

NOW = 1_800_000_000


def _awards(rng: random.Random, marks: dict[str, dict]) -> list[dict]:
    """400 award rows over 40 learners and 8 badges, repeated pairs included."""
    awards = []
    for i in range(400):
        learner = f"l{rng.randrange(40)}"
        badge = f"b{rng.randrange(8)}"
        status = "accepted" if rng.random() < 0.85 else rng.choice(["revoked", "issued", "declined"])
        expires = rng.choice([None, None, None, NOW - 10, NOW + 10])
        awards.append({"id": f"a{i}", "organisation_id": "org", "badge_id": badge, "learner_id": learner,
                       "learner_props": {}, "props": {"status": status, "issued_on": 1_600_000_000 + i,
                                                      "expires_on": expires, **marks.get(f"a{i}", {})}})
    return awards


def _seed(store: GraphStore, seed: int = 7, marks: dict[str, dict] | None = None) -> dict:
    """A small random city with repeated awards; returns the input rows.

    ``marks`` adds properties to the assertions it names (id -> props)."""
    rng = random.Random(seed)
    cells = [{"id": f"{d}.{l}", "props": {"domain": d, "layer": l, "layer_rank": li, "domain_rank": di,
                                           "name": f"{d} {l}"}}
             for di, d in enumerate(["knowledge", "skills"]) for li, l in enumerate(["engagement", "participation"])]
    store.write(queries.merge_nodes(Label.SPINE_CELL), {"rows": cells})
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {}}]})
    store.write(queries.merge_nodes(Label.THEME), {"rows": [{"id": "digital", "props": {"kind": "sector"}}]})
    store.write(queries.set_links(Label.THEME, Rel.LEADS_TO, Label.DESTINATION),
                {"rows": [{"id": "digital", "targets": [{"id": "employment", "props": {}}]}]})
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "org", "props": {"name": "Org"}}]})
    badges = [{"id": f"b{i}", "props": {"name": f"Badge {i}"}} for i in range(8)]
    store.write(queries.merge_nodes(Label.BADGE), {"rows": badges})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": b["id"], "targets": [{"id": "org", "props": {}}]} for b in badges]})
    store.write(queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                {"rows": [{"id": b["id"], "targets": [{"id": cells[i % 4]["id"], "props": {}}]}
                          for i, b in enumerate(badges)]})
    store.write(queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME),
                {"rows": [{"id": "b0", "targets": [{"id": "digital", "props": {}}]}]})
    store.write(queries.merge_nodes(Label.OPPORTUNITY),
                {"rows": [{"id": "op1", "props": {"name": "Coding club", "mode": "offline"}}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE),
                {"rows": [{"id": "op1", "targets": [{"id": "b0", "props": {}}, {"id": "b1", "props": {}}]}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": "op1", "targets": [{"id": "org", "props": {}}]}]})
    awards = _awards(rng, marks or {})
    store.write(queries.MERGE_ASSERTIONS, {"rows": awards})
    return {"awards": awards, "badges": badges, "cells": cells}


def expected_awards_per_badge(awards: list[dict]) -> list[dict]:
    """What ``AWARDS_PER_BADGE`` must answer for award rows (``badge_id``, ``learner_id``),
    computed in Python: repeated awards of a badge to a learner all count."""
    per_badge = Counter(a["badge_id"] for a in awards)
    learners = defaultdict(set)
    for a in awards:
        learners[a["badge_id"]].add(a["learner_id"])
    return [{"badge_id": b, "awards": per_badge[b], "learners": len(learners[b])} for b in sorted(per_badge)]


def _held(a: dict) -> bool:
    p = a["props"]
    return p["status"] == "accepted" and (p["expires_on"] is None or p["expires_on"] > NOW)


COVERED: set[str] = set()


def covers(*names: str):
    COVERED.update(names)
    return lambda fn: fn


@covers("COUNT_ASSERTION_PATHS", "MERGE_ASSERTIONS", "merge_nodes", "count_nodes")
def test_assertion_counts_include_repeated_awards(any_store: GraphStore) -> None:
    data = _seed(any_store)
    awards = data["awards"]
    pairs = Counter((a["learner_id"], a["badge_id"]) for a in awards)
    assert max(pairs.values()) > 1, "the fixture must repeat some learner-badge pairs"
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 400, "assertions": 400}]
    assert any_store.read(AWARDS_PER_BADGE) == expected_awards_per_badge(awards)
    assert any_store.read(queries.count_nodes(Label.LEARNER)) == [
        {"n": len({a["learner_id"] for a in awards})}]
    # idempotent: the same batch again changes nothing
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": awards})
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 400, "assertions": 400}]


@covers("MERGE_ASSERTIONS")
def test_reingest_leaves_an_existing_assertion_whole(any_store: GraphStore) -> None:
    awards = _seed(any_store)["awards"]
    first = awards[0]
    # the same id again, with another badge, learner and status: nothing of it lands
    other = {**first, "badge_id": "b7" if first["badge_id"] != "b7" else "b6", "learner_id": "l-new",
             "props": {**first["props"], "status": "revoked", "extra": 1}}
    fresh = {**first, "id": "a-new", "learner_id": "l-new"}
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": [other, fresh]})
    links = ("MATCH (a:Assertion {id: $id}) OPTIONAL MATCH (a)-[r]-(n) "
             "RETURN type(r) AS rel, n.id AS node ORDER BY rel, node")
    assert any_store.read(links, {"id": first["id"]}) == sorted(
        [{"rel": "ISSUED", "node": "org"}, {"rel": "OF", "node": first["badge_id"]},
         {"rel": "TO", "node": first["learner_id"]}], key=lambda r: r["rel"])
    props = any_store.read("MATCH (a:Assertion {id: $id}) RETURN a.status AS status, a.extra AS extra",
                           {"id": first["id"]})
    assert props == [{"status": first["props"]["status"], "extra": None}]
    # the new row in the same batch was written, its learner created once
    assert any_store.read(links, {"id": "a-new"}) == sorted(
        [{"rel": "ISSUED", "node": "org"}, {"rel": "OF", "node": first["badge_id"]},
         {"rel": "TO", "node": "l-new"}], key=lambda r: r["rel"])
    assert any_store.read(queries.count_nodes(Label.LEARNER)) == [
        {"n": len({a["learner_id"] for a in awards}) + 1}]
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 401, "assertions": 401}]


@covers("MERGE_ASSERTIONS")
def test_a_repeated_id_in_one_batch_is_refused_whole(any_store: GraphStore) -> None:
    _seed(any_store)
    row = {"id": "twice", "organisation_id": "org", "badge_id": "b1", "learner_id": "l-twice",
           "learner_props": {}, "props": {"status": "accepted", "issued_on": 1_700_000_000}}
    with pytest.raises(Conflict):
        any_store.write(queries.MERGE_ASSERTIONS, {"rows": [row, {**row, "badge_id": "b2"}]})
    assert any_store.read(queries.missing_ids(Label.ASSERTION), {"ids": ["twice"]}) == [{"id": "twice"}]
    assert any_store.read(queries.missing_ids(Label.LEARNER), {"ids": ["l-twice"]}) == [{"id": "l-twice"}]
    # the rows readers send keep the first row of each id: it lands, once
    write_batches(any_store, queries.MERGE_ASSERTIONS, first_per_id([row, {**row, "badge_id": "b2"}]))
    assert any_store.read("MATCH (a:Assertion {id: 'twice'})-[:OF]->(b:Badge) RETURN b.id AS badge") == [
        {"badge": "b1"}]


@covers("PORTFOLIO_AWARDS", "LEARNER_PORTFOLIO", "GET_LEARNER")
def test_portfolio_keeps_only_accepted_unexpired(any_store: GraphStore) -> None:
    awards = _seed(any_store)["awards"]
    held = [a for a in awards if _held(a)]
    rows = any_store.read(queries.PORTFOLIO_AWARDS, {"now": NOW})
    assert [r["assertion_id"] for r in rows] == [a["id"] for a in held]
    assert {(r["learner_id"], r["badge_id"]) for r in rows} == {(a["learner_id"], a["badge_id"]) for a in held}
    one = held[0]["learner_id"]
    mine = any_store.read(queries.LEARNER_PORTFOLIO, {"learner_id": one, "now": NOW})
    assert [r["assertion_id"] for r in mine] == [a["id"] for a in held if a["learner_id"] == one]
    assert any_store.read(queries.GET_LEARNER, {"learner_id": one})[0]["id"] == one
    assert any_store.read(queries.GET_LEARNER, {"learner_id": "nobody"}) == []


@covers("SPINE_CELLS", "BADGE_CATALOGUE", "BADGE_OPPORTUNITIES", "set_links")
def test_catalogue_reads(any_store: GraphStore) -> None:
    data = _seed(any_store)
    cells = any_store.read(queries.SPINE_CELLS)
    assert [c["id"] for c in cells] == [c["id"] for c in sorted(
        data["cells"], key=lambda c: (c["props"]["domain_rank"], c["props"]["layer_rank"]))]
    catalogue = {b["id"]: b for b in any_store.read(queries.BADGE_CATALOGUE)}
    assert len(catalogue) == 8
    assert catalogue["b0"]["themes"] == ["digital"] and catalogue["b0"]["destinations"] == ["employment"]
    assert catalogue["b5"]["cells"] == [data["cells"][1]["id"]]
    assert all((b["issuer_id"], b["issuer_name"]) == ("org", "Org") for b in catalogue.values())
    assert Projection.from_store(any_store, NOW).badge_issuers == ("Org",) * 8  # what a plain reason names
    opps = {r["badge_id"]: r["opportunities"] for r in
            any_store.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": ["b0", "b1", "b2"], "now": 0})}
    assert set(opps) == {"b0", "b1"}
    assert opps["b0"][0]["id"] == "op1" and opps["b0"][0]["organisation_id"] == "org"


@covers("BADGE_OPPORTUNITIES")
def test_badge_opportunities_name_the_badges_issuer_apart_from_who_runs_them(any_store: GraphStore) -> None:
    """Each opportunity names the badge's issuer (``DEFINES``) beside the organisation that runs
    it (``OFFERS``), which may be another: a reason names the issuer, not the host."""
    _seed(any_store)
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "host", "props": {"name": "Host"}}]})
    any_store.write(queries.set_links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, outgoing=False),
                    {"rows": [{"id": "op1", "targets": [{"id": "host", "props": {}}]}]})
    [row] = any_store.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": ["b0"], "now": 0})
    [op] = row["opportunities"]
    assert (op["organisation_id"], op["organisation_name"]) == ("host", "Host")
    assert (op["issuer_id"], op["issuer_name"]) == ("org", "Org")
    any_store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                    {"rows": [{"id": "b0", "targets": []}]})
    [op] = any_store.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": ["b0"], "now": 0})[0]["opportunities"]
    assert op["issuer_id"] is None and op["issuer_name"] is None


@covers("set_links")
def test_set_links_replaces_and_is_idempotent(any_store: GraphStore) -> None:
    _seed(any_store)
    q = queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE)
    count = "MATCH (:Opportunity {id: 'op1'})-[r:AWARDS]->(b:Badge) RETURN b.id AS id ORDER BY id"
    for targets in (["b2", "b3"], ["b2", "b3"], ["b3"], []):
        any_store.write(q, {"rows": [{"id": "op1", "targets": [{"id": t, "props": {}} for t in targets]}]})
        assert [r["id"] for r in any_store.read(count)] == targets


@covers("missing_ids")
def test_missing_and_delete(any_store: GraphStore) -> None:
    _seed(any_store)
    assert any_store.read(queries.missing_ids(Label.BADGE), {"ids": ["b1", "zz", "b7"]}) == [{"id": "zz"}]
    any_store.write(delete_nodes(Label.BADGE), {"ids": ["b7"]})
    assert any_store.read(queries.count_nodes(Label.BADGE)) == [{"n": 7}]


def test_every_query_is_covered_by_the_contract_suite() -> None:
    """A statement added to graph/queries/ (any module of the package) must be
    exercised by a contract test (on both engines). Every ``*contract*.py`` beside
    this file registers its statements with ``covers``; import them all so this
    holds when run alone. Each statement is re-exported as ``queries.NAME`` (the
    name callers use), and a ``covers`` naming no statement is a stale entry."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("test_*contract*.py")):
        importlib.import_module(f"tests.integration.{path.stem}")
    statements = public_statements()
    assert len(statements) > 50, "the walk over graph/queries/ found too few statements"
    not_exported = sorted(name for name, value in statements.items() if getattr(queries, name, None) is not value)
    assert not not_exported, f"statements graph/queries/__init__.py does not re-export: {not_exported}"
    missing = set(statements) - COVERED
    assert not missing, f"queries without a contract test: {sorted(missing)}"
    stale = COVERED - set(statements)
    assert not stale, f"covers() names that are no statement of graph/queries/: {sorted(stale)}"


@covers("LEARNER_VERIFIED_PORTFOLIO")
def test_verified_portfolio_leaves_out_unverified_imports(any_store: GraphStore) -> None:
    held = [a for a in _awards(random.Random(7), {}) if _held(a)]
    one = max({a["learner_id"] for a in held}, key=lambda l: sum(a["learner_id"] == l for a in held))
    mine = [a["id"] for a in held if a["learner_id"] == one]
    unverified, verified = mine[0], mine[1]
    _seed(any_store, marks={unverified: {"verified": False}, verified: {"verified": True}})
    got = any_store.read(queries.LEARNER_VERIFIED_PORTFOLIO, {"learner_id": one, "now": NOW})
    # assertions issued here (no flag) and verified imports count; an unverified import does not
    assert [r["assertion_id"] for r in got] == [i for i in mine if i != unverified]
    # each row says until when it holds (the portfolio cache keeps a learner's rows until the first expires)
    expiry = {a["id"]: a["props"]["expires_on"] for a in held}
    assert [r["expires_on"] for r in got] == [expiry[r["assertion_id"]] for r in got]
    assert any(r["expires_on"] is not None for r in got) and any(r["expires_on"] is None for r in got)
    assert len(any_store.read(queries.LEARNER_PORTFOLIO, {"learner_id": one, "now": NOW})) == len(mine)


@covers("LEARNER_AWAITING_BADGES")
def test_awaiting_badges_are_the_issued_awards_not_expired(any_store: GraphStore) -> None:
    waiting = [a for a in _seed(any_store)["awards"] if a["props"]["status"] == "issued"]
    checked = 0
    for learner in sorted({a["learner_id"] for a in waiting}):
        got = any_store.read(queries.LEARNER_AWAITING_BADGES, {"learner_id": learner, "now": NOW})
        want = sorted((a["badge_id"], a["props"]["expires_on"]) for a in waiting if a["learner_id"] == learner
                      and (a["props"]["expires_on"] is None or a["props"]["expires_on"] > NOW))
        assert sorted((r["badge_id"], r["expires_on"]) for r in got) == want, learner
        checked += bool(want)
    assert checked >= 5  # and learners whose only issued award has expired get none
    assert any_store.read(queries.LEARNER_AWAITING_BADGES, {"learner_id": "nobody", "now": NOW}) == []


@covers("BADGES_NOT_DEFINED_BY")
def test_badges_not_defined_by_an_organisation(any_store: GraphStore) -> None:
    _seed(any_store)
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "other", "props": {"name": "O"}}]})
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "orphan", "props": {"name": "No issuer"}}]})
    ids = ["b0", "b3", "orphan", "unknown"]
    assert any_store.read(queries.BADGES_NOT_DEFINED_BY, {"ids": ids, "organisation": "org"}) == [
        {"id": "orphan", "issuer": None}]
    others = any_store.read(queries.BADGES_NOT_DEFINED_BY, {"ids": ids, "organisation": "other"})
    assert sorted((r["id"], r["issuer"]) for r in others) == [("b0", "org"), ("b3", "org"), ("orphan", None)]


@covers("merge_assertions", "assertion_groups")
def test_merge_assertions_writes_the_props_in_create_as_merge_assertions_does(any_store: GraphStore) -> None:
    _seed(any_store)
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "org2", "props": {}}]})
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "c1", "props": {}}]})
    statement = queries.merge_assertions(("status", "issued_on", "expires_on", "source"))
    base = {"organisation_id": "org", "badge_id": "b1", "learner_id": "l-m", "learner_props": {"source": "t"}}
    other = {**base, "organisation_id": "org2", "badge_id": "c1", "learner_id": "l-n"}
    rows = [
        {**base, "id": "m-full", "props": {"status": "accepted", "issued_on": 1_700_000_000,
                                           "expires_on": NOW + 100, "source": "t"}},
        {**other, "id": "m-other-1", "props": {"status": "issued", "issued_on": 1_700_000_003}},
        {**base, "id": "m-null", "props": {"status": "issued", "issued_on": 1_700_000_001, "expires_on": None,
                                           "source": "t"}},
        {**base, "id": "m-missing", "badge_id": "b2", "props": {"status": "issued", "issued_on": 1_700_000_002,
                                                                "source": "t", "unlisted": 1}},
        {**base, "id": "m-no-badge", "badge_id": "no-such-badge", "props": {"status": "issued"}},
        {**other, "id": "m-other-2", "learner_id": "l-m", "props": {"status": "accepted", "issued_on": 1}},
        {**base, "id": "m-no-org", "organisation_id": "no-such-org", "props": {"status": "issued"}},
    ]
    # grouped by organisation, then badge, each in the order it first appears
    groups = queries.assertion_groups(rows)["groups"]
    assert [(g["organisation_id"], [(b["badge_id"], [r["id"] for r in b["rows"]]) for b in g["badges"]])
            for g in groups] == [
        ("org", [("b1", ["m-full", "m-null"]), ("b2", ["m-missing"]), ("no-such-badge", ["m-no-badge"])]),
        ("org2", [("c1", ["m-other-1", "m-other-2"])]), ("no-such-org", [("b1", ["m-no-org"])])]
    any_store.write(statement, queries.assertion_groups(rows))
    # the same rows under other ids through MERGE_ASSERTIONS (SET +=): the same properties
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": [{**r, "id": "set-" + r["id"]} for r in rows]})
    read = ("MATCH (a:Assertion) WHERE a.id STARTS WITH $prefix "
            "MATCH (o:Organisation)-[:ISSUED]->(a)-[:OF]->(b:Badge), (a)-[:TO]->(l:Learner) "
            "RETURN a.id AS id, properties(a) AS props, o.id AS org, b.id AS badge, l.id AS learner ORDER BY id")
    got = any_store.read(read, {"prefix": "m-"})
    assert got == [
        {"id": "m-full", "org": "org", "badge": "b1", "learner": "l-m", "props": {
            "id": "m-full", "status": "accepted", "issued_on": 1_700_000_000, "expires_on": NOW + 100, "source": "t"}},
        {"id": "m-missing", "org": "org", "badge": "b2", "learner": "l-m", "props": {
            "id": "m-missing", "status": "issued", "issued_on": 1_700_000_002, "source": "t"}},
        {"id": "m-null", "org": "org", "badge": "b1", "learner": "l-m", "props": {
            "id": "m-null", "status": "issued", "issued_on": 1_700_000_001, "source": "t"}},
        {"id": "m-other-1", "org": "org2", "badge": "c1", "learner": "l-n", "props": {
            "id": "m-other-1", "status": "issued", "issued_on": 1_700_000_003}},
        {"id": "m-other-2", "org": "org2", "badge": "c1", "learner": "l-m", "props": {
            "id": "m-other-2", "status": "accepted", "issued_on": 1}},
    ]
    by_set = any_store.read(read, {"prefix": "set-m-"})
    assert [r["id"] for r in by_set] == ["set-" + r["id"] for r in got]
    # SET += also writes the key the statement was not given; nothing else differs
    assert [{**r["props"], "id": r["id"][4:]} for r in by_set] == [
        {**r["props"], **({"unlisted": 1} if r["id"] == "m-missing" else {})} for r in got]
    assert any_store.read(queries.missing_ids(Label.ASSERTION), {"ids": ["m-no-badge", "m-no-org"]}) == [
        {"id": "m-no-badge"}, {"id": "m-no-org"}]
    assert any_store.read(queries.count_nodes(Label.LEARNER), {}) == [
        {"n": len({a["learner_id"] for a in _awards(random.Random(7), {})}) + 2}]
    # re-ingest, even with other values, changes nothing
    before = any_store.read(queries.COUNT_ASSERTION_PATHS)
    any_store.write(statement, queries.assertion_groups(
        [{**r, "props": {**r["props"], "status": "revoked"}} for r in rows]))
    assert any_store.read(read, {"prefix": "m-"}) == got
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == before
    # a repeated id within one call: a Conflict, and nothing of the call lands
    with pytest.raises(Conflict):
        any_store.write(statement, queries.assertion_groups([
            {**other, "id": "m-twice", "props": {"status": "issued"}},
            {**base, "id": "m-fresh", "props": {"status": "issued"}},
            {**base, "id": "m-twice", "props": {"status": "issued"}}]))
    assert any_store.read(queries.missing_ids(Label.ASSERTION), {"ids": ["m-twice", "m-fresh"]}) == [
        {"id": "m-twice"}, {"id": "m-fresh"}]
    for bad in (("status", "id"), ("status", "status"), ("a b",), ("x}) DETACH DELETE (a",)):
        with pytest.raises(ValueError):
            queries.merge_assertions(bad)
