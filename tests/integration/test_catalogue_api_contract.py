"""Contract tests for the catalogue API's statements (both engines): pages with
filters and totals, one-statement upserts and guarded deletes, pathway authoring,
partner origins and the idempotent completion award. Expected values come from
the minimal catalogue's raw records, not from the reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from colearn.errors import Conflict
from colearn.graph import queries
from colearn.graph.issuing import in_use
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue

from tests.integration.test_completion_contract import RECIPIENT
from tests.catalogue_builders import minimal_catalogue, write_yaml
from tests.integration.test_contract import covers


@pytest.fixture
def city(any_store: GraphStore, tmp_path: Path) -> dict:
    raw = minimal_catalogue()
    ingest_catalogue(any_store, write_yaml(tmp_path / "city.yaml", raw))
    return raw


def _page(store: GraphStore, label: Label, offset: int = 0, limit: int = 100, **filters) -> dict:
    params = {name: None for name in queries.CATALOGUE_FILTERS[label]} | {"q": None}
    return store.read(queries.catalogue_page(label), params | filters | {"offset": offset, "limit": limit})[0]


@covers("catalogue_page", "catalogue_get")
def test_pages_filter_and_count(any_store: GraphStore, city: dict) -> None:
    badges = sorted(city["badges"], key=lambda b: b["id"])
    page = _page(any_store, Label.BADGE, offset=1, limit=2)
    assert page["total"] == len(badges)
    assert [b["id"] for b in page["data"]] == [b["id"] for b in badges[1:3]]
    digital = _page(any_store, Label.BADGE, theme="digital")
    assert sorted(b["id"] for b in digital["data"]) == sorted(b["id"] for b in badges if "digital" in b.get("themes", []))
    assert digital["total"] == len(digital["data"])
    # destination through a theme: green -> civic_engagement only reaches "mentor"
    assert [b["id"] for b in _page(any_store, Label.BADGE, destination="civic_engagement")["data"]] == ["mentor"]
    assert [b["id"] for b in _page(any_store, Label.BADGE, spine_cell="skills.demonstration")["data"]] == ["app"]
    assert [b["id"] for b in _page(any_store, Label.BADGE, place="centre")["data"]] == ["taster"]
    assert [b["id"] for b in _page(any_store, Label.BADGE, q="ment")["data"]] == ["mentor"]
    assert _page(any_store, Label.BADGE, theme="digital", organisation="college")["total"] == 0
    online = _page(any_store, Label.OPPORTUNITY, mode="online")["data"]
    assert [o["id"] for o in online] == ["online-course"] and online[0]["place"] is None
    assert [o["id"] for o in _page(any_store, Label.OPPORTUNITY, spine_cell="skills.participation")["data"]] == [
        "online-course"]
    themes = _page(any_store, Label.THEME, destination="employment")["data"]
    assert [t["id"] for t in themes] == ["digital"]
    cells = _page(any_store, Label.SPINE_CELL, domain="skills")["data"]
    assert [c["layer_rank"] for c in cells] == [0, 1, 2, 3]
    mentor = any_store.read(queries.catalogue_get(Label.BADGE), {"id": "mentor"})[0]["record"]
    raw = next(b for b in badges if b["id"] == "mentor")
    assert (mentor["issuer"], sorted(mentor["themes"]), mentor["cells"], mentor["expires_after_days"]) == (
        raw["issuer"], sorted(raw["themes"]), raw["cells"], raw["expires_after_days"])
    assert any_store.read(queries.catalogue_get(Label.BADGE), {"id": "nope"}) == []


@covers("catalogue_page")
def test_pages_leave_out_nodes_without_an_id_and_lower_the_text_as_the_engine_does(
        any_store: GraphStore, city: dict) -> None:
    """A node without an id (another application's, or made by hand) is not listed: its record
    failed the answer's model (a 500 on ``GET /badges?q=...``, ``/themes``, ``/opportunities``). The
    text is lower-cased by the engine on both sides: "İ" lowered in Python is two characters, which
    FalkorDB's lowering of the name never gave, so a badge named for İstanbul was not found."""
    any_store.write(f"CREATE (:{Label.BADGE} {{name: 'Mentor elsewhere'}}), (:{Label.THEME} {{name: 'Loose'}})")
    assert [b["id"] for b in _page(any_store, Label.BADGE, q="mentor")["data"]] == ["mentor"]
    assert None not in [t["id"] for t in _page(any_store, Label.THEME)["data"]]
    assert _page(any_store, Label.BADGE)["total"] == len(city["badges"])
    any_store.write(queries.catalogue_upsert(Label.BADGE, create=True),
                    {"id": "ist", "props": {"name": "İstanbul walks", "description": "", "criteria": None,
                                            "expires_after_days": None}, "l0": [], "l1": [], "l2": []})
    for q in ("İstanbul", "walks", "WALKS"):
        assert [b["id"] for b in _page(any_store, Label.BADGE, q=q)["data"]] == ["ist"], q


@covers("catalogue_upsert")
def test_upsert_writes_node_and_replaces_links(any_store: GraphStore, city: dict) -> None:
    create = queries.catalogue_upsert(Label.BADGE, create=True)
    row = {"id": "new", "props": {"name": "New", "description": "", "criteria": None, "expires_after_days": 30},
           "l0": ["library"], "l1": ["skills.engagement", "skills.participation"], "l2": ["digital"]}
    assert any_store.write(create, row) == [{"id": "new"}]
    with pytest.raises(Conflict):
        any_store.write(create, row)
    update = queries.catalogue_upsert(Label.BADGE, create=False)
    assert any_store.write(update, row | {"props": {**row["props"], "name": "Renamed", "expires_after_days": None},
                                          "l0": ["college"], "l1": ["knowledge.leadership"], "l2": []}) == [
        {"id": "new"}]
    got = any_store.read(queries.catalogue_get(Label.BADGE), {"id": "new"})[0]["record"]
    assert (got["name"], got["expires_after_days"], got["issuer"], got["cells"], got["themes"]) == (
        "Renamed", None, "college", ["knowledge.leadership"], [])
    assert any_store.write(update, row | {"id": "ghost"}) == []
    assert any_store.read(queries.count_nodes(Label.BADGE)) == [{"n": len(city["badges"]) + 1}]


@covers("catalogue_usage", "catalogue_delete")
def test_delete_only_what_nothing_needs(any_store: GraphStore, city: dict) -> None:
    # "taster" is accepted by a pathway step: it stays
    assert any_store.read(queries.catalogue_usage(Label.BADGE), {"id": "taster"}) == [
        {"id": "taster", "uses": [0, 1, 0, 0, 1], "named": [[], ["into-tech"], [], [], ["taster-day"]]}]
    assert any_store.write(queries.catalogue_delete(Label.BADGE), {"id": "taster"}) == [{"deleted": 0}]
    assert any_store.read(queries.catalogue_usage(Label.OPPORTUNITY), {"id": "taster-day"}) == [
        {"id": "taster-day", "uses": [0], "named": [[]]}]
    assert any_store.write(queries.catalogue_delete(Label.OPPORTUNITY), {"id": "taster-day"}) == [{"deleted": 1}]
    assert any_store.write(queries.catalogue_delete(Label.OPPORTUNITY), {"id": "taster-day"}) == [{"deleted": 0}]
    assert any_store.read(queries.catalogue_usage(Label.OPPORTUNITY), {"id": "taster-day"}) == []
    # the place is free once its only opportunity is gone
    assert any_store.write(queries.catalogue_delete(Label.PLACE), {"id": "centre"}) == [{"deleted": 1}]
    assert any_store.read(queries.count_nodes(Label.OPPORTUNITY)) == [{"n": len(city["opportunities"]) - 1}]


@covers("catalogue_usage", "catalogue_delete")
def test_an_opportunity_that_awards_a_badge_keeps_it(any_store: GraphStore, city: dict) -> None:
    """A badge any opportunity awards stays (before, deleting it took it off the opportunity,
    another organisation's too: "club" is the library's, listed by the college's course)."""
    assert any_store.read(queries.catalogue_usage(Label.BADGE), {"id": "club"})[0]["uses"][-1] == 1
    assert any_store.write(queries.catalogue_delete(Label.BADGE), {"id": "club"}) == [{"deleted": 0}]
    assert in_use(any_store, Label.BADGE, "club") == {"pathway steps": "1 pathway step: into-tech",
                                                      "opportunities": "1 opportunity: online-course"}
    assert any_store.read(queries.catalogue_get(Label.OPPORTUNITY), {"id": "online-course"})[0]["record"][
        "badges"] != []
    # "mentor" is awarded by no opportunity (only a step): once the pathway is gone, it goes
    any_store.write("MATCH (p:Pathway)-[:HAS_STEP]->(s) DETACH DELETE p, s")
    assert any_store.write(queries.catalogue_delete(Label.BADGE), {"id": "mentor"}) == [{"deleted": 1}]
    assert any_store.write(queries.catalogue_delete(Label.BADGE), {"id": "club"}) == [{"deleted": 0}]


@covers("catalogue_delete")
def test_an_organisation_deleted_takes_its_keys_with_it(any_store: GraphStore, city: dict) -> None:
    """Its keys not yet revoked are revoked at ``$now``; one revoked before keeps its time;
    another organisation's keys, and the keys of an organisation kept (in use), are untouched."""
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "lonely", "props": {"name": "L"}}]})
    for key, org in (("k1", "lonely"), ("k2", "lonely"), ("k3", "library")):
        any_store.write(queries.CREATE_API_KEY, {"id": key, "hash": "h", "role": "organisation", "origins": [],
                                                 "organisation_id": org, "name": "", "created_on": 1})
    any_store.write(queries.REVOKE_API_KEY, {"id": "k2", "revoked_on": 5})
    delete = queries.catalogue_delete(Label.ORGANISATION)
    assert any_store.write(delete, {"id": "library", "now": 7}) == [{"deleted": 0}]  # it defines badges
    assert any_store.write(delete, {"id": "lonely", "now": 9}) == [{"deleted": 1}]
    assert any_store.write(delete, {"id": "lonely", "now": 11}) == [{"deleted": 0}]
    revoked = {r["id"]: r["revoked_on"] for r in any_store.read(queries.LIST_API_KEYS)}
    assert revoked == {"k1": 9, "k2": 5, "k3": None}


