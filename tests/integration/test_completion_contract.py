"""Contract test for the statement that finds pathways a new award may complete."""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue, read_catalogue

from tests.integration.test_contract import covers

NOW = 1_800_000_000
#: A completion's own recipient (``$recipient``), as ``issuing.hashed_recipient`` makes it.
RECIPIENT = {"recipient_type": "url", "recipient_salt": "s", "recipient_hash": "sha256$x"}


@covers("PATHWAYS_COMPLETED_BY_BADGE")
def test_pathways_completed_by_badge(any_store: GraphStore) -> None:
    ingest_catalogue(any_store, demo_city_path())
    catalogue = read_catalogue(demo_city_path())
    pathways = [e.value for e in catalogue.pathways]
    badges = {b for p in pathways for s in p.steps for b in s.badges}
    for badge in sorted(badges):
        expected = sorted(p.id for p in pathways if p.status == "published" and p.completion_badge
                          and any(badge in s.badges for s in p.steps))
        got = [r["id"] for r in any_store.read(queries.PATHWAYS_COMPLETED_BY_BADGE, {"badge_id": badge})]
        assert got == expected, badge
    assert any_store.read(queries.PATHWAYS_COMPLETED_BY_BADGE, {"badge_id": "no-such-badge"}) == []


@covers("PATHWAY_COMPLETION_NEEDS")
def test_pathway_completion_needs(any_store: GraphStore) -> None:
    ingest_catalogue(any_store, demo_city_path())
    pathways = [e.value for e in read_catalogue(demo_city_path()).pathways]
    draft = next((p for p in pathways if p.status != "published" and p.completion_badge), None)

    def expected(extra: str | None) -> list[tuple[str, str, list[str]]]:
        return sorted((p.id, p.completion_badge, sorted({b for s in p.steps if not s.optional for b in s.badges}))
                      for p in pathways if p.completion_badge and (p.status == "published" or p.id == extra))

    for extra in (None, draft.id if draft else None, "no-such-pathway"):
        got = [(r["pathway_id"], r["completion"], sorted(r["needs"]))
               for r in any_store.read(queries.PATHWAY_COMPLETION_NEEDS, {"id": extra or ""})]
        assert got == expected(extra)
    assert expected(None), "the demo city has published pathways with completion badges"


def _awards_of_one_learner(store: GraphStore) -> None:
    from colearn.graph.schema import Label, Rel
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}, {"id": "l2", "props": {}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b}} for b in ("b1", "b2")]})
    rows = [("a1", "issued", "l1", "b1"), ("a2", "accepted", "l1", "b1"), ("a3", "revoked", "l1", "b1"),
            ("a4", "declined", "l1", "b1"), ("a5", "accepted", "l1", "b2"), ("a6", "accepted", "l2", "b1"),
            ("a7", "accepted", "l2", "b2")]
    store.write(queries.merge_nodes(Label.ASSERTION), {"rows": [
        {"id": a, "props": {"status": s, "recipient_hash": "sha256$ab", "recipient_salt": "s", "recipient_type": "email",
                            "evidence_url": "https://e.example", **({"expires_on": NOW} if a == "a7" else {})}}
        for a, s, _, _ in rows]})
    store.write(queries.set_links(Label.ASSERTION, Rel.TO, Label.LEARNER),
                {"rows": [{"id": a, "targets": [{"id": l, "props": {}}]} for a, _, l, _ in rows]})
    store.write(queries.set_links(Label.ASSERTION, Rel.OF, Label.BADGE),
                {"rows": [{"id": a, "targets": [{"id": b, "props": {}}]} for a, _, _, b in rows]})


def _live(store: GraphStore, learner_id: str, badge_id: str, now: int) -> list[dict]:
    """The learner's live awards of the badge at ``now`` (``LIVE_AWARDS_OF_PAIRS`` of one pair)."""
    return store.read(queries.LIVE_AWARDS_OF_PAIRS, {"pairs": [{"learner_id": learner_id, "badge_id": badge_id}],
                                                     "now": now})


@covers("LIVE_AWARDS_OF_PAIRS", "ERASE_ASSERTION")
def test_live_awards_and_erasing_an_assertion(any_store: GraphStore) -> None:
    _awards_of_one_learner(any_store)
    live = lambda: [(r["id"], r["status"]) for r in _live(any_store, "l1", "b1", NOW)]  # noqa: E731
    assert live() == [("a1", "issued"), ("a2", "accepted")]
    assert any_store.write(queries.ERASE_ASSERTION, {"id": "a2"}) == [{"id": "a2"}]
    assert live() == [("a1", "issued")]
    row = any_store.read("MATCH (a:Assertion {id: 'a2'}) RETURN properties(a) AS p, "
                         "size([(a)--() | 1]) AS links")[0]
    assert row["links"] == 0 and row["p"]["erased"] is True
    assert not {"recipient_hash", "recipient_salt", "recipient_type", "evidence_url"} & set(row["p"])
    assert any_store.write(queries.ERASE_ASSERTION, {"id": "no-such"}) == []
    assert [r["id"] for r in _live(any_store, "l2", "b1", NOW)] == ["a6"]
    # an award that expired is not live: at its expiry time it no longer counts
    assert [r["id"] for r in _live(any_store, "l2", "b2", NOW - 1)] == ["a7"]
    assert _live(any_store, "l2", "b2", NOW) == []


