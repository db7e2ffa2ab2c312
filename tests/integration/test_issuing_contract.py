"""Contract tests (FalkorDB and Neo4j) for the issuing statements
in graph/queries/. Expected numbers are computed in Python from the input rows,
repeated awards of one badge to one learner included (FALKORDB.md's miscount): the
rows renew a badge, its earlier awards to the learner expired at ``NOW``, since the
award statement makes no second copy of a badge a learner holds live."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any, cast

import pytest

from colearn.domain import awards
from colearn.errors import ColearnError, Conflict
from colearn.graph import access, issuing

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from tests.openbadges_builders import BASE
from tests.integration.test_contract import covers, expected_awards_per_badge
from tests.graph_checks import AWARDS_PER_BADGE

NOW = 1_800_000_000
DAY = 86_400


def _seed(store: GraphStore) -> None:
    cells = [{"id": f"{d}.{lay}", "props": {"domain": d, "layer": lay, "layer_rank": li, "domain_rank": di,
                                             "name": f"{d} {lay}"}}
             for di, d in enumerate(["knowledge", "skills"]) for li, lay in enumerate(["engagement", "participation"])]
    store.write(queries.merge_nodes(Label.SPINE_CELL), {"rows": cells})
    store.write(queries.merge_nodes(Label.THEME), {"rows": [{"id": "digital", "props": {"name": "Digital"}}]})
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "org", "props": {"name": "Org", "email": "o@example.org"}}, {"id": "other", "props": {"name": "Other"}}]})
    badges = [{"id": f"b{i}", "props": {"name": f"Badge {i}", "expires_after_days": 10 if i == 1 else None}}
              for i in range(4)]
    store.write(queries.merge_nodes(Label.BADGE), {"rows": badges})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": b["id"], "targets": [{"id": "other" if b["id"] == "b3" else "org", "props": {}}]} for b in badges]})
    store.write(queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL), {"rows": [
        {"id": "b0", "targets": [{"id": "skills.engagement", "props": {}}, {"id": "knowledge.engagement", "props": {}}]},
        {"id": "b1", "targets": [{"id": "skills.participation", "props": {}}]}]})
    store.write(queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME),
                {"rows": [{"id": "b0", "targets": [{"id": "digital", "props": {}}]}]})


def _rows(n: int, seed: int, badges=("b0", "b1", "b2")) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        props = {"status": "issued", "issued_on": NOW - 100 * DAY + i, "source": "colearn"}
        if i % 7 == 0:
            props["expires_on"] = NOW + DAY
        out.append({"id": f"as-{seed}-{i}", "badge_id": rng.choice(badges), "learner_id": f"l{rng.randrange(12)}",
                    "learner_props": {"source": "test"}, "props": props})
    # a pair given again is a renewal: every award of it but the last has expired by NOW
    last = {(r["learner_id"], r["badge_id"]): r["id"] for r in out}
    for r in out:
        if last[(r["learner_id"], r["badge_id"])] != r["id"]:
            r["props"]["expires_on"] = NOW - DAY
    return out


def _award(store: GraphStore, rows: list[dict], request_id: str, org: str = "org", now: int = NOW) -> list[dict]:
    return store.write(queries.AWARD_ASSERTIONS, {"organisation_id": org, "request_id": request_id, "rows": rows,
                                                  "now": now})


@covers("AWARD_ASSERTIONS", "GET_ORGANISATION")
def test_award_is_idempotent_and_counts_repeated_awards(any_store: GraphStore) -> None:
    _seed(any_store)
    rows = _rows(300, seed=1)
    pairs = Counter((r["learner_id"], r["badge_id"]) for r in rows)
    assert max(pairs.values()) > 1, "the rows must repeat some learner-badge pairs"
    first = _award(any_store, rows, "req-1")
    assert len(first) == 300 and all(r["created"] for r in first)
    # every new assertion has its own status slot
    assert sorted(r["status_index"] for r in first) == list(range(300))
    # a retry (same ids) creates nothing and changes nothing
    again = _award(any_store, rows, "req-2")
    assert len(again) == 300 and not any(r["created"] for r in again)
    assert {r["id"]: r["status_index"] for r in again} == {r["id"]: r["status_index"] for r in first}
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 300, "assertions": 300}]
    assert any_store.read(AWARDS_PER_BADGE) == expected_awards_per_badge(rows)
    issued = any_store.read(f"MATCH (:{Label.ORGANISATION} {{id: 'org'}})-[:{Rel.ISSUED}]->(a:{Label.ASSERTION}) "
                            "RETURN count(a) AS n")
    assert issued == [{"n": 300}]
    # expiry: given, else the badge's default duration, else none
    got = {r["id"]: r for r in first}
    for r in rows:
        want = r["props"].get("expires_on")
        if want is None and r["badge_id"] == "b1":
            want = r["props"]["issued_on"] + 10 * DAY
        assert got[r["id"]]["expires_on"] == want, r
    # the counter moved by both batches (slots of retried rows stay unused)
    org = any_store.read(queries.GET_ORGANISATION, {"id": "org"})[0]
    assert org["props"]["status_next"] == 600 and org["props"]["email"] == "o@example.org"
    assert any_store.read(queries.GET_ORGANISATION, {"id": "nope"}) == []


@covers("AWARD_ASSERTIONS")
def test_award_refuses_other_organisations_badges_and_keeps_first_award(any_store: GraphStore) -> None:
    _seed(any_store)
    # b3 is defined by "other": the row matches nothing
    assert _award(any_store, _rows(5, seed=2, badges=("b3",)), "r") == []
    assert any_store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]
    first = _rows(1, seed=3)
    _award(any_store, first, "r1")
    # the same id again for another badge and learner: the first award stays as it was
    clash = [{**first[0], "badge_id": "b2" if first[0]["badge_id"] != "b2" else "b0", "learner_id": "someone"}]
    got = _award(any_store, clash, "r2")
    assert got == [{**got[0], "created": False, "badge_id": first[0]["badge_id"],
                    "learner_id": first[0]["learner_id"]}]
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 1, "assertions": 1}]


def _one(aid: str, learner: str, badge: str, **props) -> dict:
    return {"id": aid, "badge_id": badge, "learner_id": learner, "learner_props": {},
            "props": {"status": "issued", "issued_on": NOW - DAY, "source": "colearn", **props}}


def _set_status(store: GraphStore, aid: str, to: str) -> None:
    store.write(queries.SET_ASSERTION_STATUS, {"id": aid, "from": ["issued", "accepted"], "to": to, "now": NOW,
                                               "reason": "test"})


@covers("AWARD_ASSERTIONS", "LIVE_AWARDS_OF_PAIRS", "MERGE_ASSERTIONS")
def test_award_makes_no_second_copy_of_a_badge_held_live(any_store: GraphStore) -> None:
    _seed(any_store)
    first = _award(any_store, [_one("a1", "l1", "b0")], "r1")
    assert [(r["row"], r["id"], r["created"], r["held"]) for r in first] == [("a1", "a1", True, False)]
    # another id for the same learner and badge: nothing is made, the live award answers
    again = _award(any_store, [_one("a2", "l1", "b0"), _one("a3", "l2", "b0")], "r2")
    assert sorted((r["row"], r["id"], r["created"], r["held"]) for r in again) == [
        ("a2", "a1", False, True), ("a3", "a3", True, False)]
    held = next(r for r in again if r["held"])
    assert held["status_index"] == first[0]["status_index"] and held["learner_id"] == "l1"
    assert any_store.read("MATCH (a:Assertion {id: 'a2'}) RETURN a.id AS id") == []
    # the same id again is a retry, as before
    assert [(r["id"], r["created"], r["held"]) for r in _award(any_store, [_one("a1", "l1", "b0")], "r3")] == [
        ("a1", False, False)]
    live = lambda pairs, now=NOW: [(r["learner_id"], r["badge_id"], r["id"], r["status"])  # noqa: E731
                                   for r in any_store.read(queries.LIVE_AWARDS_OF_PAIRS, {"pairs": [
                                       {"learner_id": lr, "badge_id": b} for lr, b in pairs], "now": now})]
    assert live([("l2", "b0"), ("l1", "b0"), ("l1", "b2"), ("nobody", "b0")]) == [
        ("l1", "b0", "a1", "issued"), ("l2", "b0", "a3", "issued")]
    # accepted still holds it; revoked or declined does not (a new award is made)
    _set_status(any_store, "a1", "accepted")
    assert _award(any_store, [_one("a4", "l1", "b0")], "r4")[0]["id"] == "a1"
    _set_status(any_store, "a1", "revoked")
    _set_status(any_store, "a3", "declined")
    assert live([("l1", "b0"), ("l2", "b0")]) == []
    got = _award(any_store, [_one("a5", "l1", "b0"), _one("a6", "l2", "b0")], "r5")
    assert sorted((r["id"], r["created"]) for r in got) == [("a5", True), ("a6", True)]
    # the revoked award's own id again answers that award, though another one is live now
    assert [(r["id"], r["status"], r["held"]) for r in _award(any_store, [_one("a1", "l1", "b0")], "r6")] == [
        ("a1", "revoked", False)]
    # an expired award does not hold the badge: at its expiry a renewal is made
    _award(any_store, [_one("e1", "l3", "b2", expires_on=NOW + DAY)], "r7")
    assert _award(any_store, [_one("e2", "l3", "b2")], "r8", now=NOW + DAY - 1)[0]["id"] == "e1"
    assert live([("l3", "b2")], NOW + DAY - 1) == [("l3", "b2", "e1", "issued")]
    assert live([("l3", "b2")], NOW + DAY) == []
    assert [(r["id"], r["created"]) for r in _award(any_store, [_one("e2", "l3", "b2")], "r9", now=NOW + DAY)] == [
        ("e2", True)]
    # several live awards (ingested): the smallest id answers
    any_store.write(queries.MERGE_ASSERTIONS, {"rows": [{**_one(i, "l4", "b2"), "organisation_id": "org"}
                                                        for i in ("z9", "z1", "z5")]})
    assert _award(any_store, [_one("a7", "l4", "b2")], "r10")[0]["id"] == "z1"


@covers("AWARD_ASSERTIONS", "ASSERTION_ENDPOINTS", "ERASE_ASSERTION")
def test_a_retry_answers_a_revoked_or_withdrawn_award_as_it_stands(any_store: GraphStore) -> None:
    """The id of a revoked award answers it with its reason; the id of a withdrawn one
    (``ERASE_ASSERTION``: no badge or learner left) answers it too, ``withdrawn`` with
    ``badge_id`` and ``learner_id`` null, not nothing; both reads agree."""
    _seed(any_store)
    _award(any_store, [_one("a1", "l1", "b0"), _one("a2", "l2", "b0")], "r1")
    _set_status(any_store, "a1", "revoked")  # reason "test"
    _set_status(any_store, "a2", "revoked")
    assert any_store.write(queries.ERASE_ASSERTION, {"id": "a2"}) == [{"id": "a2"}]
    shown = ("id", "created", "held", "withdrawn", "badge_id", "learner_id", "status", "revocation_reason")
    got = sorted(_award(any_store, [_one("a1", "l1", "b0"), _one("a2", "l2", "b0")], "r2"), key=lambda r: r["id"])
    assert [tuple(r[k] for k in shown) for r in got] == [
        ("a1", False, False, False, "b0", "l1", "revoked", "test"),
        ("a2", False, False, True, None, None, "revoked", "test")]
    assert got[1]["status_index"] is not None and got[1]["issued_on"] == NOW - DAY
    read = sorted(any_store.read(queries.ASSERTION_ENDPOINTS, {"ids": ["a2", "a1", "zz"]}), key=lambda r: r["id"])
    assert [{k: r[k] for k in shown if k in r} for r in read] == [
        {k: r[k] for k in shown if k not in ("created", "held")} for r in got]
    assert [(r["status_index"], r["issued_on"], r["expires_on"]) for r in read] == [
        (r["status_index"], r["issued_on"], r["expires_on"]) for r in got]
    # nothing was made or linked again
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 1, "assertions": 1}]


def test_concurrent_awards_of_one_pair_make_one(any_store: GraphStore) -> None:
    """60 learners, each awarded badge b0 twice at the same moment under two ids: one
    award is made and the other call answers it (``held``), on Neo4j too."""
    _seed(any_store)
    got: dict[str, list[dict]] = defaultdict(list)

    def award(learner: str, n: int) -> None:
        got[learner].extend(_award(any_store, [_one(f"{learner}-{n}", learner, "b0")], f"req-{learner}-{n}"))

    def pair(learner: str) -> None:
        start = threading.Barrier(2)
        with ThreadPoolExecutor(2) as two:
            for done in [two.submit(lambda n=n: (start.wait(), award(learner, n))) for n in (1, 2)]:
                done.result()

    learners = [f"c{i}" for i in range(60)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(pair, learners))
    for learner in learners:
        assert sorted((r["created"], r["held"]) for r in got[learner]) == [(False, True), (True, False)], got[learner]
        assert len({r["id"] for r in got[learner]}) == 1
    assert any_store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 60, "assertions": 60}]


@covers("ISSUING_BADGES")
def test_issuing_badges(any_store: GraphStore) -> None:
    _seed(any_store)
    rows = {r["id"]: r for r in any_store.read(queries.ISSUING_BADGES, {"badge_ids": ["b0", "b3", "zz"]})}
    assert set(rows) == {"b0", "b3"}
    assert rows["b0"]["organisation_id"] == "org" and rows["b3"]["organisation_id"] == "other"
    assert sorted(c["id"] for c in rows["b0"]["cells"]) == ["knowledge.engagement", "skills.engagement"]
    cell = next(c for c in rows["b0"]["cells"] if c["id"] == "skills.engagement")
    assert cell == {"id": "skills.engagement", "name": "skills engagement", "layer": "engagement",
                    "domain": "skills", "layer_rank": 0, "domain_rank": 1}
    assert rows["b0"]["themes"] == [{"id": "digital", "name": "Digital"}]
    assert rows["b0"]["props"]["name"] == "Badge 0" and rows["b3"]["cells"] == []


@covers("GET_ASSERTION", "SET_ASSERTION_STATUS", "REVOKED_ASSERTIONS")
def test_status_transitions(any_store: GraphStore) -> None:
    _seed(any_store)
    rows = _rows(40, seed=4)
    awarded = {r["id"]: r for r in _award(any_store, rows, "r")}
    aid = rows[0]["id"]
    got = any_store.read(queries.GET_ASSERTION, {"id": aid})[0]
    assert (got["badge_id"], got["learner_id"], got["issuer_id"], got["badge_organisation_id"]) == (
        rows[0]["badge_id"], rows[0]["learner_id"], "org", "org")
    assert got["props"]["status"] == "issued" and got["props"]["issued_on"] == rows[0]["props"]["issued_on"]
    assert any_store.read(queries.GET_ASSERTION, {"id": "nope"}) == []

    def move(i: str, to: str, allowed: list[str], reason=None) -> dict:
        return any_store.write(queries.SET_ASSERTION_STATUS,
                               {"id": i, "from": allowed, "to": to, "now": NOW, "reason": reason})[0]

    assert move(aid, "accepted", ["issued", "declined"]) == {"id": aid, "before": "issued", "status": "accepted",
                                                             "changed": True}
    assert move(aid, "accepted", ["issued", "declined"])["changed"] is False
    revoked = [r["id"] for r in rows[:25:3]]
    for i in revoked:
        assert move(i, "revoked", ["issued", "accepted", "declined"], reason=f"why {i}")["changed"] is True
    # a revoked one cannot be accepted; the guard is inside the statement
    assert move(revoked[1], "accepted", ["issued", "declined"]) == {
        "id": revoked[1], "before": "revoked", "status": "revoked", "changed": False}
    props = any_store.read(queries.GET_ASSERTION, {"id": revoked[0]})[0]["props"]
    assert props["revoked_on"] == NOW and props["revocation_reason"] == f"why {revoked[0]}"
    assert props["accepted_on"] == NOW  # revoked[0] is aid, accepted first
    assert any_store.write(queries.SET_ASSERTION_STATUS,
                           {"id": "nope", "from": [], "to": "revoked", "now": NOW, "reason": None}) == []
    # an award read in by an ingest, recorded as revoked, is not hosted here: not listed
    any_store.write("MATCH (a:Assertion {id: $id}) SET a.source = 'awards-ingest'", {"id": revoked[-1]})
    listed = any_store.read(queries.REVOKED_ASSERTIONS, {"organisation_id": "org", "sources": ["colearn"]})
    revoked = revoked[:-1]
    assert [r["id"] for r in listed] == sorted(revoked)
    assert {r["id"]: r["status_index"] for r in listed} == {i: awarded[i]["status_index"] for i in revoked}
    assert all(r["reason"] == f"why {r['id']}" and r["revoked_on"] == NOW for r in listed)
    assert any_store.read(queries.REVOKED_ASSERTIONS, {"organisation_id": "other", "sources": ["colearn"]}) == []


def test_concurrent_accept_and_revoke_never_unrevoke(any_store: GraphStore) -> None:
    """200 assertions, each accepted and revoked at the same moment from two threads.

    A revoke that was acknowledged must stick: every assertion ends ``revoked``
    and the revocation list names exactly the revoked assertions of the graph.
    On Neo4j (read-committed) a status read before the node's lock lets a
    concurrent accept overwrite the revoke.
    """
    _seed(any_store)
    rows = _rows(200, seed=11)
    _award(any_store, rows, "race")
    acknowledged: dict[str, list[str]] = defaultdict(list)

    def revoke(aid: str) -> None:
        awards.revoke(any_store, aid, "race", now=NOW)
        acknowledged[aid].append("revoked")

    def accept(aid: str) -> None:
        try:
            awards.set_learner_response(any_store, aid, True, base_url=BASE, now=NOW)
            acknowledged[aid].append("accepted")
        except Conflict:  # the revoke came first
            pass

    def pair(aid: str) -> None:
        start = threading.Barrier(2)  # both calls leave together
        with ThreadPoolExecutor(2) as two:
            for done in [two.submit(lambda f=f: (start.wait(), f(aid))) for f in (accept, revoke)]:
                done.result()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(pair, [r["id"] for r in rows]))
    assert all("revoked" in acknowledged[r["id"]] for r in rows)
    status = {r["id"]: r["status"] for r in any_store.read(
        f"MATCH (a:{Label.ASSERTION}) RETURN a.id AS id, a.status AS status")}
    assert Counter(status.values()) == {"revoked": 200}
    listed = [r["id"] for r in issuing.revoked_assertions(any_store, "org")]
    assert listed == sorted(i for i, s in status.items() if s == "revoked")


def test_concurrent_award_and_badge_delete(any_store: GraphStore) -> None:
    """100 unused badges, each awarded and deleted at the same moment.

    Either the award lands first (the delete then finds the badge in use and
    keeps it) or the delete does (the award then fails or finds no badge): never
    an acknowledged award deleted with its badge, nor an assertion left without one.
    """
    _seed(any_store)
    ids = [f"d{i}" for i in range(100)]
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b}} for b in ids]})
    any_store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {
        "rows": [{"id": b, "targets": [{"id": "org", "props": {}}]} for b in ids]})
    awarded: dict[str, bool] = {}
    deleted: dict[str, int] = {}

    def award(b: str) -> None:
        row = {"id": f"as-{b}", "badge_id": b, "learner_id": "l1", "learner_props": {},
               "props": {"status": "issued", "issued_on": NOW}}
        try:
            awarded[b] = any(r["created"] for r in _award(any_store, [row], f"req-{b}"))
        except ColearnError:  # the badge went away under it
            awarded[b] = False

    def delete(b: str) -> None:
        deleted[b] = any_store.write(queries.catalogue_delete(Label.BADGE), {"id": b})[0]["deleted"]

    def pair(b: str) -> None:
        start = threading.Barrier(2)
        with ThreadPoolExecutor(2) as two:
            for done in [two.submit(lambda f=f: (start.wait(), f(b))) for f in (award, delete)]:
                done.result()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(pair, ids))
    badges_left = {r["id"] for r in any_store.read(f"MATCH (b:{Label.BADGE}) RETURN b.id AS id")}
    of = {r["id"]: r["badge"] for r in any_store.read(
        f"MATCH (a:{Label.ASSERTION}) OPTIONAL MATCH (a)-[:{Rel.OF}]->(b:{Label.BADGE}) "
        "RETURN a.id AS id, b.id AS badge")}
    assert None not in of.values(), "an assertion lost its badge"
    for b in ids:
        assert awarded[b] + deleted[b] == 1, (b, awarded[b], deleted[b])
        assert (b in badges_left) == awarded[b] == (of.get(f"as-{b}") == b)


@covers("PORTFOLIO_BY_CELL", "LEARNER_OTHER_ASSERTIONS")
def test_portfolio_by_cell(any_store: GraphStore) -> None:
    _seed(any_store)
    rows = _rows(200, seed=5)
    _award(any_store, rows, "r")
    rng = random.Random(9)
    status = {}
    for r in rows:
        s = rng.choice(["accepted", "accepted", "accepted", "issued", "declined", "revoked"])
        status[r["id"]] = s
        if s != "issued":
            any_store.write(queries.SET_ASSERTION_STATUS, {"id": r["id"], "from": ["issued"], "to": s,
                                                           "now": NOW, "reason": "x"})
    cells_of = {"b0": ["knowledge.engagement", "skills.engagement"], "b1": ["skills.participation"], "b2": [None]}

    def expires(r: dict) -> int | None:
        e = r["props"].get("expires_on")
        return r["props"]["issued_on"] + 10 * DAY if e is None and r["badge_id"] == "b1" else e

    for learner in sorted({r["learner_id"] for r in rows}):
        mine = [r for r in rows if r["learner_id"] == learner]
        held = [r for r in mine if status[r["id"]] == "accepted" and (expires(r) is None or expires(r) > NOW)]
        want: dict = defaultdict(list)
        for r in held:
            for c in cells_of[r["badge_id"]]:
                want[c].append(r["id"])
        got = {row["cell_id"]: [a["assertion_id"] for a in row["awards"]]
               for row in any_store.read(queries.PORTFOLIO_BY_CELL, {"learner_id": learner, "now": NOW})}
        assert got == {c: ids for c, ids in want.items()}, learner
        others = any_store.read(queries.LEARNER_OTHER_ASSERTIONS, {"learner_id": learner, "now": NOW})
        assert sorted(o["assertion_id"] for o in others) == sorted(r["id"] for r in mine if r not in held)
        assert all(o["status"] == status[o["assertion_id"]] for o in others)


def _answer(store: GraphStore, aid: str, to: str, now: int) -> list[dict]:
    allowed = ["issued", "declined"] if to == "accepted" else ["issued", "accepted"]
    return store.write(queries.ANSWER_ASSERTION, {"id": aid, "from": allowed, "to": to, "now": now, "reason": None,
                                                  "kind": access.CLAIM})


def _link_ended(store: GraphStore, secret: str, now: int) -> bool:
    try:
        access.peek_token(store, access.CLAIM, secret, now=now)
    except Conflict as e:
        assert "accepted or declined another way" in str(e)
        return True
    return False


@covers("ANSWER_ASSERTION")
def test_an_answer_ends_its_awards_unused_claim_links_in_the_same_statement(any_store: GraphStore) -> None:
    _seed(any_store)
    _award(any_store, [_one("a1", "l1", "b0"), _one("a2", "l1", "b1")], "r")
    unused = [access.issue_token(any_store, access.CLAIM, "l1", 600, assertion_id="a1", now=NOW) for _ in range(2)]
    used = access.issue_token(any_store, access.CLAIM, "l1", 600, assertion_id="a1", now=NOW)
    access.use_token(any_store, access.CLAIM, used, now=NOW + 1)
    other = access.issue_token(any_store, access.CLAIM, "l1", 600, assertion_id="a2", now=NOW)
    signin = access.issue_token(any_store, access.SIGNIN, "l1", 600, now=NOW)
    assert _answer(any_store, "a1", "accepted", NOW + 2) == [
        {"id": "a1", "before": "issued", "status": "accepted", "changed": True, "ended": 2}]
    assert all(_link_ended(any_store, s, NOW + 3) for s in unused)
    with pytest.raises(Conflict, match="already been used"):  # the used one stays as it was
        access.use_token(any_store, access.CLAIM, used, now=NOW + 3)
    assert not _link_ended(any_store, other, NOW + 3)  # another award's link and a sign-in link stay
    assert access.use_token(any_store, access.SIGNIN, signin, now=NOW + 3)["learner_id"] == "l1"
    # the same answer again changes nothing, yet a link made since ends too
    late = access.issue_token(any_store, access.CLAIM, "l1", 600, assertion_id="a1", now=NOW + 3)
    assert _answer(any_store, "a1", "accepted", NOW + 4) == [
        {"id": "a1", "before": "accepted", "status": "accepted", "changed": False, "ended": 1}]
    assert _link_ended(any_store, late, NOW + 5)
    # a refused answer (the award is revoked) ends no link
    _set_status(any_store, "a2", "revoked")
    assert _answer(any_store, "a2", "declined", NOW + 6) == [
        {"id": "a2", "before": "revoked", "status": "revoked", "changed": False, "ended": 0}]
    assert not _link_ended(any_store, other, NOW + 7)
    assert _answer(any_store, "nope", "accepted", NOW + 8) == []


class _Crash(Exception):
    pass


class _CrashAtWrite:
    """A store whose ``at``-th write raises ``_Crash`` without running (the process died there)."""

    def __init__(self, store: GraphStore, at: int) -> None:
        self._store, self._at, self._writes = store, at, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def write(self, query: str, params: dict | None = None) -> list[dict]:
        self._writes += 1
        if self._writes == self._at:
            raise _Crash(query)
        return self._store.write(query, params)


def test_a_crash_during_an_answer_leaves_no_answered_award_with_a_live_claim_link(any_store: GraphStore) -> None:
    """Accepting or declining and ending the award's claim links land together: a crash at
    any write of ``set_learner_response`` leaves either both done or neither."""
    _seed(any_store)
    rows = [_one(f"a{i}", f"l{i}", "b0") for i in range(6)]
    _award(any_store, rows, "r")
    for i, (at, accept) in enumerate([(1, True), (2, True), (3, True), (1, False), (2, False), (3, False)]):
        aid = f"a{i}"
        secret = access.issue_token(any_store, access.CLAIM, f"l{i}", 600, assertion_id=aid, now=NOW)
        with suppress(_Crash):
            awards.set_learner_response(cast(GraphStore, _CrashAtWrite(any_store, at)), aid, accept,
                                        base_url=BASE, now=NOW + 1)
        answered = awards.get_assertion(any_store, aid).status != "issued"
        assert answered == _link_ended(any_store, secret, NOW + 2), (at, accept)