@covers("LIVE_CLAIM_CODES_AT")
def test_live_claim_codes_at_an_opportunity(any_store: GraphStore, city: dict) -> None:
    rows = [{"id": c, "props": {"organisation_id": "library", **({"revoked_on": 5} if c == "c3" else {})}}
            for c in ("c2", "c1", "c3")]
    any_store.write(queries.merge_nodes(Label.CLAIM_CODE), {"rows": rows})
    any_store.write(queries.set_links(Label.CLAIM_CODE, Rel.AT, Label.OPPORTUNITY),
                    {"rows": [{"id": r["id"], "targets": [{"id": "taster-day", "props": {}}]} for r in rows]})
    any_store.write(queries.set_links(Label.CLAIM_CODE, Rel.GRANTS, Label.BADGE),
                    {"rows": [{"id": r["id"], "targets": [{"id": "taster", "props": {}}]} for r in rows]})
    assert any_store.read(queries.LIVE_CLAIM_CODES_AT, {"ids": ["taster-day", "online-course", "nope"]}) == [
        {"opportunity_id": "taster-day", "id": "c1", "badge_id": "taster", "organisation_id": "library"},
        {"opportunity_id": "taster-day", "id": "c2", "badge_id": "taster", "organisation_id": "library"}]
    assert any_store.read(queries.LIVE_CLAIM_CODES_AT, {"ids": ["online-course"]}) == []


