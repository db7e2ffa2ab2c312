"""The evaluation reports: a markdown table and a plot of ``benchmark.run``'s result, and of ``suite.run_suite``'s.

``write_report(result, folder)`` writes ``<name>.md`` (every model, every
metric with its 95% bootstrap interval, the protocol and the verdicts) and
``<name>.png`` (NDCG@10 and coverage@10 per model with their intervals;
matplotlib's Agg backend, no display needed), both or neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from colearn.files import write_all
from colearn.text import quantity
from colearn.recommender.benchmark import BASELINES, FULL, MIN_CASES_TO_JUDGE, beats_every_baseline, best_baseline

#: Report column order.
METRICS = ("hr@5", "hr@10", "ndcg@10", "mrr", "coverage@10", "diversity@10", "novelty@10")


def error_bars(vals: Sequence[Mapping[str, float]]) -> list[list[float]]:
    """matplotlib ``yerr`` ``[[below], [above]]`` of ``{"mean", "low", "high"}`` intervals, clipped at 0.

    A bootstrap interval need not contain the statistic of the whole sample
    (coverage@10 of all cases is the largest any resample can reach, so its
    ``high`` can sit below its ``mean``); the part of the bar that would be
    negative is drawn as 0, and ``clipped_intervals`` lists where.
    """
    return [[max(0.0, v["mean"] - v["low"]) for v in vals], [max(0.0, v["high"] - v["mean"]) for v in vals]]


def clipped_intervals(models: Mapping[str, Mapping[str, Mapping[str, float]]]) -> list[str]:
    """``"model metric"`` for every interval that does not contain its mean (its bar is clipped)."""
    return [f"{name} {metric}" for name, metrics in models.items() for metric, v in metrics.items()
            if not v["low"] <= v["mean"] <= v["high"]]


def wins_and_losses(summary: Mapping[str, Any]) -> str:
    """``"9 wins, 1 loss"`` from a ``suite_summary`` (``", 1 site with too few cases to judge"`` added when so)."""
    text = f"{quantity(summary['wins'], 'win', 'wins')}, {quantity(summary['losses'], 'loss', 'losses')}"
    if summary.get("ties"):
        text += f", {quantity(summary['ties'], 'tie', 'ties')}"
    if summary.get("unjudged"):
        text += f", {quantity(summary['unjudged'], 'site', 'sites')} with too few cases to judge"
    return text


def lift_text(v: Mapping[str, Any]) -> str:
    """``"+0.048 [+0.031, +0.065]"``: a ``suite_verdicts`` entry's lift and its paired interval."""
    if v.get("lift_low") is None:
        return f"{v['lift']:+.3f}"
    return f"{v['lift']:+.3f} [{v['lift_low']:+.3f}, {v['lift_high']:+.3f}]"


#: Why coverage@10's bootstrap interval lies at or below its estimate (said where the reports explain intervals).
COVERAGE_INTERVAL = ("Coverage@10's interval lies at or below its estimate: it counts the distinct badges "
                     "recommended to all the cases, and a resample of the cases (drawn with repeats, so "
                     "leaving some out) can only reach as many, never more.")


def _cell(v: Mapping[str, float]) -> str:
    return f"{v['mean']:.3f} [{v['low']:.3f}, {v['high']:.3f}]"


