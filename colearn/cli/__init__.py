"""The ``colearn`` command line (typer): argument parsing and printing only; the
work is done by the layers below (ARCHITECTURE.md, "Layout").

One module per group of commands:

* ``common``: the root app (``--version``, ``--verbose``), the consoles, the
  store, the error edge (a ``ColearnError`` is printed to stderr, exit status 1)
  and the progress display;
* ``messages``: an error's message as the error edge prints it, a field named as
  the option the user typed (``--origin``, not ``origins``);
* ``ingest``: ``colearn ingest ...`` and ``colearn generate``;
* ``recommender``: ``recommend``, ``eval`` and ``train``;
* ``insights``: ``colearn insights ...`` and ``notebooks``;
* ``issuing``: ``issue``, ``revoke`` and ``verify``;
* ``service``: ``serve`` and ``colearn keys ...``;
* ``perf``: ``soak``, ``bench`` and ``bench-feed``.

The root commands are registered below, in the order ``colearn --help`` lists them.
"""

from __future__ import annotations

from colearn.cli import ingest, insights, issuing, perf, recommender, service
from colearn.cli.common import app
from colearn.data import bundled

__all__ = ["app", "bundled"]

app.command("recommend")(recommender.recommend_cmd)
app.command("eval")(recommender.eval_cmd)
app.command("train")(recommender.train_cmd)
app.command("notebooks")(insights.notebooks_cmd)
app.command("issue")(issuing.issue_cmd)
app.command("revoke")(issuing.revoke_cmd)
app.command("verify")(issuing.verify_cmd)
app.command("generate")(ingest.generate_cmd)
app.command("soak")(perf.soak_cmd)
app.command("serve")(service.serve_cmd)
app.command("bench")(perf.bench_cmd)
app.command("bench-feed")(perf.bench_feed_cmd)
app.add_typer(ingest.ingest_app, name="ingest")
app.add_typer(insights.insights_app, name="insights")
app.add_typer(service.keys_app, name="keys")
