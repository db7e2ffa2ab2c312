"""Synthetic Cities of Learning: learners who move up the spine's layers within themes.

One package for every generated city, each reading the spine from data
(``ladder.Ladder``, default ``data/spine.yaml``) and seeded so the same seed
gives the same city:

- ``city``: a city of a chosen size (``S``/``M``/``L``) for ``colearn generate``,
  the benchmarks and the evaluation: ``generate_city``; ``output`` writes it in
  the readers' formats (``write_city``) and gives the recommender's rows
  (``evaluation_rows``, ``award_times``) and its skew.
- ``climb``: a small city whose true next step is known (``synthetic_city``,
  ``true_next``), for testing that the recommender finds a structure it was not
  told about; ``write_badges_xml`` writes it as a Stack Exchange dump.
- ``demo``: the demo city Brackenford's learners and awards, made from its
  catalogue (``python -m colearn.ingest.synthetic.demo`` rewrites the committed files).

The three differ in how a learner's journey is drawn (the tests pin each one's
output for its seeds), and share the spine, the layer of a badge
(``Ladder.lowest``/``highest``), the step up (``Ladder.up``) and the CSV writer.
"""

from colearn.ingest.synthetic.city import SIZES, City, CitySize, generate_city
from colearn.ingest.synthetic.ladder import Ladder
from colearn.ingest.synthetic.output import award_times, default_out, evaluation_rows, skew, write_city

__all__ = ["SIZES", "City", "CitySize", "Ladder", "award_times", "default_out", "evaluation_rows", "generate_city",
           "skew", "write_city"]
