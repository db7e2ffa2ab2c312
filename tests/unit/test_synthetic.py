"""The synthetic city generator: deterministic, consistent, skewed, and climbing the spine."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.ingest.catalogue import read_catalogue
from colearn.ingest.awards import read_activity
from colearn.ingest.synthetic import SIZES, CitySize, award_times, evaluation_rows, generate_city, skew, write_city
from colearn.recommender.recommend import Recommender

TINY = CitySize("tiny", learners=300, badges=60, opportunities=120, organisations=12, districts=4, venues=10,
                themes=6, pathways=8, assertions=3_000)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_files_other_seed_other_city(tmp_path: Path) -> None:
    a = write_city(generate_city(TINY, 5), tmp_path / "a")
    b = write_city(generate_city(TINY, 5), tmp_path / "b")
    c = write_city(generate_city(TINY, 6), tmp_path / "c")
    assert _digest(a) == _digest(b)
    assert _digest(a)["award_history.csv"] != _digest(c)["award_history.csv"]


def test_sizes_are_as_documented() -> None:
    assert SIZES["L"].learners == 100_000 and SIZES["L"].badges == 5_000
    assert SIZES["L"].opportunities == 20_000 and SIZES["L"].assertions >= 1_000_000
    city = generate_city("S", 1)
    counts = city.summary()
    assert counts["learners"] == 1_000 and counts["assertions"] == 10_000
    assert counts["badges"] == 200 and counts["opportunities"] == 800


def test_unknown_size_is_refused() -> None:
    with pytest.raises(InvalidInput):
        generate_city("XL", 1)


def test_files_pass_the_readers(tmp_path: Path) -> None:
    folder = write_city(generate_city(TINY, 2), tmp_path / "city")
    cat = read_catalogue(folder)
    act = read_activity(folder)
    assert len(cat.badges) == TINY.badges and len(cat.opportunities) == TINY.opportunities
    assert len(cat.pathways) == TINY.pathways
    assert len(act.awards) == TINY.assertions and len(act.learners) == TINY.learners
    badge_ids = {e.value.id for e in cat.badges}
    issuer = {e.value.id: e.value.issuer for e in cat.badges}
    assert all(a.badge in badge_ids and a.organisation == issuer[a.badge] for _, a in act.awards)
    # every badge can be earned somewhere
    assert badge_ids == {b for e in cat.opportunities for b in e.value.badges}


def test_skew_many_with_one_or_two_a_few_very_active() -> None:
    stats = skew(generate_city("S", 3))
    assert stats["share_one_or_two"] >= 0.3
    assert stats["max"] >= 10 * stats["median"]


def test_learners_climb_the_spine_in_their_main_theme() -> None:
    city = generate_city(TINY, 4)
    layer = {b["id"]: int(["engagement", "participation", "demonstration", "leadership"]
                          .index(b["cells"][0].split(".")[1])) for b in city.badges}
    main = {lr["id"]: lr["themes"][0] for lr in city.learners}
    theme = {b["id"]: b["themes"][0] for b in city.badges}
    seq: dict[str, list[int]] = defaultdict(list)
    for a in city.awards:  # oldest first
        if theme[a["badge"]] == main[a["learner"]]:
            seq[a["learner"]].append(layer[a["badge"]])
    long = [s for s in seq.values() if len(s) >= 6]
    assert long
    # later awards sit higher on the spine than earlier ones, on average
    first = sum(sum(s[:3]) / 3 for s in long) / len(long)
    last = sum(sum(s[-3:]) / 3 for s in long) / len(long)
    assert last > first + 0.5
    times = [t for _, _, t, _ in award_times(city)]
    assert times == sorted(times)
    statuses = Counter(a["status"] for a in city.awards)
    assert statuses["accepted"] > 0.9 * len(city.awards) and statuses["revoked"] > 0


def test_evaluation_rows_feed_the_recommender() -> None:
    city = generate_city(TINY, 6)
    awards, catalogue, cells = evaluation_rows(city)
    rec = Recommender.from_rows(awards, catalogue, cells)
    learner = awards[-1][0]
    held = {b for lr, b, _, _ in awards if lr == learner}
    recs = rec.recommend(learner, 5)
    assert recs and not {r.badge_id for r in recs} & held
    assert all(c["cells"] and c["destinations"] for c in catalogue)