@covers("AWARD_PATHWAY_COMPLETION")
def test_a_completion_is_not_made_beside_a_live_award(any_store: GraphStore) -> None:
    """The completion statement looks for the learner's live award of the badge itself:
    one held live (here a direct award) is the answer and nothing is written; a revoked,
    declined or expired one does not count; the learner's own completion answers itself,
    and once withdrawn is never linked again; a deleted pathway awards nothing."""
    from colearn.graph.schema import Label
    from tests.integration.test_completion_races import _city

    _city(any_store, ["l1", "l2", "l3"], ["path"])

    def complete(learner: str) -> list[dict]:
        return any_store.write(queries.AWARD_PATHWAY_COMPLETION, {
            "id": f"pc-{learner}", "pathway_id": "path", "learner_id": learner, "now": NOW,
            "recipient": RECIPIENT,
            "props": {"status": "issued", "issued_on": NOW, "source": "pathway-completion", "pathway_id": "path"}})

    def links(aid: str) -> list[dict]:
        return any_store.read(f"MATCH (a:{Label.ASSERTION} {{id: $id}}) OPTIONAL MATCH (a)-[r]-(n) "
                              "RETURN type(r) AS rel, n.id AS other ORDER BY rel", {"id": aid})

    held = [("d1", "l1", "issued", None), ("x1", "l2", "revoked", None), ("x2", "l2", "declined", None),
            ("x3", "l2", "accepted", NOW)]
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": aid, "organisation_id": "org", "badge_id": "done", "learner_id": lid, "learner_props": {},
         "props": {"status": status, "issued_on": NOW - 10, "expires_on": expires}}
        for aid, lid, status, expires in held]})
    assert complete("l1") == [{"id": "d1", "badge_id": "done", "status": "issued", "issued_on": NOW - 10,
                               "created": False, "held": True}]
    assert links("pc-l1") == [] and any_store.read(queries.GET_ASSERTION, {"id": "pc-l1"}) == []
    made = complete("l2")
    assert made == [{"id": "pc-l2", "badge_id": "done", "status": "issued", "issued_on": NOW, "created": True,
                     "held": False}]
    assert [(r["rel"], r["other"]) for r in links("pc-l2")] == [("ISSUED", "org"), ("OF", "done"), ("TO", "l2")]
    assert complete("l2") == [made[0] | {"created": False}]
    # withdrawn (revoked, then its links erased): answered as it is, never linked again
    any_store.write(f"MATCH (a:{Label.ASSERTION} {{id: 'pc-l2'}}) SET a.status = 'revoked'")
    any_store.write(queries.ERASE_ASSERTION, {"id": "pc-l2"})
    assert complete("l2") == [made[0] | {"created": False, "status": "revoked"}]
    assert [(r["rel"], r["other"]) for r in links("pc-l2")] == [("ISSUED", "org")]  # its issuer's lists keep it
    # nothing is left of the locks
    assert any_store.read(f"MATCH (n) WHERE n:{Label.PATHWAY} OR n:{Label.ORGANISATION} "
                          "RETURN collect(n._lock) AS locks") == [{"locks": []}]
    any_store.write(f"MATCH (p:{Label.PATHWAY} {{id: 'path'}}) DETACH DELETE p")
    assert complete("l3") == []
    assert any_store.read(queries.GET_ASSERTION, {"id": "pc-l3"}) == []


