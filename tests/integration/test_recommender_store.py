"""The recommender read from a real graph (FalkorDB): same answers as from rows, live portfolio, errors."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from colearn.errors import InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.store import GraphStore
from colearn.recommender.projections import Projection
from colearn.recommender.recommend import Recommender
from tests.recommender_builders import BADGES, CELLS, awards

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
T0 = int(NOW.timestamp()) - 1_000_000  # awards happen before NOW


def _write_graph(store: GraphStore) -> list[tuple[str, str, int, str]]:
    """Write spine, badges, opportunities and assertions; return the portfolio awards as rows."""
    store.write(queries.merge_nodes(Label.SPINE_CELL),
                {"rows": [{"id": c["id"], "props": {k: v for k, v in c.items() if k != "id"}} for c in CELLS]})
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "org", "props": {"name": "Org"}}]})
    store.write(queries.merge_nodes(Label.BADGE),
                {"rows": [{"id": b["id"], "props": {"name": b["name"]}} for b in BADGES]})
    store.write(queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                {"rows": [{"id": b["id"], "targets": [{"id": c, "props": {}} for c in b["cells"]]}
                          for b in BADGES]})
    store.write(queries.set_links(Label.ORGANISATION, Rel.DEFINES, Label.BADGE),
                {"rows": [{"id": "org", "targets": [{"id": b["id"], "props": {}} for b in BADGES]}]})
    store.write(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [
        {"id": "club-night", "props": {"name": "Club night", "mode": "offline"}},
        {"id": "show-online", "props": {"name": "Show online", "mode": "online", "url": "https://x.example/show"}},
    ]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE), {"rows": [
        {"id": "club-night", "targets": [{"id": "club", "props": {}}]},
        {"id": "show-online", "targets": [{"id": "show", "props": {}}]},
    ]})
    store.write(queries.set_links(Label.ORGANISATION, Rel.OFFERS, Label.OPPORTUNITY),
                {"rows": [{"id": "org", "targets": [{"id": "club-night", "props": {}},
                                                    {"id": "show-online", "props": {}}]}]})

    def row(aid: str, learner: str, badge: str, on: int, status: str = AssertionStatus.ACCEPTED,
            expires_on: int | None = None) -> dict:
        props = {"status": str(status), "issued_on": on}
        if expires_on is not None:
            props["expires_on"] = expires_on
        return {"id": aid, "organisation_id": "org", "badge_id": badge, "learner_id": learner,
                "learner_props": {"name": learner}, "props": props}

    portfolio = [(learner, badge, T0 + on, f"as-{n:03d}") for learner, badge, on, n in awards()]
    rows = [row(aid, learner, badge, on) for learner, badge, on, aid in portfolio]
    rows += [
        row("as-revoked", "u5", "lead", T0 + 50, status=AssertionStatus.REVOKED),
        row("as-expired", "u4", "show", T0 + 60, expires_on=T0 + 70),
        row("as-pending", "t", "read", T0 + 80, status=AssertionStatus.ISSUED),
        row("as-lapsed", "lapsed", "first", T0 + 90, status=AssertionStatus.REVOKED),
    ]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})
    return portfolio


def test_projection_from_store_counts_only_the_portfolio(store: GraphStore) -> None:
    _write_graph(store)
    p = Projection.from_store(store, NOW)
    assert p.learner_badges.shape == (6, 7)  # u1-u5, t; "lapsed" holds nothing
    assert p.now == int(NOW.timestamp())
    held = {lid: {p.badges.id(c) for c in p.history(p.learners.row(lid))[0]} for lid in p.learners}
    assert held["u1"] == {"first", "club", "show"}  # two awards of "first" count once
    assert p.learner_badges[[p.learners.row("u1")]].toarray().sum() == 3
    assert "lead" not in held["u5"]  # revoked
    assert "show" not in held["u4"]  # expired before NOW
    assert "read" not in held["t"]  # issued, not accepted
    assert p.badge_cell_ids()["club"] == ("skills.participation",)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        Projection.from_store(store, datetime(2024, 1, 1))


def test_from_store_gives_the_same_recommendations_as_from_rows(store: GraphStore) -> None:
    portfolio = _write_graph(store)
    from_store = Recommender.from_store(store, NOW)
    from_rows = Recommender.from_rows(portfolio, BADGES, CELLS)
    for learner in ["u1", "u2", "u3", "u4", "u5", "t"]:
        a, b = from_store.recommend(learner), from_rows.recommend(learner)
        assert a, learner
        # the store also knows what awaits the learner's answer: t was awarded "read" (issued), which
        # the rows (the portfolio alone) do not show; it is not offered, and the rest keeps its order
        awaiting = {"read"} if learner == "t" else set()
        assert awaiting <= {r.badge_id for r in b}
        b = [r for r in b if r.badge_id not in awaiting]
        assert [(r.badge_id, r.name, r.reasons) for r in a] == [(r.badge_id, r.name, r.reasons) for r in b]
        assert [r.score for r in a] == pytest.approx([r.score for r in b])
        assert all(r.opportunities == [] for r in b)
    assert np.array_equal(from_store.projection_.learner_badges.toarray(),
                          from_rows.projection_.learner_badges.toarray())


def test_recommendations_carry_their_opportunities(store: GraphStore) -> None:
    _write_graph(store)
    out = {r.badge_id: r for r in Recommender.from_store(store, NOW).recommend("t")}
    (club_night,) = out["club"].opportunities
    assert club_night["id"] == "club-night" and club_night["mode"] == "offline"
    assert club_night["organisation_id"] == "org"
    (show,) = out["show"].opportunities
    assert show["url"] == "https://x.example/show"
    assert out["quiz"].opportunities == []


def test_unknown_learner_and_learner_without_portfolio(store: GraphStore) -> None:
    _write_graph(store)
    rec = Recommender.from_store(store, NOW)
    with pytest.raises(NotFound, match="learner 'ghost'"):
        rec.recommend("ghost")
    out = rec.recommend("lapsed", limit=3)  # in the graph, but their only award was revoked
    assert [r.badge_id for r in out] == ["first", "club", "show"]
    assert all("no badges yet" in r.reasons[0] for r in out)


def test_live_portfolio_and_add_award(store: GraphStore) -> None:
    _write_graph(store)
    rec = Recommender.from_store(store, NOW)
    assert rec.recommend("t")[0].badge_id == "club"
    store.write(queries.MERGE_ASSERTIONS, {"rows": [{
        "id": "as-new", "organisation_id": "org", "badge_id": "club", "learner_id": "t",
        "learner_props": {}, "props": {"status": "accepted", "issued_on": T0 + 500}}]})
    # the graph is the truth: the new badge is held at once, before any update
    assert "club" not in {r.badge_id for r in rec.recommend("t")}
    assert rec.add_award("t", "club", T0 + 500) is True
    assert rec.signals_["popularity"].holders_[rec.badges.row("club")] == 5
    rebuilt = Recommender.from_store(store, NOW)
    assert [(r.badge_id, r.reasons) for r in rec.recommend("t")] == \
        [(r.badge_id, r.reasons) for r in rebuilt.recommend("t")]


@pytest.mark.parametrize("made", ["badge", "learner", "cell"])
def test_a_node_without_an_id_is_named_with_the_graph_it_is_in(store: GraphStore, made: str) -> None:
    """A node another application (or a hand-written statement) made without an ``id``: neither
    store can require the property, so the build checks it and names the graph, the node kind and
    the fix. Before, it failed with "badge id must be a non-empty string, got None"."""
    _write_graph(store)
    if made == "badge":
        store.write(f"CREATE (:{Label.BADGE} {{name: 'Made elsewhere'}})")
    elif made == "cell":
        store.write(f"CREATE (:{Label.SPINE_CELL} {{layer: 'engagement'}})")
    else:
        store.write(f"MATCH (b:{Label.BADGE} {{id: 'first'}}) "
                    f"CREATE (:{Label.LEARNER} {{name: 'nobody'}})<-[:{Rel.TO}]-"
                    f"(:{Label.ASSERTION} {{id: 'as-elsewhere', status: 'accepted', issued_on: {T0}}})-[:{Rel.OF}]->(b)")
    node = {"badge": "a Badge", "cell": "a SpineCell", "learner": "a Learner"}[made]
    with pytest.raises(InvalidInput) as caught:
        Recommender.from_store(store, NOW)
    said = str(caught.value)
    assert said.startswith(store.where) and f"{node} node has no id" in said and "delete it" in said
    assert {"falkordb": "FalkorDB graph", "neo4j": "Neo4j database"}[store.backend] in said
