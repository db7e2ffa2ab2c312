"""The operations that change the city, between the routers (and CLI) and the graph,
and the rules about who may do them.

- ``policy``: who may do what to which resource (roles, actions, ownership);
  every route and every operation below asks it.
- ``awards``: award, bulk award, accept, decline, revoke, withdraw, import (with
  ``completions``: pathway completion, and ``award_csv``: the bulk award CSV's rows).
- ``catalogue``: catalogue and pathway writes.

Each operation ends in the same step: its write statement is run as
``graph.feed.recorded(...)``, so the change is recorded in the graph's change
feed in the same statement (every serving process follows it:
``recommender.follower``).
"""