@covers("catalogue_usage", "catalogue_delete")
def test_links_into_a_node_keep_it_unless_they_are_a_learners(any_store: GraphStore, city: dict) -> None:
    """A theme in a badge or an opportunity, a destination a theme leads to, and an
    opportunity or badge with a claim code not revoked are kept (before, a theme and
    an opportunity had no blockers: deleting them dropped the badges' themes and the
    codes' opportunity); a learner's stated interest does not keep a theme."""
    usage = {(label, i): any_store.read(queries.catalogue_usage(label), {"id": i})[0]["uses"]
             for label, i in [(Label.THEME, "green"), (Label.THEME, "digital"),
                              (Label.DESTINATION, "civic_engagement"), (Label.OPPORTUNITY, "taster-day")]}
    assert usage == {(Label.THEME, "green"): [1, 0], (Label.THEME, "digital"): [3, 1],
                     (Label.DESTINATION, "civic_engagement"): [0, 1], (Label.OPPORTUNITY, "taster-day"): [0]}
    for label, i in [(Label.THEME, "green"), (Label.DESTINATION, "civic_engagement")]:
        assert any_store.write(queries.catalogue_delete(label), {"id": i}) == [{"deleted": 0}]
    assert any_store.read(queries.catalogue_get(Label.BADGE), {"id": "mentor"})[0]["record"]["themes"] != []
    any_store.write(queries.merge_nodes(Label.CLAIM_CODE), {"rows": [{"id": "code", "props": {}}]})
    any_store.write(queries.set_links(Label.CLAIM_CODE, Rel.AT, Label.OPPORTUNITY),
                    {"rows": [{"id": "code", "targets": [{"id": "taster-day", "props": {}}]}]})
    any_store.write(queries.set_links(Label.CLAIM_CODE, Rel.GRANTS, Label.BADGE),
                    {"rows": [{"id": "code", "targets": [{"id": "taster", "props": {}}]}]})
    assert any_store.read(queries.catalogue_usage(Label.OPPORTUNITY), {"id": "taster-day"})[0]["uses"] == [1]
    assert any_store.read(queries.catalogue_usage(Label.BADGE), {"id": "taster"})[0]["uses"] == [0, 1, 0, 1, 1]
    assert any_store.write(queries.catalogue_delete(Label.OPPORTUNITY), {"id": "taster-day"}) == [{"deleted": 0}]
    any_store.write(queries.merge_nodes(Label.CLAIM_CODE), {"rows": [{"id": "code", "props": {"revoked_on": 5}}]})
    assert any_store.write(queries.catalogue_delete(Label.OPPORTUNITY), {"id": "taster-day"}) == [{"deleted": 1}]
    # a theme only learners are interested in goes; the learners stay
    any_store.write(queries.merge_nodes(Label.THEME), {"rows": [{"id": "quiet", "props": {"name": "Quiet"}}]})
    any_store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}]})
    any_store.write(queries.set_links(Label.LEARNER, Rel.INTERESTED_IN, Label.THEME),
                    {"rows": [{"id": "l1", "targets": [{"id": "quiet", "props": {}}]}]})
    assert any_store.read(queries.catalogue_usage(Label.THEME), {"id": "quiet"})[0]["uses"] == [0, 0]
    assert any_store.write(queries.catalogue_delete(Label.THEME), {"id": "quiet"}) == [{"deleted": 1}]
    assert any_store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 1}]


