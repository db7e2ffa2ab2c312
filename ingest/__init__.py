"""Readers for each input format: parse -> validate (pydantic) -> rows -> batched graph writes.

A reader never talks to the service. Every reader validates all of its input
before writing anything, writes with one ``UNWIND`` statement per batch, is
idempotent, and on bad input raises ``InvalidInput`` naming the file, the
record and the field.
"""
