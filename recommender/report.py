"""The evaluation report: a markdown table and a plot of ``benchmark.run``'s result.

``write_report(result, folder)`` writes ``<name>.md`` (every model, every
metric with its 95% bootstrap interval, the protocol and the verdicts) and
``<name>.png`` (NDCG@10 and coverage@10 per model with their intervals;
matplotlib's Agg backend, no display needed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from colearn.recommender.benchmark import BASELINES, FULL, beats_every_baseline, best_baseline

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


def _cell(v: Mapping[str, float]) -> str:
    return f"{v['mean']:.3f} [{v['low']:.3f}, {v['high']:.3f}]"


def markdown(result: Mapping[str, Any], title: str) -> str:
    """The report as markdown text."""
    models = result["models"]
    lines = [f"# {title}", "",
             f"Temporal leave-last-out ({result['split']} split): {result['n_cases']:,} held-out learners "
             f"(at least 3 distinct badges), {result['n_awards']:,} awards, {result['n_badges']} badges, "
             f"{result['n_learners']:,} learners. Mean [95% bootstrap interval]; ties count against the "
             "held-out badge; every score uses only awards before the held-out one.", "",
             f"The learned ranker was refitted {len(result['checkpoints'])} times on earlier events only "
             f"(training events before each block: {', '.join(f'{n:,}' for n in result['checkpoints'])}); "
             f"{result['fallback_cases']} cases came before enough training events and were scored by the "
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
              f"- Catalogue coverage@10: {ours['coverage@10']['mean']:.3f}.",
              f"- Ranker hyperparameters: `{json.dumps(result['ranker_params'], sort_keys=True)}`."]
    clipped = clipped_intervals({n: {m: models[n][m] for m in METRICS} for n in [FULL, *BASELINES]})
    if clipped:
        lines.append(f"- Intervals that do not contain their mean (the bootstrap of a whole-sample statistic; "
                     f"the plot clips their bars at the mean): {', '.join(clipped)}.")
    return "\n".join(lines) + "\n"


def plot(result: Mapping[str, Any], path: Path, title: str) -> Path:
    """NDCG@10 and coverage@10 per model, with intervals, as a PNG (Agg backend)."""
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
    fig.savefig(path, dpi=110)
    return path


def write_report(result: Mapping[str, Any], folder: Path | str, name: str, title: str) -> tuple[Path, Path]:
    """Write ``<folder>/<name>.md`` and ``<folder>/<name>.png``; return both paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    md = out / f"{name}.md"
    md.write_text(markdown(result, title), encoding="utf-8")
    png = plot(result, out / f"{name}.png", title)
    return md, png
