"""The recommender: projections of the graph, signals, the blend and its offline evaluation.

Reads the graph only through ``GraphStore`` and ``graph/queries/``; never
imports from ``ingest`` or ``service``.

- ``index``: ``IdIndex`` (graph ids <-> matrix rows).
- ``projections``: ``Projection`` (``learner_badges``, ``badge_cells``, earning order).
- ``signals``: the ``Signal`` contract and ``Profile``; ``item_knn``,
  ``spine_progression`` and ``popularity`` implement it.
- ``recommend``: ``Recommender`` and ``Recommendation``.
- ``evaluation``: metrics, the temporal leave-last-out split, ``evaluate``.
"""

from colearn.recommender.index import IdIndex
from colearn.recommender.projections import Award, Projection, SpineCell
from colearn.recommender.recommend import Recommendation, Recommender

__all__ = ["Award", "IdIndex", "Projection", "Recommendation", "Recommender", "SpineCell"]
