"""colearn: a Cities of Learning pathway service.

Open Badges on a learning spine, held as a graph (Neo4j in production, an
embedded FalkorDB by default), with explained "what next?" recommendations.

The distribution maps the repository's top-level folders onto subpackages:
``graph/`` is ``colearn.graph``, ``ingest/`` is ``colearn.ingest``,
``recommender/`` is ``colearn.recommender``, ``service/`` is
``colearn.service`` and ``data/`` is ``colearn.data``.
"""

__version__ = "0.1.0"
