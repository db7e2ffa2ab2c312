"""Pathway completion badges in "what next" and in pathway answers, interest pathways with
no step, and free text on scored pathways, on the demo city (Brackenford) with test
learners awarded demo badges through the graph's write queries (both engines)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.domain import catalogue
from colearn.domain.awards import revoke, withdraw
from colearn.domain.completions import award_completion, completion_assertion_id
from colearn.graph import enrolments, feed, queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_demo_catalogue
from colearn.recommender import progress
from colearn.recommender.completions import never_earnable
from colearn.recommender.follower import FeedFollower
from colearn.recommender.pathways import interests_from, learner_interest_pathway, learner_pathways
from colearn.recommender.recommend import MAX_LIMIT, Recommender
from colearn.recommender.signals import Interests
from colearn.service.app import create_app

T0 = 1_700_000_000
BASE = "https://colearn.example"
#: Digital Careers' required steps: any of the first two, of the next two, of the next two, then both.
DIGITAL = ["digital-explorer", "code-club-member", "first-web-app", "junior-developer-placement", "interview-ready"]
COMPLETION_BADGES = {"digital-careers-award", "civic-leader-award", "health-and-care-ready"}

HELD = {
    "cy": ["digital-explorer"],  # 1 of Digital Careers' 4 steps; none of the other pathways'
    "bo": ["youth-forum-visitor", "volunteer-starter"],  # 1 of Youth Voice Leader's 4; none of Digital Careers'
    "eve": DIGITAL,  # every step of Digital Careers: completed, then a step badge revoked
    "fay": DIGITAL,  # every step of Digital Careers: completed, then the completion withdrawn
    "gil": ["wellbeing-champion", "sports-leader"],  # the leadership layer of every domain
    "hal": ["digital-explorer", "code-club-member", "digital-careers-award"],  # someone holds the award
}


def _city(store: GraphStore) -> None:
    ingest_demo_catalogue(store)
    rows = [{"id": f"test-{learner}-{i}", "organisation_id": "kiln-digital", "badge_id": badge,
             "learner_id": learner, "learner_props": {"name": learner},
             "props": {"status": "accepted", "issued_on": T0 + 1000 * i}}
            for learner, badges in HELD.items() for i, badge in enumerate(badges)]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})


def _complete(store: GraphStore, learner_id: str) -> str:
    pathway = store.read(queries.PATHWAY_GET, {"id": "digital-careers"})[0]["record"]
    done = award_completion(store, pathway, learner_id, base_url=BASE, now=T0 + 10_000)
    assert done.created and done.assertion_id == completion_assertion_id("digital-careers", learner_id)
    return done.assertion_id


@pytest.fixture
def rec(store: GraphStore) -> Recommender:
    _city(store)
    return Recommender.from_store(store)


def _next(rec: Recommender, learner_id: str) -> dict[str, list[str]]:
    return {r.badge_id: r.reasons for r in rec.recommend(learner_id, MAX_LIMIT)}


def test_a_completion_badge_says_it_is_earned_by_its_pathway(rec: Recommender) -> None:
    got = _next(rec, "cy")
    assert got["digital-careers-award"][0] == ("Earned by completing the pathway Digital Careers: "
                                               "you have met 1 of its 4 steps")
    assert len(got["digital-careers-award"]) <= 3
    # a pathway not started is no reason to offer its last award (nor to a visitor, who started none)
    assert not {"civic-leader-award", "health-and-care-ready"} & set(got)
    assert "digital-careers-award" not in _next(rec, "bo")
    visitor = rec.recommend_for_interests(Interests(themes=("digital", "health-and-care")), limit=MAX_LIMIT)
    assert visitor and not COMPLETION_BADGES & {r.badge_id for r in visitor}


def test_a_revoked_or_withdrawn_completion_is_not_offered_again(store: GraphStore) -> None:
    _city(store)
    _complete(store, "eve")
    # a step badge revoked: the completion is revoked with it, and never awarded again
    revoke(store, "test-eve-4", "issued by mistake", now=T0 + 20_000)
    completion = store.read(queries.ASSERTION_ENDPOINTS, {"ids": [completion_assertion_id("digital-careers", "eve")]})
    assert completion[0]["status"] == "revoked"
    withdraw(store, _complete(store, "fay"), "issued by mistake", now=T0 + 20_000)
    rec = Recommender.from_store(store)
    for learner in ("eve", "fay"):
        assert "digital-careers-award" not in _next(rec, learner), learner
        # nor is it a step of an interest pathway
        steps = learner_interest_pathway(rec, learner, interests_from(["digital"])).steps
        assert steps and "digital-careers-award" not in {s.badge_id for s in steps}
    # cy, who met a step and was never awarded the completion, is still offered it
    assert "digital-careers-award" in _next(rec, "cy")


def test_no_completion_badge_is_an_interest_pathway_step_whatever_its_pathway_status(store: GraphStore) -> None:
    _city(store)
    for pathway in ("digital-careers", "health-and-care-study", "youth-voice-leader"):
        store.write(queries.SET_PATHWAY_STATUS, {"id": pathway, "status": "archived", "now": T0})
    rec = Recommender.from_store(store)
    for theme in ("health-and-care", "digital", "youth-voice"):
        built = learner_interest_pathway(rec, "cy", interests_from([theme]))
        assert built.steps and not COMPLETION_BADGES & {s.badge_id for s in built.steps}, theme
    # an archived pathway completes nobody: its badge is not offered as "what next" either
    assert "digital-careers-award" not in _next(rec, "cy")


def test_an_interest_pathway_with_no_step_says_why(rec: Recommender) -> None:
    # gil has reached the leadership layer of every domain; the health and care theme's badges
    # (its completion badge aside) stop at demonstration, so there is nothing to climb
    built = learner_interest_pathway(rec, "gil", interests_from(["health-and-care"]))
    assert built.steps == []
    assert built.detail == ("No steps: the badges that fit this target reach skills: demonstration "
                            "at most, and you have reached skills: leadership.")
    target = interests_from(["digital"], cells=["skills.demonstration"])
    assert learner_interest_pathway(rec, "eve", target).detail == (
        "No steps: you have reached skills: demonstration, at or above the target skills: demonstration.")
    assert learner_interest_pathway(rec, "cy", interests_from(["digital"])).detail is None


def test_free_text_counts_in_a_scored_pathway_fit(rec: Recommender) -> None:
    plain = {s.pathway_id: s for s in learner_pathways(rec, "bo")}
    said = {s.pathway_id: s for s in learner_pathways(rec, "bo", interests_from(text="hospital careers"))}
    health = said["health-and-care-study"]
    assert health.fit > plain["health-and-care-study"].fit
    assert "Matches your interest 'hospital careers'" in health.reasons
    # a pathway the text does not match keeps its parts, now averaged over three
    assert said["young-entrepreneur"].fit == pytest.approx(plain["young-entrepreneur"].fit * 2 / 3)
    assert not any("Matches your interest" in r for r in said["young-entrepreneur"].reasons)


@contextmanager
def _counted_reads(store: GraphStore) -> Iterator[list[str]]:
    """The statements ``store.read`` is given inside the block, in order."""
    reads: list[str] = []
    real = store.read

    def counting(statement: str, params: dict | None = None) -> list:
        reads.append(statement)
        return real(statement, params)

    store.read = counting  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        store.read = real  # type: ignore[method-assign]


def test_a_followed_recommender_reads_completion_pathways_once_until_the_feed_names_a_pathway(
        store: GraphStore) -> None:
    _city(store)
    rec = Recommender.from_store(store)
    follower = FeedFollower(store, lambda: Recommender.from_store(store), recommender=rec,
                            position=feed.feed_head(store)).start()
    try:
        with _counted_reads(store) as reads:
            assert "digital-careers-award" in _next(rec, "cy")
            assert rec.recommend_for_interests(Interests(themes=("digital",)))
            assert reads.count(queries.COMPLETION_PATHWAYS) == 1  # kept for the next ask
            catalogue.set_pathway_status(store, "digital-careers", "archived", now=T0)
            follower.sync()  # the feed's pathway entry drops what was kept
            assert "digital-careers-award" not in _next(rec, "cy")
            assert reads.count(queries.COMPLETION_PATHWAYS) == 2
    finally:
        follower.stop()


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    _city(store)
    with TestClient(create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)) as c:
        yield c


def test_routes_say_why_and_count_text(client: TestClient) -> None:
    r = client.post("/learners/gil/pathways/interest", json={"themes": ["health-and-care"]})
    assert r.status_code == 200, r.text
    assert r.json()["steps"] == [] and r.json()["detail"].startswith("No steps: the badges that fit this target")
    assert client.post("/learners/cy/pathways/interest", json={"themes": ["digital"]}).json()["detail"] is None
    plain = client.get("/learners/bo/pathways").json()["data"]
    said = client.get("/learners/bo/pathways", params={"text": "hospital careers"}).json()["data"]
    fit = {p["pathway_id"]: p["fit"] for p in plain}
    assert {p["pathway_id"]: p["fit"] for p in said}["health-and-care-study"] > fit["health-and-care-study"]
    items = client.get("/learners/cy/next", params={"limit": 100}).json()["items"]
    award = next(i for i in items if i["badge_id"] == "digital-careers-award")
    assert award["reasons"][0].startswith("Earned by completing the pathway Digital Careers")


def _after_digital(store: GraphStore, steps: list[tuple[str, list[str]]], completion_badge: str | None = None) -> None:
    """Publish the recommended pathway ``after-digital`` with these ``(title, badges)`` steps, each met by one."""
    catalogue.write_pathway(store, {
        "id": "after-digital", "props": {"title": "After Digital", "description": "", "status": "published",
                                         "kind": "recommended"},
        "organisation": "kiln-digital", "destination": "employment", "completion_badge": completion_badge,
        "steps": [{"id": f"after-digital.{i}", "order": i, "props": {"title": t, "required": 1, "optional": False},
                   "badges": badges} for i, (t, badges) in enumerate(steps, 1)]}, create=True)


def test_a_step_accepting_a_spent_completion_badge_is_not_offered_as_the_next_step(store: GraphStore) -> None:
    """A pathway whose steps accept Digital Careers' completion badge: for eve (completion
    revoked with a step badge) and fay (completion withdrawn) that badge can never be earned,
    so it meets no step: a step it alone meets can no longer be met (never the next step,
    listed as blocked with why), and a step it shares offers only the other badge."""
    _city(store)
    _after_digital(store, [("Finish", ["digital-careers-award"]), ("Lead", ["digital-careers-award", "sports-leader"]),
                           ("Build", ["first-web-app"])])
    _complete(store, "eve")
    revoke(store, "test-eve-4", "issued by mistake", now=T0 + 20_000)
    withdraw(store, _complete(store, "fay"), "issued by mistake", now=T0 + 20_000)
    rec = Recommender.from_store(store)
    why = ("Digital Careers Award can no longer be earned: your completion of the pathway Digital Careers was "
           "already made, then revoked, declined, withdrawn or expired, and a completion is made only once")
    for learner in ("eve", "fay"):
        scored = learner_pathways(rec, learner)
        after = next(s for s in scored if s.pathway_id == "after-digital")
        assert (after.steps_met, after.steps_total) == (1, 3), learner  # Build met; Finish and Lead not
        assert after.blocked == [{"index": 1, "title": "Finish", "detail": f"This step can no longer be met: {why}."}]
        step = after.next_step
        assert step is not None and step["index"] == 2 and step["badges"] == ["sports-leader"], (learner, step)
        assert step["rule"] == "Sports Leader" and step["detail"] == f"Not offered: {why}."
        assert {o["badge_id"] for o in step["opportunities"]} <= {"sports-leader"}
        # it can no longer be completed: after every pathway the learner can still complete
        assert not any(s.next_step is not None and not s.blocked
                       for s in scored[scored.index(after):]), [s.pathway_id for s in scored]
    # cy was never awarded the completion: the badge is still their next step, nothing blocked
    after = next(s for s in learner_pathways(rec, "cy") if s.pathway_id == "after-digital")
    assert after.blocked == [] and after.next_step is not None
    assert (after.next_step["index"], after.next_step["badges"], after.next_step["detail"]) == (
        1, ["digital-careers-award"], None)


def test_a_blocked_step_reaches_the_pathways_route(store: GraphStore, tmp_path: Path) -> None:
    """``GET /learners/{id}/pathways`` carries the blocked steps and the next step's detail."""
    from colearn.service.auth import create_key

    _city(store)
    _after_digital(store, [("Finish", ["digital-careers-award"])])
    withdraw(store, _complete(store, "fay"), "issued by mistake", now=T0 + 20_000)
    key = create_key(store, "admin", name="blocked").secret
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store), headers={"X-API-Key": key}) as c:
        r = c.get("/learners/fay/pathways")
        assert r.status_code == 200, r.text
        after = next(p for p in r.json()["data"] if p["pathway_id"] == "after-digital")
        assert after["next_step"] is None and [b["index"] for b in after["blocked"]] == [1]
        assert after["blocked"][0]["detail"].startswith("This step can no longer be met: Digital Careers Award")
        cy = next(p for p in c.get("/learners/cy/pathways").json()["data"] if p["pathway_id"] == "after-digital")
        assert cy["blocked"] == [] and cy["next_step"]["detail"] is None