@covers("catalogue_usage")
def test_usage_names_a_few_of_what_blocks(any_store: GraphStore, city: dict) -> None:
    """Up to ``NAMED_USES`` ids per kind of blocker, a step by its pathway; ``in_use``
    words it with the right number (before: "1 pathway steps", and no ids)."""
    row = any_store.read(queries.catalogue_usage(Label.THEME), {"id": "digital"})[0]
    assert sorted(row["named"][0]) == ["club", "mentor", "taster"] and row["named"][1] == ["taster-day"]
    extra = [f"g{i}" for i in range(6)]
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {}} for b in extra]})
    any_store.write(queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME),
                    {"rows": [{"id": b, "targets": [{"id": "green", "props": {}}]} for b in extra]})
    row = any_store.read(queries.catalogue_usage(Label.THEME), {"id": "green"})[0]
    assert row["uses"] == [7, 0] and len(row["named"][0]) == queries.NAMED_USES
    assert set(row["named"][0]) <= {"mentor", *extra}
    used = in_use(any_store, Label.THEME, "green")
    assert list(used or {}) == ["badges"] and used["badges"].startswith("7 badges: ")
    assert used["badges"].endswith(" and 2 more")
    assert in_use(any_store, Label.BADGE, "taster") == {"pathway steps": "1 pathway step: into-tech",
                                                        "opportunities": "1 opportunity: taster-day"}
    assert in_use(any_store, Label.BADGE, "app") == {"pathway steps": "1 pathway step: into-tech",
                                                     "opportunities": "1 opportunity: online-course"}
    assert in_use(any_store, Label.BADGE, "award") == {"pathway completions": "1 pathway completion: into-tech"}
    assert in_use(any_store, Label.BADGE, "nope") is None


