"""Contract tests (FalkorDB, and Neo4j when NEO4J_URI is set) for the Open Badges statements in
graph/queries/: ``merge_stub_nodes``, ``merge_assertions_optional_issuer``,
``LINK_ASSERTIONS_TO_BADGE_ISSUER`` and ``ASSERTION_ENDPOINTS``. Expected numbers
are computed from the input rows, repeated awards of one badge to one learner included."""

from __future__ import annotations

import random
from collections import Counter

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.openbadges.write import ASSERTION_STATEMENT
from tests.integration.test_contract import covers


def _awards(n: int, *, issuer: str | None, badges: list[str], seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"id": f"{issuer or 'none'}-a{i}", "organisation_id": issuer, "badge_id": rng.choice(badges),
             "learner_id": f"l{rng.randrange(10)}", "learner_props": {"source": "test"},
             "props": {"status": "accepted", "issued_on": 1_600_000_000 + i, "ob_version": "2.0",
                       "evidence_urls": [f"https://e.example/{i}", "https://e.example/x"] if i % 3 == 0 else None,
                       "narrative": f"did {i}" if i % 5 == 0 else None}} for i in range(n)]


def _issued(store: GraphStore) -> int:
    return store.read(f"MATCH (:{Label.ORGANISATION})-[:{Rel.ISSUED}]->(a:{Label.ASSERTION}) "
                      "RETURN count(a) AS n")[0]["n"]


@covers("merge_stub_nodes")
def test_stubs_never_overwrite_existing_nodes(any_store: GraphStore) -> None:
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "real", "props": {"name": "Real"}}]})
    stubs = [{"id": i, "props": {"name": f"Badge at {i}", "stub": True}} for i in ("real", "s1", "s2")]
    for _ in range(2):  # idempotent
        any_store.write(queries.merge_stub_nodes(Label.BADGE), {"rows": stubs})
        rows = any_store.read("MATCH (b:Badge) RETURN b.id AS id, b.name AS name, b.stub AS stub ORDER BY id")
        assert rows == [{"id": "real", "name": "Real", "stub": None},
                        {"id": "s1", "name": "Badge at s1", "stub": True},
                        {"id": "s2", "name": "Badge at s2", "stub": True}]


@covers("merge_assertions_optional_issuer", "LINK_ASSERTIONS_TO_BADGE_ISSUER", "ASSERTION_ENDPOINTS")
def test_awards_without_issuer_get_it_from_the_badge(any_store: GraphStore) -> None:
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "org", "props": {}},
                                                                       {"id": "maker", "props": {}}]})
    badges = ["b0", "b1", "b2"]
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {}} for b in badges]})
    with_issuer = _awards(120, issuer="org", badges=badges, seed=1)
    without = _awards(80, issuer=None, badges=badges, seed=2)
    pairs = Counter((a["learner_id"], a["badge_id"]) for a in with_issuer + without)
    assert max(pairs.values()) > 1, "the rows must repeat some learner-badge pairs"
    for _ in range(2):  # idempotent
        any_store.write(ASSERTION_STATEMENT, {"rows": with_issuer + without})
        assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 200, "assertions": 200}]
        assert _issued(any_store) == 120
    # every property in the CREATE map, lists included; a null one not written
    props = {r["id"]: r["props"] for r in any_store.read(
        f"MATCH (a:{Label.ASSERTION}) RETURN a.id AS id, properties(a) AS props")}
    assert props == {a["id"]: {"id": a["id"], **{k: v for k, v in a["props"].items() if v is not None}}
                     for a in with_issuer + without}
    # a row whose badge does not exist is dropped
    stray = {**without[0], "id": "stray", "badge_id": "no-such-badge"}
    any_store.write(ASSERTION_STATEMENT, {"rows": [stray]})
    assert any_store.read(queries.missing_ids(Label.ASSERTION), {"ids": ["stray"]}) == [{"id": "stray"}]

    # The badges get their defining organisation; only the issuer-less awards of b0 and b1 follow.
    any_store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                    {"rows": [{"id": b, "targets": [{"id": "maker", "props": {}}]} for b in badges]})
    linked = any_store.write(queries.LINK_ASSERTIONS_TO_BADGE_ISSUER, {"badge_ids": ["b0", "b1"]})
    expected = sum(1 for a in without if a["badge_id"] in ("b0", "b1"))
    assert linked == [{"linked": expected}]
    rows = any_store.read(f"MATCH (o:{Label.ORGANISATION})-[:{Rel.ISSUED}]->(a:{Label.ASSERTION}) "
                          "RETURN o.id AS org, count(a) AS n ORDER BY org")
    assert rows == [{"org": "maker", "n": expected}, {"org": "org", "n": 120}]
    assert any_store.write(queries.LINK_ASSERTIONS_TO_BADGE_ISSUER, {"badge_ids": ["b0", "b1"]}) == [{"linked": 0}]

    probe = [with_issuer[0]["id"], without[0]["id"], "nope"]
    got = {r["id"]: (r["badge_id"], r["learner_id"], r["recipient_learner"])
           for r in any_store.read(queries.ASSERTION_ENDPOINTS, {"ids": probe})}
    assert got == {a["id"]: (a["badge_id"], a["learner_id"], None) for a in (with_issuer[0], without[0])}


@covers("REASSIGN_INGESTED_ASSERTION")
def test_an_ingested_award_passes_to_the_learner_who_imports_it(any_store: GraphStore) -> None:
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "b0", "props": {}}]})
    any_store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": i, "props": {}} for i in ("hash", "me")]})
    award = _awards(1, issuer=None, badges=["b0"], seed=3)[0] | {"learner_id": "hash"}
    any_store.write(ASSERTION_STATEMENT, {"rows": [award]})
    moved = {"id": award["id"], "from": "hash", "to": "me",
             "props": {"source": "import", "verified": False, "recipient_learner": "hash"}}
    assert any_store.write(queries.REASSIGN_INGESTED_ASSERTION, moved) == [{"id": award["id"]}]
    rows = any_store.read(f"MATCH (a:{Label.ASSERTION})-[:{Rel.TO}]->(l:{Label.LEARNER}) "
                          "RETURN a.id AS id, l.id AS learner, a.source AS source, a.verified AS verified, "
                          "a.status AS status")
    assert rows == [{"id": award["id"], "learner": "me", "source": "import", "verified": False, "status": "accepted"}]
    # once moved it is no longer the placeholder's: a second move finds nothing and changes nothing
    assert any_store.write(queries.REASSIGN_INGESTED_ASSERTION, moved | {"to": "hash"}) == []
    # it still names the recipient it was awarded to (a later ingest of it knows it by that)
    [got] = any_store.read(queries.ASSERTION_ENDPOINTS, {"ids": [award["id"]]})
    assert {k: got[k] for k in ("id", "badge_id", "learner_id", "recipient_learner", "withdrawn")} == {
        "id": award["id"], "badge_id": "b0", "learner_id": "me", "recipient_learner": "hash", "withdrawn": False}
