"""Monotone trees tried on the validation splits: the ranker's output may only rise with a signal's score and fall with its rank.

``python tools/explore_mono.py NAME [method=basic|intermediate|advanced] [ranks=1] [scores=1] [key=value ...]``:
fits and scores as ``tools/explore_suite.py`` does (the same script, its log), with
LightGBM's ``monotone_constraints`` on the ranker's features: +1 on each signal's
score (``scores=1``), -1 on each ``rank:<signal>`` (``ranks=1``), none on the rest
(the learner's facts and the raw counts). A constraint of this kind is a prior that
holds on every site (more evidence for a badge never lowers it), so it may carry to
a site the model was not fitted on. Exploration only.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    sys.path.insert(0, "tools")
    import explore_suite

    from colearn.recommender import ranker

    opts = dict(a.split("=", 1) for a in argv[1:])
    method = opts.pop("method", "basic")
    on_ranks = opts.pop("ranks", "1") == "1"
    on_scores = opts.pop("scores", "1") == "1"
    signals = set(ranker.RANKER_SIGNALS)
    plain = ranker.LearnedRanker._model

    def monotone(self, k=0):
        model = plain(self, k)
        names = getattr(self, "features_", None) or ranker.feature_names()
        cons = [1 if (on_scores and f in signals) else -1 if (on_ranks and f.startswith("rank:")) else 0
                for f in names]
        model.set_params(monotone_constraints=cons, monotone_constraints_method=method)
        return model

    ranker.LearnedRanker._model = monotone
    explore_suite.main([argv[0], *(f"{k}={v}" for k, v in opts.items())])


if __name__ == "__main__":
    main(sys.argv[1:])
