"""What the evaluation reports say and draw: the suite plot read back from its matplotlib
objects (the legend off the data, the bars and markers as the table gives them), a site with
no case, counts with their nouns, and why coverage's interval lies below its estimate."""

from __future__ import annotations

import io
from typing import Any

import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from colearn.recommender import report
from colearn.recommender.benchmark import FULL
from colearn.text import quantity
from tests.recommender_builders import site_result, suite_result


def drawn(monkeypatch: pytest.MonkeyPatch, suite: dict[str, Any]) -> Figure:
    """``report.suite_plot(suite)``'s figure, as it was when saved."""
    figures: list[Figure] = []
    save = Figure.savefig

    def keep(fig: Figure, *args: Any, **kw: Any) -> Any:
        figures.append(fig)
        return save(fig, *args, **kw)

    monkeypatch.setattr(Figure, "savefig", keep)
    report.suite_plot(suite, io.BytesIO(), "t")
    assert len(figures) == 1
    return figures[0]


def full_coverage(suite: dict[str, Any], *names: str) -> dict[str, Any]:
    """``suite`` with the recommender's coverage@10 at 1.000 on ``names`` (markers at the top edge)."""
    for name in names:
        suite["sites"][name]["models"][FULL]["coverage@10"] = {"mean": 1.0, "low": 0.95, "high": 1.0}
    return suite


@pytest.mark.parametrize("n_sites", [1, 3, 10])
def test_the_suite_plot_legend_covers_no_data_and_the_plot_agrees_with_the_table(
        monkeypatch: pytest.MonkeyPatch, n_sites: int) -> None:
    names = [f"s{i}" for i in range(n_sites)]
    suite = full_coverage(suite_result(**{n: (0.5 + i / 50, 0.6) for i, n in enumerate(names)}), *names)
    fig = drawn(monkeypatch, suite)
    ax = fig.axes[0]
    legend = ax.get_legend() or fig.legends[0]
    renderer = fig._get_renderer()  # the extents as saved (the layout is done when the PNG is drawn)
    box, area = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert not box.overlaps(area), (box, area)  # wherever the data falls, the legend is outside the axes
    assert not any(box.overlaps(t.get_window_extent(renderer)) for t in ax.get_xticklabels())
    summary = report.suite_summary(suite)
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers if isinstance(c, BarContainer)}
    assert bars["recommender NDCG@10"] == pytest.approx([summary["sites"][n]["ours"] for n in names])
    assert bars["best baseline NDCG@10"] == pytest.approx([summary["sites"][n]["theirs"] for n in names])
    marker = next(line for line in ax.get_lines() if line.get_label() == "recommender coverage@10")
    assert list(marker.get_ydata()) == pytest.approx([summary["sites"][n]["coverage"] for n in names]) == [1.0] * n_sites
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert ax.get_ylim()[1] > 1.0  # the marker at 1.000 is inside the axes, not on their edge


def empty_site() -> dict[str, Any]:
    """``evaluate_suite``'s entry for a site without a case (``case_shortage``)."""
    return {"n_cases": 0, "n_rows": 4, "n_learners": 4, "most_distinct_badges": 1,
            "reason": "no learner holds 3 or more distinct badges (4 rows, 4 learners, at most 1 distinct badge each)"}


def test_a_site_without_cases_is_too_few_cases_with_its_reason_and_no_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    suite = suite_result(ai=(0.7, 0.6), beta=(0.7, 0.6))
    suite["sites"] = {"ai": suite["sites"]["ai"], "alone": empty_site(), "beta": suite["sites"]["beta"]}
    summary = report.suite_summary(suite)
    alone = summary["sites"]["alone"]
    assert alone["verdict"] == "too few cases" and alone["win"] is False and alone["n_cases"] == 0
    assert alone["ours"] is alone["theirs"] is alone["lift"] is alone["coverage"] is None  # nothing invented
    assert alone["reason"] == empty_site()["reason"]
    assert (summary["wins"], summary["unjudged"]) == (2, 1)
    assert summary["mean_lift"] == pytest.approx(0.7 - 0.61) and summary["min_coverage"] == pytest.approx(0.7)
    md = report.suite_markdown(suite, "t")
    assert "| alone | 0 | - | - | - | - | too few cases | - | - |" in md
    assert "alone: no learner holds 3 or more distinct badges (4 rows, 4 learners, at most 1 distinct badge each)" in md
    assert "| alone | recommender |" not in md and "| ai | recommender |" in md
    ax = drawn(monkeypatch, suite).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ai", "alone", "beta"]
    for c in ax.containers:
        if isinstance(c, BarContainer):
            assert [p.get_x() + p.get_width() / 2 for p in c.patches] == pytest.approx(
                [0 - 0.19, 2 - 0.19] if "recommender" in c.get_label() else [0 + 0.19, 2 + 0.19])
    marker = next(line for line in ax.get_lines() if line.get_label() == "recommender coverage@10")
    assert list(marker.get_xdata()) == [0, 2]  # nothing drawn for the site without cases


def test_counts_take_their_noun_and_coverage_intervals_are_explained() -> None:
    one = {**site_result(n_cases=1), "checkpoints": [100], "pooled_sites": ["beta"], "n_prior_groups": 2000,
           "fallback_cases": 1, "n_badges": 1}
    md = report.markdown(one, "t")
    assert "1 held-out learner (" in md and ", 1 badge," in md and "1 case came" in md and "and was scored" in md
    assert "of the 1 case." in md
    assert "refitted 1 time on" in md and "1 times" not in md and "from 1 other site," in md
    two = {**site_result(), "pooled_sites": ["beta", "gamma"], "n_prior_groups": 4000}
    assert "refitted 2 times on" in report.markdown(two, "t") and "2 other sites," in report.markdown(two, "t")
    for text in (md, report.suite_markdown(suite_result(ai=(0.7, 0.6)), "t")):
        assert "Coverage@10's interval lies at or below its estimate" in text
    assert quantity(1, "site") == "1 site" and quantity(1_024, "row") == "1,024 rows"
    assert quantity(2, "loss", "losses") == "2 losses"
