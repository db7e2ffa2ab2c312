"""Each insight against counts computed here from the raw demo-city files and the
Stack Exchange Badges.xml (parsed in the test, counted in Python).

With k = 1 nothing is hidden, so every number must match exactly; with k = 5
every shown number must still match and every cell of 1-4 learners is hidden.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from colearn.graph.falkordb_store import EmbeddedFalkorDB
from colearn.graph.store import GraphStore
from colearn.insights.aggregates import (DIMENSIONS, INTERVALS, UNSEEN_BELOW_LAYER, UNSEEN_MIN_BADGES,
                                         UNSEEN_MIN_DAYS, Insights)
from colearn.insights.charts import figure
from colearn.insights.periods import period_start
from colearn.insights.privacy import ALL, PRIMARY

from tests.insights_builders import Demo, loaded_store, period, se_awards, tally

DEMO = Demo()


@pytest.fixture(scope="module")
def demo_store(falkordb_server: EmbeddedFalkorDB) -> Iterator[GraphStore]:
    yield from loaded_store(falkordb_server, stackexchange=False)


@pytest.fixture(scope="module")
def exact(demo_store: GraphStore) -> Insights:
    """k = 1: nothing hidden."""
    return Insights(demo_store, min_learners=1, cache_seconds=3600)


@pytest.fixture(scope="module")
def private(demo_store: GraphStore) -> Insights:
    return Insights(demo_store, min_learners=5, cache_seconds=3600)


def _cells(rows: list[dict], *keys: str) -> dict:
    """The rows that count something (or are hidden): ``issued`` shows the periods with
    no award as 0 as well (``test_issued_shows_every_period_and_zero_where_none``)."""
    return {tuple(r[k] for k in keys): (r["learners"], r["assertions"]) for r in rows if r["learners"] != 0}


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("by", DIMENSIONS)
def test_issued_matches_the_files(exact: Insights, by: str, interval: str) -> None:
    answer = exact.issued(by, interval)
    awards = DEMO.awards
    want = tally(awards, lambda a: [(period(a.day, interval), g) for g in DEMO.groups(a, by)])
    assert _cells(answer["rows"], "period", "group") == want
    assert _cells(answer["periods"], "period") == tally(awards, lambda a: [(period(a.day, interval),)])
    assert _cells(answer["groups"], "group") == tally(awards, lambda a: [(g,) for g in DEMO.groups(a, by)])
    assert (answer["total"]["learners"], answer["total"]["assertions"]) == (
        len({a.learner for a in awards}), len(awards))
    assert answer["privacy"]["suppressed_cells"] == 0


def test_issued_range_and_group_choose_cells(exact: Insights) -> None:
    answer = exact.issued("theme", "week", start=DEMO.awards[100].day, end=DEMO.awards[900].day, group="digital")
    first, last = period(DEMO.awards[100].day, "week"), period(DEMO.awards[900].day, "week")
    want = tally([a for a in DEMO.awards if "digital" in DEMO.groups(a, "theme")
                  and first <= period(a.day, "week") <= last], lambda a: [(period(a.day, "week"),)])
    assert _cells(answer["rows"], "period") == want
    assert {r["group"] for r in answer["groups"]} == {"digital"}


def _every_period(first: date, last: date, interval: str) -> list[str]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return list(dict.fromkeys(period(d, interval) for d in days))


@pytest.mark.parametrize("interval", INTERVALS)
def test_issued_shows_every_period_and_zero_where_none(exact: Insights, private: Insights, interval: str) -> None:
    """A period with no award was left out (2026-10, then 2026-12) and a chart's line
    jumped over it: every period from ``from`` (or the first award) to the last award or
    today is shown, each group in each, 0 where there was none, and a 0 is not hidden."""
    start = date(2026, 1, 1)
    answer = exact.issued("cell", interval, start=start)
    last = max(max(a.day for a in DEMO.awards), datetime.now(UTC).date())
    periods = _every_period(start, last, interval)
    assert [r["period"] for r in answer["periods"]] == periods
    groups = [g["group"] for g in answer["groups"]]
    assert [(r["period"], r["group"]) for r in answer["rows"]] == [(p, g) for p in periods for g in groups]
    want = tally(DEMO.awards, lambda a: [(period(a.day, interval), g) for g in DEMO.groups(a, "cell")])
    for r in answer["rows"]:
        assert (r["learners"], r["assertions"]) == want.get((r["period"], r["group"]), (0, 0)), r
    gaps = [(p, g) for g in groups for i, p in enumerate(periods[1:-1], 1) if (p, g) not in want
            and any((q, g) in want for q in periods[:i]) and any((q, g) in want for q in periods[i + 1:])]
    assert gaps, "the demo must have a group with no award in a period between two with some"
    hidden = private.issued("cell", interval, start=start)
    zeros = [r for r in hidden["rows"] if (r["period"], r["group"]) not in want]
    assert zeros and all(r["learners"] == r["assertions"] == 0 and r["suppressed"] is None for r in zeros)
    assert hidden["privacy"]["suppressed_cells"] == sum(1 for r in hidden["rows"] + hidden["periods"] + hidden[
        "groups"] + [hidden["total"]] if r["suppressed"])
    # the chart's line for a group goes down to 0 in its empty period instead of jumping over it
    p, g = gaps[0]
    label = next(r["label"] for r in answer["rows"] if r["group"] == g)
    answer = exact.issued("cell", interval, start=start, group=g)
    line = next(ln for ln in figure(answer).axes[0].get_lines() if ln.get_label() == label)
    drawn = dict(zip(line.get_xdata(), line.get_ydata()))
    assert drawn[date.fromisoformat(period_start(p, interval))] == 0


def test_issued_groups_and_total_are_all_time_and_say_so(exact: Insights) -> None:
    """``from`` and ``to`` choose periods; the groups and the total stay all-time figures
    (so they match every other answer's), and the answer says so."""
    whole = exact.issued("theme", "month")
    cut = exact.issued("theme", "month", start=date(2026, 6, 1), end=date(2026, 8, 30))  # months of whole weeks
    assert [r["period"] for r in cut["periods"]] == ["2026-06", "2026-07", "2026-08"]
    assert cut["groups"] == whole["groups"] and cut["total"] == whole["total"]
    assert cut["total"]["assertions"] == len(DEMO.awards)
    assert cut["groups_and_total"].startswith("all time, whatever from and to")


@pytest.mark.parametrize("by", DIMENSIONS)
def test_issued_hides_small_cells_and_shows_the_rest_exactly(private: Insights, by: str) -> None:
    answer = private.issued(by, "month")
    want = tally(DEMO.awards, lambda a: [(period(a.day, "month"), g) for g in DEMO.groups(a, by)])
    got = {(r["period"], r["group"]): r for r in answer["rows"] if r["learners"] != 0}
    assert set(got) == set(want)
    for key, (learners, assertions) in want.items():
        r = got[key]
        if learners < 5:
            assert r["suppressed"] == PRIMARY and r["learners"] is None and r["assertions"] is None
        elif r["suppressed"] is None:
            assert (r["learners"], r["assertions"]) == (learners, assertions)
        else:
            assert r["suppressed"] == "complementary"
    small = sum(1 for learners, _ in want.values() if learners < 5)
    assert sum(1 for r in answer["rows"] if r["suppressed"] == PRIMARY) == small
    assert by not in ("theme", "organisation") or small > 0, "the demo must have small cells to hide"


def test_issued_counts_stack_exchange_and_demo_together(falkordb_server: EmbeddedFalkorDB) -> None:
    awards = DEMO.awards + se_awards()
    for store in loaded_store(falkordb_server, stackexchange=True):
        answer = Insights(store, min_learners=1).issued("organisation", "month")
        assert _cells(answer["rows"], "period", "group") == tally(
            awards, lambda a: [(period(a.day, "month"), a.organisation)])
        assert _cells(answer["periods"], "period") == tally(awards, lambda a: [(period(a.day, "month"),)])
        assert (answer["total"]["learners"], answer["total"]["assertions"]) == (
            len({a.learner for a in awards}), len(awards))
        se = next(g for g in answer["groups"] if g["group"] == "se-martialarts")
        assert (se["learners"], se["assertions"]) == (6366, 15942)  # README: the dump's users and awards


def test_spine_matches_the_files(exact: Insights, private: Insights) -> None:
    want = tally(DEMO.awards, lambda a: DEMO.badges[a.badge]["cells"])
    answer = exact.spine()
    assert {c["cell"]: (c["learners"], c["assertions"]) for c in answer["cells"]} == {
        f"{d}.{lay}": want.get(f"{d}.{lay}", (0, 0)) for d in DEMO.domains for lay in DEMO.layers}
    assert answer["layers"] == DEMO.layers and answer["domains"] == DEMO.domains
    shown = {c["cell"]: c for c in private.spine()["cells"]}
    for cell, (learners, _) in want.items():
        assert (shown[cell]["learners"] is None) == (learners < 5)
    assert [c["cell"] for c in exact.spine(domain="skills")["cells"]] == [f"skills.{lay}" for lay in DEMO.layers]


def _steps() -> tuple[dict, dict]:
    """Independent progression: {(domain, rank): {learner: seconds}}, {domain: {learner: seconds of first step}}."""
    times: dict = defaultdict(lambda: defaultdict(list))
    for a in DEMO.awards:
        for c in DEMO.badges[a.badge]["cells"]:
            times[(a.learner, c.split(".")[0])][DEMO.rank(c)].append(a.at)
    steps: dict = defaultdict(dict)
    first: dict = defaultdict(dict)
    for (learner, domain), by_rank in times.items():
        made = []
        for rank, ts in by_rank.items():
            later = sorted(t for t in by_rank.get(rank + 1, []) if t >= min(ts))
            if later:
                steps[(domain, rank)][learner] = later[0] - min(ts)
                made.append((later[0], later[0] - min(ts)))
        if made:
            first[domain][learner] = min(made)[1]
    return steps, first


def test_progression_matches_the_files(exact: Insights) -> None:
    steps, first = _steps()
    answer = exact.progression()
    assert [d["domain"] for d in answer["domains"]] == DEMO.domains
    for d in answer["domains"]:
        took = first[d["domain"]]
        assert d["learners"] == len(took)
        assert d["median_days"] == round(statistics.median(took.values()) / 86400, 1)
        assert [(s["from_layer"], s["to_layer"]) for s in d["steps"]] == list(zip(DEMO.layers, DEMO.layers[1:]))
        for rank, s in enumerate(d["steps"]):
            mine = steps.get((d["domain"], rank), {})
            assert s["learners"] == len(mine)
            assert s["median_days"] == (round(statistics.median(mine.values()) / 86400, 1) if mine else None)
    assert sum(d["learners"] for d in answer["domains"]) > 100


def test_pathway_funnels_match_the_files(exact: Insights, private: Insights) -> None:
    held: dict = defaultdict(set)
    for a in DEMO.awards:
        held[a.learner].add(a.badge)
    answer = {p["pathway"]: p for p in exact.pathways()["pathways"]}
    assert set(answer) == {p["id"] for p in DEMO.pathways}
    for p in DEMO.pathways:
        ordered = [s for s in p["steps"] if not s.get("optional")] + [s for s in p["steps"] if s.get("optional")]
        learners = set(held)
        want = []
        for s in ordered:
            learners = {lid for lid in learners if len(held[lid] & set(s["badges"])) >= s.get("required", 1)}
            want.append(len(learners))
        got = answer[p["id"]]
        assert [s["learners"] for s in got["stages"]] == want
        n_required = sum(1 for s in p["steps"] if not s.get("optional"))
        assert got["completed"]["learners"] == want[n_required - 1]
        assert want[0] > want[-1] > 0, "some drop out, some finish"
    with pytest.raises(Exception, match="unknown recommended pathway"):
        exact.pathways(pathway="no-such-pathway")
    one = private.pathways(pathway="digital-careers")
    assert [p["pathway"] for p in one["pathways"]] == ["digital-careers"]


def test_supply_and_demand_match_the_files(exact: Insights) -> None:
    supply: dict = defaultdict(set)
    for o in DEMO.opportunities:
        for t in o.get("themes", []):
            supply[(t, DEMO.district(o.get("place")) or "online")].add(o["id"])
    demand: dict = defaultdict(set)
    for lid in DEMO.learners:
        for t in DEMO.interests(lid):
            demand[(t, DEMO.home(lid))].add(lid)
    answer = exact.supply_demand()
    got = {(r["theme"], r["place"]): r for r in answer["rows"]}
    assert set(got) == set(supply) | set(demand)
    for key, r in got.items():
        assert r["opportunities"] == len(supply.get(key, ()))
        assert r["learners"] == len(demand.get(key, ()))
    themes = {r["theme"]: r for r in answer["themes"]}
    assert themes["digital"]["learners"] == sum(1 for lid in DEMO.learners if "digital" in DEMO.interests(lid))
    assert themes["digital"]["opportunities"] == sum(1 for o in DEMO.opportunities if "digital" in o.get("themes", []))
    assert "not recorded" in answer["recommendations_shown"]


def test_unseen_talent_matches_the_files(exact: Insights) -> None:
    upper = DEMO.layers.index(UNSEEN_BELOW_LAYER)
    per: dict = defaultdict(list)
    for a in DEMO.awards:
        per[a.learner].append(a)
    want: dict = defaultdict(set)
    for lid, awards in per.items():
        badges = {a.badge for a in awards}
        top = max(DEMO.rank(c) for b in badges for c in DEMO.badges[b]["cells"])
        span = max(a.at for a in awards) - min(a.at for a in awards)
        if top < upper and len(badges) >= UNSEEN_MIN_BADGES and span >= UNSEEN_MIN_DAYS * 86400:
            for t in {t for b in badges for t in DEMO.badges[b].get("themes", [])}:
                want[(DEMO.home(lid), t)].add(lid)
    answer = exact.unseen_talent()
    got = {(r["place"], r["theme"]): r for r in answer["rows"]}
    assert {k: r["learners"] for k, r in got.items()} == {k: len(v) for k, v in want.items()}
    assert answer["total"]["learners"] == len({lid for v in want.values() for lid in v}) > 30
    # Northgate and Millbrook hold more unseen talent per learner than the city (the demo's story)
    rate = {r["place"]: r["learners"] / sum(1 for lid in DEMO.learners if DEMO.home(lid) == r["place"])
            for r in answer["places"]}
    city = answer["total"]["learners"] / len(DEMO.learners)
    assert rate["northgate"] > city and rate["millbrook"] > city, rate
    # the opportunities that would move them up: in the theme, in the district or online, upper layer
    moves = {(t, DEMO.district(o.get("place")), o["id"]) for o in DEMO.opportunities for b in o.get("badges", [])
             if max(DEMO.rank(c) for c in DEMO.badges[b]["cells"]) >= upper
             for t in DEMO.badges[b].get("themes", [])}
    for (place, theme), r in got.items():
        want_ids = {o for t, p, o in moves if t == theme and p in (place, None)}
        assert {o["id"] for o in r["opportunities"]} == want_ids


def test_every_answer_has_the_privacy_block(private: Insights) -> None:
    for answer in (private.issued(), private.spine(), private.progression(), private.pathways(),
                   private.supply_demand(), private.unseen_talent()):
        p = answer["privacy"]
        assert p["min_learners"] == 5 and p["suppressed_cells"] == p["primary"] + p["complementary"]
        assert "fewer than 5 learners" in p["note"]


def test_margins_use_the_all_marker_only_internally(exact: Insights) -> None:
    answer = exact.supply_demand()
    assert all(ALL not in (r["theme"], r["place"]) for r in answer["rows"])
