"""Citywide insights: what is being learned, where, and by whom.

- ``aggregates``: ``Insights``, the aggregates over the graph (awards over time,
  the spine, progression, pathway funnels, supply and demand, unseen talent).
- ``issued``: the canonical table behind ``Insights.issued`` (awards per period and group).
- ``privacy``: small-cell suppression, designed against differencing.
- ``uptake``: an organisation's pathway enrolments (started, completed), small counts hidden.
- ``charts``: the insights as PNG or SVG charts (matplotlib).
"""