def test_a_completion_badge_ranks_higher_the_more_of_its_pathway_is_met(store: GraphStore) -> None:
    """Three learners the model sees alike (each holds Digital Explorer, awarded at the same
    time), who meet 1, 2 and 3 of the 4 steps of a second pathway that completes with the
    Digital Careers Award, through two badges made after the model was built: the award's
    score is raised by the share of steps met (``recommend.lifted``), so it ranks at least as
    high the more they meet, strictly higher where the raise passes another badge, and no
    other badge's score or order moves."""
    _city(store)
    rec = Recommender.from_store(store)
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b}} for b in ("late-a", "late-b")]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": b, "targets": [{"id": "kiln-digital", "props": {}}]} for b in ("late-a", "late-b")]})
    _after_digital(store, [("Explore", ["digital-explorer"]), ("A", ["late-a"]), ("B", ["late-b"]),
                           ("Build", ["first-web-app"])], completion_badge="digital-careers-award")
    held = {"m1": ["digital-explorer"], "m2": ["digital-explorer", "late-a"],
            "m3": ["digital-explorer", "late-a", "late-b"]}
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": f"test-{lid}-{i}", "organisation_id": "kiln-digital", "badge_id": b, "learner_id": lid,
         "learner_props": {"name": lid}, "props": {"status": "accepted", "issued_on": T0 + 1000 * i}}
        for lid, badges in held.items() for i, b in enumerate(badges)]})
    assert rec.badges.get("late-a") is None  # unknown to the model: the three look alike to it
    got = {lid: rec.recommend(lid, MAX_LIMIT) for lid in held}
    award = "digital-careers-award"
    at = {lid: [r.badge_id for r in recs].index(award) for lid, recs in got.items()}
    score = {lid: next(r.score for r in recs if r.badge_id == award) for lid, recs in got.items()}
    assert [r.reasons[0] for r in got["m3"] if r.badge_id == award] == [
        "Earned by completing the pathway After Digital: you have met 3 of its 4 steps"]
    assert score["m1"] < score["m2"] < score["m3"], score
    assert at["m3"] <= at["m2"] <= at["m1"] and at["m3"] < at["m1"], at
    # every other badge: the same scores in the same order for the three
    others = {lid: [(r.badge_id, r.score) for r in recs if r.badge_id != award] for lid, recs in got.items()}
    assert others["m1"] == others["m2"] == others["m3"]
    # where the rule says: it sits after exactly the other badges scoring more than its raised score
    for lid in held:
        assert at[lid] == sum(1 for _, s in others[lid] if s > score[lid]), lid


