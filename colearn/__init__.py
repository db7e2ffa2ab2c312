"""colearn: a Cities of Learning pathway service.

Open Badges on a learning spine, held as a graph (Neo4j in production, an
embedded FalkorDB by default), with explained "what next?" recommendations.

This folder holds the package root: the command line (``cli``), the settings
(``config``), the one exception root (``errors``) and the small helpers every
layer shares: ``times`` (epoch seconds and their bounds), ``identity`` (the OB
IdentityHash), ``text`` (strict decoding), ``caching`` (the TTL cache) and
``mail`` (messages to learners).

The distribution maps the repository's other top-level folders onto
subpackages of the same name: ``graph/`` is ``colearn.graph``, and so are
``domain/``, ``ingest/``, ``recommender/``, ``openbadges/``, ``insights/``,
``service/``, ``perf/`` and ``data/`` (pyproject's ``package-dir``).
"""

__version__ = "0.1.0"
