"""``python -m colearn.cli ...``: the ``colearn`` command (``perf.server`` starts the API this way)."""

from colearn.cli import app

if __name__ == "__main__":  # pragma: no cover
    app()