WHY = ("Digital Careers Award can no longer be earned: your completion of the pathway Digital Careers was "
       "already made, then revoked, declined, withdrawn or expired, and a completion is made only once")
#: What a pathway whose own completion was spent says (``progress.completion_detail``).
SPENT = ("Its completion badge Digital Careers Award can no longer be awarded to you: your completion of the "
         "pathway Digital Careers was already made, then revoked, declined, withdrawn or expired, and a completion is "
         "made only once.")


def _spent_city(store: GraphStore) -> None:
    """eve's Digital Careers completion revoked with a step badge, fay's withdrawn; ivy's made and
    awaiting her answer; each of them and cy enrolled in Digital Careers and After Digital."""
    _city(store)
    _after_digital(store, [("Finish", ["digital-careers-award"]), ("Lead", ["digital-careers-award", "sports-leader"]),
                           ("Build", ["first-web-app"])])
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": f"test-ivy-{i}", "organisation_id": "kiln-digital", "badge_id": b, "learner_id": "ivy",
         "learner_props": {"name": "ivy"}, "props": {"status": "accepted", "issued_on": T0 + 1000 * i}}
        for i, b in enumerate(DIGITAL)]})
    _complete(store, "eve")
    revoke(store, "test-eve-4", "issued by mistake", now=T0 + 20_000)
    withdraw(store, _complete(store, "fay"), "issued by mistake", now=T0 + 20_000)
    _complete(store, "ivy")  # issued: it awaits ivy's answer
    for learner in ("cy", "eve", "fay", "ivy"):
        for pathway in ("digital-careers", "after-digital"):
            enrolments.enrol(store, learner, pathway, now=T0)


