"""Readers for each input format: parse -> validate (pydantic) -> rows -> batched graph writes.

- ``spine``: the learning spine file (layers x domains) and the destinations.
- ``catalogue``: a city catalogue (themes, places, organisations, badges,
  opportunities, pathways) in YAML.
- ``awards``: a city's learners and their awards (``learners.csv``, ``award_history.csv``).
- ``openbadges``: Open Badges 2.0 and 3.0 JSON documents.
- ``stackexchange``: a Stack Exchange data dump's ``Badges.xml`` (benchmark histories).
- ``synthetic``: a synthetic city of a chosen size, from a seed.
- ``common``: what they share: batching, progress, reports, error translation.

A reader never talks to the service. Every reader validates all of its input
before writing anything, writes with one ``UNWIND`` statement per batch, is
idempotent, and on bad input raises ``InvalidInput`` naming the file, the
record and the field.

The records the readers validate with are ``colearn.records`` (shared with the
service). ``synthetic`` is not a reader: it generates cities in the readers'
formats (``colearn generate``, the benchmarks, the demo city's learners, tests).
"""