def markdown(result: Mapping[str, Any], title: str) -> str:
    """The report as markdown text."""
    models = result["models"]
    lines = [f"# {title}", "",
             f"Temporal leave-last-out ({result['split']} split): {quantity(result['n_cases'], 'held-out learner')} "
             f"(at least 3 distinct badges), {quantity(result['n_awards'], 'award')}, "
             f"{quantity(result['n_badges'], 'badge')}, {quantity(result['n_learners'], 'learner')}. Mean [95% bootstrap interval]; ties count against the "
             "held-out badge; every score uses only awards before the held-out one. " + COVERAGE_INTERVAL, "",
             f"The learned ranker was refitted {quantity(len(result['checkpoints']), 'time', 'times')} on earlier "
             "events only "
             f"(training events before each block: {', '.join(f'{n:,}' for n in result['checkpoints'])}"
             + (f"; pooled with {result['n_prior_groups']:,} training events sampled from "
                f"{quantity(len(result['pooled_sites']), 'other site', 'other sites')}, a sample per booster of "
                "the bag: "
                f"{', '.join(result['pooled_sites'])}"
                if result.get("pooled_sites") else "") + "); "
             f"{quantity(result['fallback_cases'], 'case')} came before enough training events and "
             f"{'was' if result['fallback_cases'] == 1 else 'were'} scored by the "
             "hand-weighted blend.", "",
             "| model | " + " | ".join(m.upper() for m in METRICS) + " |",
             "|---|" + "---|" * len(METRICS)]
    for name in [FULL, *BASELINES]:
        lines.append(f"| {name} | " + " | ".join(_cell(models[name][m]) for m in METRICS) + " |")
    best = best_baseline(result)
    ours = models[FULL]
    lines += ["", f"- Best baseline on NDCG@10: **{best}** ({_cell(models[best]['ndcg@10'])}).",
              f"- Recommender NDCG@10 {ours['ndcg@10']['mean']:.3f}: "
              f"{'above' if beats_every_baseline(result) else 'NOT above'} every baseline's interval.",
              *([f"- Lift over {best} on NDCG@10, paired by case: {result['lift']['mean']:+.3f} "
                 f"[{result['lift']['low']:+.3f}, {result['lift']['high']:+.3f}]: {result['lift']['verdict']}"
                 + (f" (fewer than {MIN_CASES_TO_JUDGE} cases)." if result['n_cases'] < MIN_CASES_TO_JUDGE else ".")]
                if "lift" in result else []),
              f"- Catalogue coverage@10: {ours['coverage@10']['mean']:.3f}.",
              f"- The guard (the learned model against each single signal on the latest fifth of the "
              f"training events before each refit) served one signal instead for "
              f"{result.get('served_signal_cases', 0):,} of the {quantity(result['n_cases'], 'case')}"
              + (f" ({', '.join(sorted({g['serve'] for g in result.get('guard', []) if g['serve'] != 'ranker'}))})"
                 if result.get('served_signal_cases') else "") + ".",
              f"- Ranker hyperparameters: `{json.dumps(result['ranker_params'], sort_keys=True)}`."]
    clipped = clipped_intervals({n: {m: models[n][m] for m in METRICS} for n in [FULL, *BASELINES]})
    if clipped:
        lines.append(f"- Intervals that do not contain their mean (the bootstrap of a whole-sample statistic; "
                     f"the plot clips their bars at the mean): {', '.join(clipped)}.")
    return "\n".join(lines) + "\n"


def plot(result: Mapping[str, Any], path: Path | BinaryIO, title: str) -> Path | BinaryIO:
    """NDCG@10 and coverage@10 per model, with intervals, as a PNG (Agg backend) written to
    ``path`` (a file name, or a file open for writing bytes), which is returned."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    names = [FULL, *BASELINES]
    fig = Figure(figsize=(10, 4))
    for i, metric in enumerate(("ndcg@10", "coverage@10")):
        ax = fig.add_subplot(1, 2, i + 1)
        vals = [result["models"][n][metric] for n in names]
        means = [v["mean"] for v in vals]
        errs = error_bars(vals)
        colours = ["#2a9d8f" if n == FULL else "#8d99ae" for n in names]
        ax.bar(range(len(names)), means, yerr=errs, capsize=3, color=colours)
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel(f"{metric.upper()} (95% interval)")
        ax.set_ylim(0, 1)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    return path


def write_pair(folder: Path | str, name: str, text: str,
               draw: Callable[[BinaryIO], object]) -> tuple[Path, Path]:
    """Write ``<folder>/<name>.md`` (``text``) and ``<folder>/<name>.png`` (``draw`` writes the PNG to
    the open file it is given) both or neither (``files.write_all``); ``folder`` is made when missing.

    Returns:
        The two paths.

    Raises:
        OSError: the folder cannot be made, a file cannot be written or is a folder
            (``filename`` names it); neither file has then changed.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    md, png = out / f"{name}.md", out / f"{name}.png"
    write_all({md: text.encode("utf-8"), png: draw})
    return md, png


