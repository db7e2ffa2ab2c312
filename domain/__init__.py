"""The operations that change the city, between the routers (and CLI) and the graph.

``awards``: award, bulk award, accept, decline, revoke, import (with
``completions``: pathway completion, and ``award_csv``: the bulk award CSV's
rows). ``catalogue``: catalogue and pathway writes. Each operation ends
in the same step: its write statement is run as ``graph.feed.recorded(...)``,
so the change is recorded in the graph's change feed in the same statement
(every serving process follows it: ``recommender.follower``).
"""
