"""Choosing the ranker's settings on the development suite's validation splits, cheaply.

Each site is replayed once per split and kept on disk (``suite.prepare_site``
under ``generated/suite-cache``, git-ignored); each variant then only fits and
scores. Run one variant at a time: ``python tools/tune_suite.py NAME
[key=value ...]`` appends one JSON line to ``generated/tune-suite.jsonl``
(per site: the recommender's and the best baseline's validation NDCG@10 and
coverage@10). Only validation splits are scored while choosing; the test
split is scored once, with the chosen settings (``final split=test``, the
same ``run_suite`` call ``colearn eval --suite`` makes, from the cache).
``prepare split=test`` replays the test split ahead of that, scoring nothing.
Outside the product (it reads the Stack Exchange plans through ``colearn.cli``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

CACHE = Path("generated/suite-cache")
LOG = Path("generated/tune-suite.jsonl")


def _value(text: str) -> Any:
    """``key=value`` values: JSON when they parse (numbers, true, null), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str]) -> None:
    """Score one variant on every site's validation split and append its line to ``LOG``."""
    from colearn.data import bundled
    from colearn.perf.eval_inputs import spine_cells, suite_sites
    from colearn.perf.offline_eval import SUITE_CHECKPOINTS
    from colearn.recommender import suite

    name, params = argv[0], dict(a.split("=", 1) for a in argv[1:])
    params = {k: _value(v) for k, v in params.items()}
    split = params.pop("split", "validation")
    per_site = int(params.pop("prior_per_site", suite.PRIOR_PER_SITE))
    checkpoints = int(params.pop("checkpoints", SUITE_CHECKPOINTS))
    if split != "validation" and name not in ("final", "prepare"):
        raise SystemExit("variants are chosen on the validation split only")
    cells = spine_cells()
    sites = suite_sites(bundled("stackexchange"))
    start = time.process_time()
    if name == "prepare":  # replay only (e.g. the test split ahead of its one run), nothing scored
        for site in sites:
            suite.prepare_site(site, cells, validation=split == "validation", cache=CACHE)
        print(f"prepared {len(sites)} sites ({split}) in {time.process_time() - start:.0f} s CPU")
        return
    result = suite.run_suite(sites, cells, validation=split == "validation", cache=CACHE, ranker_params=params,
                             checkpoints=checkpoints, n_resamples=1000 if name == "final" else 200, prior_per_site=per_site)
    if name == "final":
        from colearn.recommender.report import write_suite_report

        write_suite_report(result, Path("docs"), "eval-suite", f"colearn eval --suite data/stackexchange ({split} split)")
    verdicts = suite.suite_verdicts(result)
    rows = {s: {"ours": round(v["ours"], 4), "best": v["best"], "theirs": round(v["theirs"], 4),
                "lift": round(v["lift"], 4),
                "coverage": round(result["sites"][s]["models"]["recommender"]["coverage@10"]["mean"], 3),
                "served": result["sites"][s]["served_signal_cases"]} for s, v in verdicts.items()}
    line = {"variant": name, "params": {**params, "prior_per_site": per_site, "checkpoints": checkpoints}, "split": split, "cpu_s": round(time.process_time() - start, 1),
            "wins": sum(v["win"] for v in verdicts.values()),
            "mean_lift": round(sum(v["lift"] for v in verdicts.values()) / len(verdicts), 4),
            "min_coverage": min(r["coverage"] for r in rows.values()), "sites": rows}
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
    print(json.dumps({k: v for k, v in line.items() if k != "sites"}))
    for s, r in rows.items():
        print(s, r)


if __name__ == "__main__":
    main(sys.argv[1:])
