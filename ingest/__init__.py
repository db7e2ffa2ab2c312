"""Readers for each input format: parse -> validate (pydantic) -> rows -> batched graph writes.

A reader never talks to the service. Every reader validates all of its input
before writing anything, writes with one ``UNWIND`` statement per batch, is
idempotent, and on bad input raises ``InvalidInput`` naming the file, the
record and the field.

The records the readers validate with are ``colearn.records`` (shared with the
service). ``synthetic`` is not a reader: it generates cities in the readers'
formats (``colearn generate``, the benchmarks, the demo city's learners, tests).
"""