def test_my_pathways_leave_out_a_badge_the_learner_can_never_earn(store: GraphStore) -> None:
    """``GET /me/pathways`` applies the scored pathways' rule (``progress``): a step only the spent
    completion badge meets is blocked with why, never the next step; a step it shares offers the
    other badge, saying why the award is left out; the two answers agree step for step."""
    _spent_city(store)
    rec = Recommender.from_store(store)
    for learner in ("eve", "fay"):
        mine = {p["pathway_id"]: p for p in progress.my_pathways(store, learner)}["after-digital"]
        assert (mine["steps_met"], mine["steps_total"], mine["completed"]) == (1, 3, False), learner
        # it had offered Finish, which only the award meets, as the next step
        assert (mine["next_step"]["index"], mine["next_step"]["badges"]) == (2, ["sports-leader"]), learner
        assert mine["next_step"] == {"index": 2, "title": "Lead", "badges": ["sports-leader"], "required": 1,
                                     "named_badges": [{"badge_id": "sports-leader", "name": "Sports Leader"}],
                                     "detail": f"Not offered: {WHY}."}, learner
        assert mine["blocked"] == [{"index": 1, "title": "Finish", "detail": f"This step can no longer be met: {WHY}."}]
        scored = next(s for s in learner_pathways(rec, learner) if s.pathway_id == "after-digital")
        assert scored.blocked == mine["blocked"] and scored.next_step is not None
        assert {k: scored.next_step[k] for k in mine["next_step"]} == mine["next_step"]
    # cy and ivy can still earn the award (ivy's completion awaits her answer): Finish is their next step
    for learner in ("cy", "ivy"):
        mine = {p["pathway_id"]: p for p in progress.my_pathways(store, learner)}["after-digital"]
        assert mine["blocked"] == [] and mine["next_step"]["badges"] == ["digital-careers-award"], learner
        assert mine["next_step"]["detail"] is None
        scored = next(s for s in learner_pathways(rec, learner) if s.pathway_id == "after-digital")
        assert scored.blocked == [] and scored.next_step["badges"] == ["digital-careers-award"], learner
        # an award awaiting the learner's answer is no spent one: they may still accept it
        assert never_earnable(store, learner, set(DIGITAL), ["digital-careers-award"]) == {}, learner


