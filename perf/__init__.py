"""Measuring colearn at city scale.

- ``bench``: ``colearn bench`` (speed and memory per city size); ``compare``:
  ``colearn bench --store`` (FalkorDB and Neo4j side by side); ``inproc``:
  "what next" in-process beside reference recommenders; ``feed_bench``:
  ``colearn bench-feed`` (change-to-visible latency across processes);
  ``reload``: the embedded store's restart time.
- ``soak``: ``colearn soak`` (minutes of mixed traffic against a live server).
- ``load`` (the HTTP load generator) and ``server`` (a real ``colearn serve``
  process), which the others share.
"""