@covers("AWARD_PATHWAY_COMPLETION")
def test_a_completion_always_gets_a_recipient(any_store: GraphStore) -> None:
    """A learner with an award here is named as that award names them; one without
    (known from an ingested history or imports) gets ``$recipient``: before, the
    completion had no recipient then, and was published nowhere."""
    from colearn.graph.schema import Label
    from tests.integration.test_completion_races import _city

    _city(any_store, ["named"], ["path"])
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": "h-1", "organisation_id": "org", "badge_id": "step", "learner_id": "history", "learner_props": {},
         "props": {"status": "accepted", "issued_on": NOW - 100, "source": "history"}}]})

    def recipient(learner: str) -> dict:
        any_store.write(queries.AWARD_PATHWAY_COMPLETION, {
            "id": f"pc-{learner}", "pathway_id": "path", "learner_id": learner, "now": NOW, "recipient": RECIPIENT,
            "props": {"status": "issued", "issued_on": NOW, "source": "pathway-completion", "pathway_id": "path"}})
        return any_store.read(f"MATCH (a:{Label.ASSERTION} {{id: $id}}) RETURN a.recipient_type AS recipient_type, "
                              "a.recipient_salt AS recipient_salt, a.recipient_hash AS recipient_hash",
                              {"id": f"pc-{learner}"})[0]

    assert recipient("history") == RECIPIENT
    assert recipient("named") == {"recipient_type": "email", "recipient_salt": "s", "recipient_hash": "sha256$00"}


@covers("UNNAMED_COMPLETIONS", "NAME_COMPLETIONS")
def test_completions_stored_without_a_recipient_are_found_and_named_once(any_store: GraphStore) -> None:
    """The read lists completions with no recipient that a learner still holds (not a
    named one, not a direct award, not a withdrawn one); the write names only those
    still unnamed, so a second run (or a racing process) changes nothing."""
    from colearn.graph.schema import Label
    from tests.integration.test_completion_races import _city

    _city(any_store, ["l1", "l2", "l3"], ["path"])
    source = "pathway-completion"
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": aid, "organisation_id": "org", "badge_id": "done", "learner_id": lid, "learner_props": {},
         "props": {"status": "issued", "issued_on": NOW, **props}}
        for aid, lid, props in [("pc-a", "l1", {"source": source}), ("pc-b", "l2", {"source": source}),
                                ("pc-named", "l3", {"source": source, **RECIPIENT}),
                                ("direct", "l3", {"source": "colearn"})]]})
    any_store.write(f"MATCH (a:{Label.ASSERTION} {{id: 'pc-b'}})-[r:TO]->() DELETE r")  # withdrawn: erased
    assert any_store.read(queries.UNNAMED_COMPLETIONS, {"source": source}) == [{"id": "pc-a", "learner_id": "l1"}]
    other = {"recipient_type": "url", "recipient_salt": "t", "recipient_hash": "sha256$y"}
    rows = [{"id": "pc-a", **other}, {"id": "pc-named", **other}]
    assert any_store.write(queries.NAME_COMPLETIONS, {"rows": rows}) == [{"named": 1}]
    stored = {r["id"]: r["h"] for r in any_store.read(
        f"MATCH (a:{Label.ASSERTION}) WHERE a.id IN ['pc-a', 'pc-named'] RETURN a.id AS id, a.recipient_hash AS h")}
    assert stored == {"pc-a": "sha256$y", "pc-named": "sha256$x"}
    assert any_store.read(queries.UNNAMED_COMPLETIONS, {"source": source}) == []
    assert any_store.write(queries.NAME_COMPLETIONS, {"rows": rows}) == [{"named": 0}]


@covers("COMPLETION_PATHWAYS")
def test_completion_pathways_are_every_pathway_with_a_completion_badge(any_store: GraphStore) -> None:
    ingest_catalogue(any_store, demo_city_path())
    pathways = [e.value for e in read_catalogue(demo_city_path()).pathways]
    any_store.write(queries.SET_PATHWAY_STATUS, {"id": "digital-careers", "status": "archived", "now": NOW})
    got = [r["record"] for r in any_store.read(queries.COMPLETION_PATHWAYS)]
    expected = sorted(p.id for p in pathways if p.completion_badge)
    assert [r["id"] for r in got] == expected and len(expected) < len(pathways)
    by_id = {p.id: p for p in pathways}
    for r in got:
        assert r["completion_badge"] == by_id[r["id"]].completion_badge
        assert [sorted(s["badges"]) for s in r["steps"]] == [sorted(s.badges) for s in by_id[r["id"]].steps]
        assert [bool(s["optional"]) for s in r["steps"]] == [s.optional for s in by_id[r["id"]].steps]
    assert {r["id"]: r["status"] for r in got}["digital-careers"] == "archived"  # any status


@covers("COMPLETIONS_MADE")
def test_completions_made_finds_an_award_by_id_in_any_state(any_store: GraphStore) -> None:
    _awards_of_one_learner(any_store)
    any_store.write(queries.ERASE_ASSERTION, {"id": "a3"})  # withdrawn: no learner, no badge left
    got = any_store.read(queries.COMPLETIONS_MADE, {"ids": ["a4", "a3", "a1", "nope"]})
    assert [(r["id"], r["status"]) for r in got] == [("a1", "issued"), ("a3", "revoked"), ("a4", "declined")]
    assert any_store.read(queries.COMPLETIONS_MADE, {"ids": []}) == []