@covers("PATHWAY_PAGE", "PATHWAY_GET", "pathway_upsert", "SET_PATHWAY_STATUS", "BADGE_LAYERS")
def test_pathway_statements(any_store: GraphStore, city: dict) -> None:
    raw = city["pathways"][0]
    got = any_store.read(queries.PATHWAY_GET, {"id": raw["id"]})[0]["record"]
    assert [s["title"] for s in got["steps"]] == [s["title"] for s in raw["steps"]]
    assert [sorted(s["badges"]) for s in got["steps"]] == [sorted(s["badges"]) for s in raw["steps"]]
    assert (got["organisation"], got["destination"], got["completion_badge"]) == (
        raw["organisation"], raw["destination"], raw["completion_badge"])
    steps = [{"id": "draft.step-1", "order": 1, "props": {"title": "One", "required": 1, "optional": False},
              "badges": ["taster", "club"]}]
    row = {"id": "draft", "props": {"title": "Draft", "description": "", "status": "draft", "kind": "recommended"},
           "organisation": "library", "destination": "employment", "completion_badge": None, "steps": steps}
    assert any_store.write(queries.pathway_upsert(create=True), row) == [{"id": "draft"}]
    with pytest.raises(Conflict):
        any_store.write(queries.pathway_upsert(create=True), row)
    base = {"q": None, "status": None, "destination": None, "organisation": None, "offset": 0, "limit": 10}
    assert any_store.read(queries.PATHWAY_PAGE, base | {"viewer": None})[0]["total"] == 1
    assert any_store.read(queries.PATHWAY_PAGE, base | {"viewer": "library"})[0]["total"] == 2
    assert any_store.read(queries.PATHWAY_PAGE, base | {"viewer": "college"})[0]["total"] == 1
    assert any_store.read(queries.PATHWAY_PAGE, base | {"viewer": "*", "status": "draft"})[0]["data"][0]["id"] == "draft"
    two = [steps[0] | {"badges": ["app"]},
           {"id": "draft.step-2", "order": 2, "props": {"title": "Two", "required": 1, "optional": True},
            "badges": ["mentor"]}]
    assert any_store.write(queries.pathway_upsert(create=False), row | {"steps": two, "completion_badge": "award"})
    got = any_store.read(queries.PATHWAY_GET, {"id": "draft"})[0]["record"]
    assert [(s["title"], s["badges"], s["optional"]) for s in got["steps"]] == [
        ("One", ["app"], False), ("Two", ["mentor"], True)]
    assert got["completion_badge"] == "award"
    assert any_store.read(queries.count_nodes(Label.STEP)) == [{"n": len(raw["steps"]) + 2}]
    assert any_store.write(queries.pathway_upsert(create=False), row | {"id": "ghost"}) == []
    assert any_store.write(queries.SET_PATHWAY_STATUS, {"id": "draft", "status": "published", "now": 5}) == [
        {"id": "draft", "status": "published"}]
    assert any_store.write(queries.SET_PATHWAY_STATUS, {"id": "ghost", "status": "published", "now": 5}) == []
    layers = {r["id"]: r["cells"] for r in any_store.read(queries.BADGE_LAYERS, {"ids": ["club", "nope"]})}
    assert sorted(c["layer"] for c in layers["club"]) == ["participation", "participation"]
    assert set(layers) == {"club"}


@covers("DELETE_PATHWAY", "AWARD_PATHWAY_COMPLETION")
def test_delete_pathway_keeps_it_while_completions_are_live(any_store: GraphStore, city: dict) -> None:
    """A pathway goes with its steps (its badges, destination and organisation stay)
    unless a live completion award names it; a revoked one does not keep it."""
    steps = len(city["pathways"][0]["steps"])
    any_store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}]})
    any_store.write(queries.AWARD_PATHWAY_COMPLETION, {
        "id": "pc-1", "pathway_id": "into-tech", "learner_id": "l1", "now": 100,
        "recipient": RECIPIENT,
        "props": {"status": "issued", "issued_on": 100, "source": "pathway-completion", "pathway_id": "into-tech"}})
    kept = any_store.write(queries.DELETE_PATHWAY, {"id": "into-tech"})
    assert kept == [{"deleted": False, "completions": 1, "named": ["pc-1"]}]
    assert any_store.read(queries.count_nodes(Label.STEP)) == [{"n": steps}]
    assert any_store.read("MATCH (p:Pathway) RETURN p._lock AS lock") == [{"lock": None}]
    any_store.write("MATCH (a:Assertion {id: 'pc-1'}) SET a.status = 'revoked'")
    assert any_store.write(queries.DELETE_PATHWAY, {"id": "into-tech"}) == [
        {"deleted": True, "completions": 0, "named": []}]
    assert [any_store.read(queries.count_nodes(label))[0]["n"] for label in (
        Label.PATHWAY, Label.STEP, Label.BADGE, Label.ORGANISATION, Label.ASSERTION)] == [
        0, 0, len(city["badges"]), len(city["organisations"]), 1]
    assert any_store.write(queries.DELETE_PATHWAY, {"id": "into-tech"}) == [
        {"deleted": False, "completions": 0, "named": []}]


