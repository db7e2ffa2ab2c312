"""Why each "what next?" result: the signals that contributed, as plain sentences.

For the learned ranker, a signal contributed when silencing it (score 0,
rank last; ``ranker.silenced``) lowers the badge's score, and the reasons are
the ``MAX_REASONS`` largest such drops, each worded by its signal's
``explain``; for a blend, a signal contributed when its weighted score is
positive. Computed once per answer from what scoring already computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, Signal

#: The most reasons one recommendation carries.
MAX_REASONS = 3


def plain_reason(projection: Projection, col: int) -> str:
    """One sentence true of badge column ``col`` whatever the learner holds, for a badge no
    signal that raised its score could explain (e.g. a new badge nobody holds yet): its place
    on the learning spine (its first aligned cell; "A first step in skills" on the first
    layer), else its first theme's name, else that it is still to earn; then, when the badge's
    issuer has a name (``Projection.badge_issuers``), who awards it, worded as the pathway
    steps' reason ("A first step in skills, awarded by Riverside Youth Club"). Names, never ids."""
    issuers = getattr(projection, "badge_issuers", None)  # None on a projection pickled before it had them
    issuer = issuers[col] if issuers else None
    by = f", awarded by {issuer}" if issuer else ""
    cells = projection.cells_of(col)
    if len(cells):
        cell = projection.cell_info[int(cells[0])]
        domain = cell.domain_label.lower()
        if cell.layer_rank == min(c.layer_rank for c in projection.cell_info):
            return f"A first step in {domain}{by}"
        return f"A {cell.layer.replace('_', ' ')} step in {domain}{by}"
    assert projection.badge_themes is not None
    themes = projection.badge_themes.indices[projection.badge_themes.indptr[col]:projection.badge_themes.indptr[col + 1]]
    if len(themes) and projection.theme_names:
        return f"In the {projection.theme_names[int(themes[0])]} theme{by}"
    return f"A badge you have not earned yet{by}"


class Explaining:
    """The explaining half of ``recommend.Recommender`` (a mixin). Reads the attributes ``fit`` sets."""

    signals_: dict[str, Signal]
    projection_: Projection
    ranker_: Any

    def _contributions(self, cols: np.ndarray, features: np.ndarray, base: np.ndarray, n_badges: int,
                       parts: Mapping[str, np.ndarray]) -> list[dict[str, float]]:
        """Per result: ``{signal: drop in score when it is silenced}`` (ranker) plus additive parts.

        ``features`` are the results' own rows (``[len(cols), n_features]``)
        and ``base`` the ranker's scores of them (computed by the candidate
        stage; one more ranker call scores every silenced copy at once);
        ``parts`` are indexed by badge column.
        """
        from colearn.recommender.ranker import RANKER_SIGNALS, silenced

        if not len(cols):
            return []
        # only the (result, signal) pairs whose signal gave the result something are silenced
        # (a drop is read for no other): at L about a tenth fewer rows
        n_signals = len(RANKER_SIGNALS)
        at, sig = np.nonzero(features[:, :n_signals] > 0)
        without = np.zeros((len(cols), n_signals))
        without[at, sig] = self.ranker_.score(silenced(features, at, sig, n_badges, n_signals))
        out = []
        for k, col in enumerate(cols.tolist()):
            drops = {s: float(base[k] - without[k, i]) for i, s in enumerate(RANKER_SIGNALS)
                     if features[k, i] > 0}
            for n, p in parts.items():
                drops[n] = drops.get(n, 0.0) + float(p[col])
            out.append(drops)
        return out
    def _reasons(self, profile: Profile, col: int, drops: Mapping[str, float]) -> tuple[str, ...]:
        """One to ``MAX_REASONS`` sentences for badge column ``col``: the signals with a positive
        contribution in ``drops``, largest first, each worded by its ``explain`` (when none has a
        sentence, the one ``plain_reason`` of the badge). A sentence
        already given is dropped, and so is one stating a fact already stated: a signal may
        say which fact its sentence states (``cites(profile, col)``, e.g. PPR and RP3beta both
        citing how many holders of one held badge hold this one, in 43% of the demo city's
        answers before this rule)."""
        reasons: list[str] = []
        facts: set[Any] = set()
        for n in sorted((n for n in drops if drops[n] > 0), key=lambda n: -drops[n]):
            signal = self.signals_[n]
            r = signal.explain(profile, col)
            cites = getattr(signal, "cites", None)
            fact = cites(profile, col) if cites is not None else None
            if r is None or r in reasons or (fact is not None and fact in facts):
                continue
            reasons.append(r)
            if fact is not None:
                facts.add(fact)
            if len(reasons) == MAX_REASONS:
                break
        return tuple(reasons) or (plain_reason(self.projection_, col),)