def write_report(result: Mapping[str, Any], folder: Path | str, name: str, title: str,
                 tail: str = "") -> tuple[Path, Path]:
    """Write ``<folder>/<name>.md`` (``markdown`` and then ``tail``, more markdown) and
    ``<folder>/<name>.png`` (``plot``), both or neither (``write_pair``); return both paths.

    Raises:
        OSError: see ``write_pair``.
    """
    return write_pair(folder, name, markdown(result, title) + tail, lambda f: plot(result, f, title))


# ---------------------------------------------------------------------------
# A suite of sites (``suite.run_suite``)
# ---------------------------------------------------------------------------

#: The suite table's metrics, in column order.
SUITE_METRICS = ("ndcg@10", "hr@10", "mrr", "coverage@10")


def suite_summary(suite: Mapping[str, Any]) -> dict[str, Any]:
    """``{"sites": {name: verdict + coverage + served}, "wins", "losses", "ties", "unjudged", "mean_lift",
    "min_coverage"}``: ``unjudged`` counts the sites with fewer than ``benchmark.MIN_CASES_TO_JUDGE`` cases,
    which ``mean_lift`` leaves out. A site not evaluated (no ``"models"``, no case: ``suite_verdicts``)
    has ``None`` for its numbers and coverage, which ``min_coverage`` leaves out."""
    from colearn.recommender.suite import suite_verdicts

    verdicts = suite_verdicts(suite)
    for name, v in verdicts.items():
        r = suite["sites"][name]
        v["coverage"] = r["models"][FULL]["coverage@10"]["mean"] if "models" in r else None
        v["served_signal_cases"] = r.get("served_signal_cases", 0)
        v["n_cases"] = r["n_cases"]
    lifts = [v["lift"] for v in verdicts.values() if v["verdict"] != "too few cases"]  # judged sites only
    return {"sites": verdicts, "wins": sum(v["verdict"] == "win" for v in verdicts.values()),
            "losses": sum(v["verdict"] == "loss" for v in verdicts.values()),
            "ties": sum(v["verdict"] == "tie" for v in verdicts.values()),
            "unjudged": sum(v["verdict"] == "too few cases" for v in verdicts.values()),
            "mean_lift": sum(lifts) / len(lifts) if lifts else 0.0,
            "min_coverage": min((v["coverage"] for v in verdicts.values() if v["coverage"] is not None),
                                default=0.0)}


def suite_markdown(suite: Mapping[str, Any], title: str) -> str:
    """The suite report: a verdict per site, then every model's metrics per site, with 95% intervals."""
    summary = suite_summary(suite)
    lines = [f"# {title}", "",
             f"Temporal leave-last-out on each site ({suite['split']} split; learners with at least 3 "
             "distinct badges, their last distinct badge held out; every score uses only awards before the "
             "held-out one). Mean [95% bootstrap interval]. Each site's ranker is fitted on its own earlier "
             "events pooled with samples of other sites' training events (one per booster of its bag)"
             + (f" (also: {', '.join(suite['prior_sites'])})" if suite.get("prior_sites") else "") + ". "
             + COVERAGE_INTERVAL, "",
             f"**{wins_and_losses(summary)}** "
             "against each site's best baseline on "
             f"NDCG@10; mean lift {summary['mean_lift']:+.3f}; lowest coverage@10 {summary['min_coverage']:.3f}. "
             "The lift's interval is a paired bootstrap over the site's cases (the recommender's NDCG@10 minus "
             f"the best baseline's, case by case); a site with fewer than {MIN_CASES_TO_JUDGE} cases is not "
             "judged (nor counted in the mean lift).",
             "", "| site | cases | recommender NDCG@10 | best baseline | its NDCG@10 | lift [95% interval] | verdict | "
             "coverage@10 | cases served by one signal (guard) |", "|---|---:|---:|---|---:|---:|---|---:|---:|"]
    for name, v in summary["sites"].items():
        if v["ours"] is None:
            lines.append(f"| {name} | {v['n_cases']:,} | - | - | - | - | {v['verdict']} | - | - |")
            continue
        lines.append(f"| {name} | {v['n_cases']:,} | {v['ours']:.3f} | {v['best']} | {v['theirs']:.3f} | "
                     f"{lift_text(v)} | {v['verdict'] if v['verdict'] != 'loss' else 'LOSS'} | {v['coverage']:.3f} | "
                     f"{v['served_signal_cases']:,} |")
    unscored = {n: v["reason"] for n, v in summary["sites"].items() if v["ours"] is None}
    if unscored:
        lines += ["", "Not evaluated (no case to hold out, so no metric): "
                  + "; ".join(f"{n}: {why}" for n, why in unscored.items()) + "."]
    lines += ["", "| site | model | " + " | ".join(m.upper() for m in SUITE_METRICS) + " |",
              "|---|---|" + "---|" * len(SUITE_METRICS)]
    clipped = []
    for name, r in suite["sites"].items():
        if "models" not in r:
            continue
        for model in [FULL, *BASELINES]:
            vals = r["models"][model]
            lines.append(f"| {name} | {model} | " + " | ".join(_cell(vals[m]) for m in SUITE_METRICS) + " |")
        clipped += [f"{name} {c}" for c in clipped_intervals(
            {n: {m: r["models"][n][m] for m in SUITE_METRICS} for n in [FULL, *BASELINES]})]
    if clipped:
        lines += ["", "Intervals that do not contain their mean (a bootstrap of a whole-sample statistic such "
                  f"as coverage; the plot clips their bars): {', '.join(clipped)}."]
    lines += ["", f"Ranker hyperparameters: `{json.dumps(suite['ranker_params'], sort_keys=True)}`."]
    return "\n".join(lines) + "\n"