@covers("PATHWAY_GET_FOR_VIEWER", "PATHWAY_PAGE")
def test_draft_visibility_is_one_rule(any_store: GraphStore, city: dict) -> None:
    """A pathway in each status, read by each kind of viewer through the page and the
    get: both answer the same, and as the rule says (a draft only for its author and
    admin; no draft for a null viewer)."""
    author = city["pathways"][0]["organisation"]
    other = next(o["id"] for o in city["organisations"] if o["id"] != author)
    template = any_store.read(queries.PATHWAY_GET, {"id": city["pathways"][0]["id"]})[0]["record"]
    for status in ("draft", "published", "archived"):
        steps = [{"id": f"{status}-p.step-{i}", "order": i, "props": {"title": s["title"], "required": 1},
                  "badges": s["badges"]} for i, s in enumerate(template["steps"], start=1)]
        any_store.write(queries.pathway_upsert(create=True), {
            "id": f"{status}-p", "props": {"title": status, "status": status, "kind": "recommended"},
            "organisation": author, "destination": template["destination"], "completion_badge": None,
            "steps": steps})
    base = {"q": None, "status": None, "destination": None, "organisation": None, "offset": 0, "limit": 100}
    for viewer in (None, author, other, "*"):
        paged = {r["id"] for r in any_store.read(queries.PATHWAY_PAGE, base | {"viewer": viewer})[0]["data"]}
        for status in ("draft", "published", "archived"):
            expected = status != "draft" or viewer in ("*", author)
            got = any_store.read(queries.PATHWAY_GET_FOR_VIEWER, {"id": f"{status}-p", "viewer": viewer})
            assert (f"{status}-p" in paged, bool(got)) == (expected, expected), (status, viewer)
            if got:
                assert got == any_store.read(queries.PATHWAY_GET, {"id": f"{status}-p"})
    assert any_store.read(queries.PATHWAY_GET_FOR_VIEWER, {"id": "ghost", "viewer": "*"}) == []


@covers("PARTNER_ORIGINS")
def test_partner_origins(any_store: GraphStore) -> None:
    for i, (role, origins, revoked) in enumerate([
            ("partner", ["https://a.example", "https://b.example"], None), ("partner", ["https://a.example"], None),
            ("partner", ["https://gone.example"], 5), ("admin", [], None)]):
        any_store.write(queries.CREATE_API_KEY, {"id": f"k{i}", "hash": "h", "role": role, "organisation_id": None,
                                                 "origins": origins, "name": "", "created_on": i})
        if revoked:
            any_store.write(queries.REVOKE_API_KEY, {"id": f"k{i}", "revoked_on": revoked})
    assert sorted(r["origin"] for r in any_store.read(queries.PARTNER_ORIGINS)) == [
        "https://a.example", "https://b.example"]


@covers("AWARD_PATHWAY_COMPLETION", "BADGE_ISSUER")
def test_completion_award_is_idempotent(any_store: GraphStore, city: dict) -> None:
    any_store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}]})
    params = {"id": "completion-into-tech-l1", "pathway_id": "into-tech", "learner_id": "l1", "now": 100,
              "recipient": RECIPIENT,
              "props": {"status": "accepted", "issued_on": 100, "source": "pathway-completion"}}
    first = any_store.write(queries.AWARD_PATHWAY_COMPLETION, params)
    assert first == [{"id": "completion-into-tech-l1", "badge_id": "award", "status": "accepted", "issued_on": 100,
                      "created": True, "held": False}]
    again = any_store.write(queries.AWARD_PATHWAY_COMPLETION, params | {"props": {"issued_on": 999}})
    assert again == [{"id": "completion-into-tech-l1", "badge_id": "award", "status": "accepted", "issued_on": 100,
                      "created": False, "held": False}]
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 1, "assertions": 1}]
    assert any_store.read(queries.BADGE_ISSUER, {"id": "award"}) == [{"issuer": "college"}]
    assert any_store.write(queries.AWARD_PATHWAY_COMPLETION, params | {"learner_id": "nobody"}) == []
