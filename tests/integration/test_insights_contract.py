"""Contract tests for the insight statements (both engines), checked against
numbers computed in Python from the rows written."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore

from tests.integration.test_contract import covers


def _badges_with_issuers(store: GraphStore) -> None:
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": o, "props": {}} for o in ("o1", "o2")]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {}} for b in ("b1", "b2", "b3")]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": "b1", "targets": [{"id": "o1", "props": {}}]}, {"id": "b2", "targets": [{"id": "o2", "props": {}}]}]})


@covers("BADGE_ISSUERS")
def test_badge_issuers(any_store: GraphStore) -> None:
    _badges_with_issuers(any_store)
    rows = any_store.read(queries.BADGE_ISSUERS, {"badge_ids": ["b1", "b2", "b3", "zz"]})
    assert sorted((r["badge_id"], r["issuer_id"]) for r in rows) == [("b1", "o1"), ("b2", "o2")]


# --------------------------------------------------------------------------
# A small world: districts and a venue, learners with homes and interests,
# badges on cells and themes, repeated awards and every status.
# --------------------------------------------------------------------------

DAY = 86400
CELLS = [(d, l, li, di) for di, d in enumerate(["knowledge", "skills"])
         for li, l in enumerate(["engagement", "participation", "demonstration"])]
#: badge -> (cell ids, themes, issuer)
BADGES = {
    "b-eng": (["knowledge.engagement"], ["digital"], "o1"),
    "b-par": (["skills.participation", "knowledge.participation"], ["digital", "green"], "o1"),
    "b-dem": (["skills.demonstration"], ["green"], "o2"),
    "b-none": (["skills.engagement"], [], "o2"),
}
THEMES = {"digital": ("sector", ["employment", "enterprise"]), "green": ("civic", ["employment"])}


def _world(store: GraphStore, seed: int = 3) -> dict:
    import random

    rng = random.Random(seed)
    w = store.write
    w(queries.merge_nodes(Label.SPINE_CELL), {"rows": [
        {"id": f"{d}.{l}", "props": {"domain": d, "layer": l, "layer_rank": li, "domain_rank": di,
                                     "name": f"{d} {l}"}} for d, l, li, di in CELLS]})
    w(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": d, "props": {"name": d}}
                                                        for d in ("employment", "enterprise")]})
    w(queries.merge_nodes(Label.THEME), {"rows": [{"id": t, "props": {"kind": k, "name": t.title()}}
                                                  for t, (k, _) in THEMES.items()]})
    w(queries.set_links(Label.THEME, Rel.LEADS_TO, Label.DESTINATION), {"rows": [
        {"id": t, "targets": [{"id": d, "props": {}} for d in ds]} for t, (_, ds) in THEMES.items()]})
    w(queries.merge_nodes(Label.PLACE), {"rows": [{"id": p, "props": {"name": p}} for p in ("north", "south", "hall")]})
    w(queries.set_links(Label.PLACE, Rel.WITHIN, Label.PLACE), {"rows": [
        {"id": "hall", "targets": [{"id": "north", "props": {}}]}]})
    _badges_with_issuers(store)
    w(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b}} for b in BADGES]})
    w(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": b, "targets": [{"id": o, "props": {}}]} for b, (_, _, o) in BADGES.items()]})
    w(queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL), {"rows": [
        {"id": b, "targets": [{"id": c, "props": {}} for c in cs]} for b, (cs, _, _) in BADGES.items()]})
    w(queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME), {"rows": [
        {"id": b, "targets": [{"id": t, "props": {}} for t in ts]} for b, (_, ts, _) in BADGES.items()]})
    learners = {f"l{i}": {"home": rng.choice(["north", "south", "hall", None]),
                          "themes": rng.sample(list(THEMES), rng.randint(0, 2))} for i in range(30)}
    w(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": lid, "props": {}} for lid in learners]})
    w(queries.set_links(Label.LEARNER, Rel.LIVES_IN, Label.PLACE), {"rows": [
        {"id": lid, "targets": [{"id": v["home"], "props": {}}] if v["home"] else []} for lid, v in learners.items()]})
    w(queries.set_links(Label.LEARNER, Rel.INTERESTED_IN, Label.THEME), {"rows": [
        {"id": lid, "targets": [{"id": t, "props": {}} for t in v["themes"]]} for lid, v in learners.items()]})
    awards = []
    for i in range(150):
        b = rng.choice(list(BADGES))
        awards.append({"id": f"a{i}", "organisation_id": BADGES[b][2], "badge_id": b,
                       "learner_id": f"l{rng.randrange(30)}", "learner_props": {},
                       "props": {"status": rng.choice(["accepted"] * 6 + ["issued", "revoked", "declined"]),
                                 "issued_on": 1_735_689_600 + rng.randrange(400) * DAY + rng.randrange(DAY)}})
    w(queries.MERGE_ASSERTIONS, {"rows": awards})
    opps = {"op-hall": ("hall", ["b-dem"], ["green"]), "op-online": (None, ["b-par", "b-dem"], ["digital"]),
            "op-south": ("south", ["b-eng"], ["digital", "green"])}
    w(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [{"id": o, "props": {"name": o, "mode": "x"}} for o in opps]})
    w(queries.set_links(Label.OPPORTUNITY, Rel.LOCATED_IN, Label.PLACE), {"rows": [
        {"id": o, "targets": [{"id": p, "props": {}}] if p else []} for o, (p, _, _) in opps.items()]})
    w(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE), {"rows": [
        {"id": o, "targets": [{"id": b, "props": {}} for b in bs]} for o, (_, bs, _) in opps.items()]})
    w(queries.set_links(Label.OPPORTUNITY, Rel.IN_THEME, Label.THEME), {"rows": [
        {"id": o, "targets": [{"id": t, "props": {}} for t in ts]} for o, (_, _, ts) in opps.items()]})
    accepted = [a for a in awards if a["props"]["status"] == "accepted"]
    pairs = Counter((a["learner_id"], a["badge_id"]) for a in accepted)
    assert max(pairs.values()) > 1, "the world must repeat some accepted learner-badge pairs"
    return {"learners": learners, "accepted": accepted, "opps": opps}


def _district(home: str | None) -> str | None:
    return "north" if home == "hall" else home


def _groups(a: dict, dimension: str | None, learners: dict) -> list:
    cells, themes, issuer = BADGES[a["badge_id"]]
    return {
        None: [None],
        "theme": themes,
        "theme_kind": sorted({THEMES[t][0] for t in themes}),
        "destination": sorted({d for t in themes for d in THEMES[t][1]}),
        "cell": cells,
        "place": [_district(learners[a["learner_id"]]["home"])],
        "organisation": [issuer],
    }[dimension]


@covers("issued_by_day", "THEME_LINKS", "INSIGHT_LABELS")
@pytest.mark.parametrize("dimension", [None, *queries.ISSUED_DIMENSIONS])
def test_issued_by_day(any_store: GraphStore, dimension: str | None) -> None:
    world = _world(any_store)
    want: dict = defaultdict(lambda: [0, set()])
    for a in world["accepted"]:
        for g in _groups(a, dimension, world["learners"]):
            cell = want[(g, a["props"]["issued_on"] // DAY)]
            cell[0] += 1
            cell[1].add(a["learner_id"])
    got = {(r["grp"], r["day"]): [r["assertions"], set(r["learners"])]
           for r in any_store.read(queries.issued_by_day(dimension))}
    assert got == dict(want)
    links = any_store.read(queries.THEME_LINKS)
    assert [(r["id"], r["kind"], sorted(r["destinations"])) for r in links] == [
        (t, k, sorted(ds)) for t, (k, ds) in sorted(THEMES.items())]
    labels = {(r["kind"], r["id"]): r for r in any_store.read(queries.INSIGHT_LABELS)}
    assert labels[("Theme", "green")]["name"] == "Green" and labels[("Theme", "green")]["extra"] == "civic"
    assert labels[("SpineCell", "skills.demonstration")]["extra"] == "demonstration|skills"
    assert {k for k, _ in labels} == {"Theme", "Destination", "Place", "Organisation", "SpineCell"}


def test_issued_by_day_refuses_an_unknown_dimension() -> None:
    with pytest.raises(ValueError):
        queries.issued_by_day("shoe_size")


@covers("LEARNER_LAYER_TIMES")
def test_learner_layer_times(any_store: GraphStore) -> None:
    world = _world(any_store)
    rank = {f"{d}.{l}": (d, li) for d, l, li, _ in CELLS}
    want: dict = defaultdict(list)
    for a in world["accepted"]:
        for c in BADGES[a["badge_id"]][0]:
            want[(a["learner_id"], *rank[c])].append(a["props"]["issued_on"])
    got = {(r["learner"], r["domain"], r["layer_rank"]): sorted(r["times"])
           for r in any_store.read(queries.LEARNER_LAYER_TIMES)}
    assert got == {k: sorted(v) for k, v in want.items()}


@covers("RECOMMENDED_PATHWAY_STEPS", "PATHWAY_STEP_LEARNERS")
def test_pathway_steps_and_learners(any_store: GraphStore) -> None:
    world = _world(any_store)
    steps = [(["b-eng", "b-none"], 1), (["b-par", "b-dem"], 2)]
    any_store.write(queries.merge_nodes(Label.PATHWAY), {"rows": [
        {"id": "pw", "props": {"title": "PW", "status": "published", "kind": "recommended"}},
        {"id": "mine", "props": {"title": "Mine", "status": "published", "kind": "interest"}}]})
    any_store.write(queries.merge_nodes(Label.STEP), {"rows": [
        {"id": f"{p}.step-{n}", "props": {"title": f"S{n}", "required": req, "optional": False}}
        for p in ("pw", "mine") for n, (_, req) in enumerate(steps, 1)]})
    any_store.write(queries.set_links(Label.PATHWAY, Rel.HAS_STEP, Label.STEP), {"rows": [
        {"id": p, "targets": [{"id": f"{p}.step-{n}", "props": {"order": n}} for n in (1, 2)]} for p in ("pw", "mine")]})
    any_store.write(queries.set_links(Label.STEP, Rel.ACCEPTS, Label.BADGE), {"rows": [
        {"id": f"{p}.step-{n}", "targets": [{"id": b, "props": {}} for b in bs]}
        for p in ("pw", "mine") for n, (bs, _) in enumerate(steps, 1)]})
    outline = any_store.read(queries.RECOMMENDED_PATHWAY_STEPS, {"viewer": "*"})
    assert [(r["pathway_id"], r["step"], r["required"], sorted(r["badges"])) for r in outline] == [
        ("pw", n, req, sorted(bs)) for n, (bs, req) in enumerate(steps, 1)]
    held = defaultdict(set)
    for a in world["accepted"]:
        held[a["learner_id"]].add(a["badge_id"])
    got = {r["step"]: sorted(r["learners"]) for r in any_store.read(queries.PATHWAY_STEP_LEARNERS)}
    want = {n: sorted(lid for lid, bs in held.items() if len(bs & set(step)) >= req)
            for n, (step, req) in enumerate(steps, 1)}
    assert got == {n: v for n, v in want.items() if v}
    assert want[2], "someone must meet the 2-of-2 step"


@covers("OPPORTUNITY_SUPPLY", "INTEREST_DEMAND")
def test_supply_and_demand(any_store: GraphStore) -> None:
    world = _world(any_store)
    want_supply = defaultdict(lambda: (set(), set()))
    for o, (p, _, ts) in world["opps"].items():
        for t in ts:
            want_supply[(t, _district(p))][0].add(o)
            if p:
                want_supply[(t, _district(p))][1].add(p)
    got = {(r["theme"], r["place"]): (set(r["opportunities"]), set(r["venues"]))
           for r in any_store.read(queries.OPPORTUNITY_SUPPLY)}
    assert got == dict(want_supply)
    want_demand = defaultdict(set)
    for lid, v in world["learners"].items():
        for t in v["themes"]:
            want_demand[(t, _district(v["home"]))].add(lid)
    got = {(r["theme"], r["place"]): set(r["learners"]) for r in any_store.read(queries.INTEREST_DEMAND)}
    assert got == dict(want_demand)


@covers("UNSEEN_TALENT", "MOVE_UP_OPPORTUNITIES")
def test_unseen_talent_and_move_up(any_store: GraphStore) -> None:
    world = _world(any_store)
    rank = {f"{d}.{l}": li for d, l, li, _ in CELLS}
    per = defaultdict(list)
    for a in world["accepted"]:
        per[a["learner_id"]].append(a)
    params = {"upper_rank": 2, "min_badges": 2, "min_span": 30 * DAY}
    want = defaultdict(set)
    for lid, awards in per.items():
        top = max(rank[c] for a in awards for c in BADGES[a["badge_id"]][0])
        times = [a["props"]["issued_on"] for a in awards]
        badges = {a["badge_id"] for a in awards}
        if top < 2 and len(badges) >= 2 and max(times) - min(times) >= 30 * DAY:
            for t in {t for b in badges for t in BADGES[b][1]}:
                want[(_district(world["learners"][lid]["home"]), t)].add(lid)
    got = {(r["place"], r["theme"]): set(r["learners"]) for r in any_store.read(queries.UNSEEN_TALENT, params)}
    assert got == dict(want) and got, "the world must hold some unseen talent"
    moves = any_store.read(queries.MOVE_UP_OPPORTUNITIES, {"upper_rank": 2})
    want_moves = sorted({(t, _district(p), o) for o, (p, bs, _) in world["opps"].items() for b in bs
                         if any(rank[c] >= 2 for c in BADGES[b][0]) for t in BADGES[b][1]}, key=str)
    assert sorted(((r["theme"], r["place"], r["id"]) for r in moves), key=str) == want_moves