def suite_plot(suite: Mapping[str, Any], path: Path | BinaryIO, title: str) -> Path | BinaryIO:
    """Per site: the recommender's and the best baseline's NDCG@10 (95% intervals, clipped at 0)
    and the recommender's coverage@10, as one PNG (Agg backend) written to ``path`` (a file name,
    or a file open for writing bytes), which is returned. The legend sits above the axes, where it
    covers no data; a site not evaluated (no case) keeps its place on the x axis, with nothing
    drawn but the words "0 cases"."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    summary = suite_summary(suite)
    names = list(summary["sites"])
    fig = Figure(figsize=(max(8.0, 1.0 * len(names) + 3), 4.8), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    xs = [x for x, n in enumerate(names) if summary["sites"][n]["ours"] is not None]
    drawn = [names[x] for x in xs]
    ours = [suite["sites"][n]["models"][FULL]["ndcg@10"] for n in drawn]
    best = [suite["sites"][n]["models"][summary["sites"][n]["best"]]["ndcg@10"] for n in drawn]
    w = 0.38
    ax.bar([x - w / 2 for x in xs], [v["mean"] for v in ours], w, yerr=error_bars(ours), capsize=3,
           color="#2a9d8f", label="recommender NDCG@10")
    ax.bar([x + w / 2 for x in xs], [v["mean"] for v in best], w, yerr=error_bars(best), capsize=3,
           color="#8d99ae", label="best baseline NDCG@10")
    ax.plot(xs, [summary["sites"][n]["coverage"] for n in drawn], "D", color="#e76f51",
            label="recommender coverage@10")
    for x, n in zip(xs, drawn):
        ax.annotate(summary["sites"][n]["best"], (x + w / 2, 0.02), rotation=90, fontsize=7, ha="center",
                    color="white")
    for x, n in enumerate(names):
        if n not in drawn:
            ax.annotate(f"{summary['sites'][n]['n_cases']} cases", (x, 0.02), rotation=90, fontsize=7,
                        ha="center", color="#555555")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("mean [95% interval]")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.01), ncols=3)  # above the axes, off the data
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110, format="png")
    return path


def write_suite_report(suite: Mapping[str, Any], folder: Path | str, name: str, title: str,
                       tail: str = "") -> tuple[Path, Path]:
    """Write ``<folder>/<name>.md`` (``suite_markdown`` and then ``tail``, more markdown) and
    ``<folder>/<name>.png`` (``suite_plot``), both or neither (``write_pair``); return both paths.

    Raises:
        OSError: see ``write_pair``.
    """
    return write_pair(folder, name, suite_markdown(suite, title) + tail, lambda f: suite_plot(suite, f, title))