def test_a_pathway_whose_completion_was_spent_says_it_can_no_longer_award_it(store: GraphStore) -> None:
    """Digital Careers, whose completion was made for eve and fay and then revoked or withdrawn, can
    never award them its badge again: both answers say so, and the scored one ranks it after every
    pathway they can still complete; a completion awaiting the learner's answer is not spent."""
    _spent_city(store)
    rec = Recommender.from_store(store)
    for learner in ("eve", "fay"):
        scored = learner_pathways(rec, learner)
        digital = next(s for s in scored if s.pathway_id == "digital-careers")
        assert digital.completion_detail == SPENT and digital.blocked == []
        mine = {p["pathway_id"]: p for p in progress.my_pathways(store, learner)}["digital-careers"]
        assert mine["completion_detail"] == SPENT, learner
        assert not any(s.next_step is not None and not s.blocked and s.completion_detail is None
                       for s in scored[scored.index(digital):]), [s.pathway_id for s in scored]
    eve = {p["pathway_id"]: p for p in progress.my_pathways(store, "eve")}["digital-careers"]
    assert (eve["steps_met"], eve["completed"]) == (3, False) and eve["next_step"] is not None  # steps still count
    fay = {p["pathway_id"]: p for p in progress.my_pathways(store, "fay")}["digital-careers"]
    assert (fay["completed"], fay["next_step"]) == (True, None)
    for learner in ("cy", "ivy"):
        mine = {p["pathway_id"]: p for p in progress.my_pathways(store, learner)}["digital-careers"]
        assert mine["completion_detail"] is None, learner
        digital = next(s for s in learner_pathways(rec, learner) if s.pathway_id == "digital-careers")
        assert digital.completion_detail is None, learner


