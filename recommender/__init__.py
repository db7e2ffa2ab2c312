"""The recommender: projections of the graph, signals, the learned blend, and its offline evaluation.

Reads the graph only through ``GraphStore`` and ``graph/queries/``; never
imports from ``ingest`` or ``service``.

- Data: ``awards`` (``Award``: one award, its time and order), ``index``
  (``IdIndex``: graph ids <-> matrix rows), ``projections``
  (``Projection``: ``learner_badges``, ``badge_cells``, earning order), ``counts``
  (a count matrix that takes small updates), ``rebuild`` (the projection read in
  a child process).
- Signals (the ``Signal`` contract and ``Profile`` are in ``signals``):
  ``item_knn``, ``walks`` (personalised PageRank, RP3beta), ``transitions``,
  ``sequence``, ``spine_progression``, ``context`` (theme and destination fit,
  stage, trending), ``text`` (similarity to stated interests), ``popularity``.
- Answers: ``recommend`` (``Recommender``, ``Recommendation``: signals blended by
  ``ranker``, a LambdaRank model, each result with its reasons), ``opportunities``
  (where and when a badge can be earned), ``pathways`` (interest pathways, and
  recommended ones scored), ``completions`` (when a pathway's completion badge is
  offered, and its reason).
- Keeping current: ``follower`` (applies the graph's change feed) and
  ``embedding_queue`` (text vectors made off the request path).
- Evaluation: ``evaluation`` (metrics, the temporal leave-last-out split),
  ``benchmark`` (against every baseline), ``report`` (tables and plots),
  ``synthetic`` (a city whose true next step is known).
"""

from colearn.recommender.index import IdIndex
from colearn.recommender.awards import Award
from colearn.recommender.projections import Projection, SpineCell
from colearn.recommender.recommend import Recommendation, Recommender

__all__ = ["Award", "IdIndex", "Projection", "Recommendation", "Recommender", "SpineCell"]