def test_each_pathway_answer_reads_the_completions_made_once(store: GraphStore) -> None:
    """``my_pathways`` and ``learner_pathways`` each learn both what the learner can never earn and
    which pathways' own completions are spent from one ``COMPLETIONS_MADE`` read
    (``completions.completion_limits``), and still say both (eve: a step blocked by the spent
    award, and Digital Careers' completion spent)."""
    _spent_city(store)
    rec = Recommender.from_store(store)
    with _counted_reads(store) as reads:
        mine = {p["pathway_id"]: p for p in progress.my_pathways(store, "eve")}
        assert reads.count(queries.COMPLETIONS_MADE) == 1
        scored = {s.pathway_id: s for s in learner_pathways(rec, "eve")}
        assert reads.count(queries.COMPLETIONS_MADE) == 2
    assert mine["digital-careers"]["completion_detail"] == scored["digital-careers"].completion_detail == SPENT
    assert [b["index"] for b in mine["after-digital"]["blocked"]] == [b["index"] for b in scored["after-digital"].blocked] == [1]


def test_my_pathways_route_says_why(store: GraphStore, tmp_path: Path) -> None:
    """``GET /me/pathways`` carries the blocked steps, the next step's detail and the completion's."""
    from colearn.service.auth import issue_learner_token

    _spent_city(store)
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store)) as c:
        token = issue_learner_token(c.app.state.token_secret, "fay")
        r = c.get("/me/pathways", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        got = {p["pathway_id"]: p for p in r.json()["data"]}
        after, digital = got["after-digital"], got["digital-careers"]
        assert after["next_step"]["index"] == 2 and [b["index"] for b in after["blocked"]] == [1]
        assert after["blocked"][0]["detail"] == f"This step can no longer be met: {WHY}."
        assert after["next_step"]["detail"] == f"Not offered: {WHY}." and after["completion_detail"] is None
        assert digital["completion_detail"] == SPENT and digital["blocked"] == []
        scored = {p["pathway_id"]: p for p in c.get("/learners/fay/pathways",
                                                    headers={"Authorization": f"Bearer {token}"}).json()["data"]}
        assert scored["digital-careers"]["completion_detail"] == SPENT


def test_an_archived_or_draft_pathway_that_made_no_completion_is_still_a_route(store: GraphStore) -> None:
    """An archived pathway completes nobody while archived, but its organisation may publish it again
    (as a draft may be published): one that never made its completion for the learner still counts
    as a route to its badge, whatever its status; the pathway that spent it does not."""
    _city(store)
    withdraw(store, _complete(store, "fay"), "issued by mistake", now=T0 + 20_000)
    assert never_earnable(store, "fay", set(DIGITAL), ["digital-careers-award"]) == {
        "digital-careers-award": ("Digital Careers",)}
    _after_digital(store, [("Build", ["first-web-app"])], completion_badge="digital-careers-award")
    for status in ("archived", "draft", "published"):
        catalogue.set_pathway_status(store, "after-digital", status, now=T0)
        assert never_earnable(store, "fay", set(DIGITAL), ["digital-careers-award"]) == {}, status
    catalogue.set_pathway_status(store, "after-digital", "archived", now=T0)
    assert "digital-careers-award" not in _next(Recommender.from_store(store), "fay")  # archived: not offered now
