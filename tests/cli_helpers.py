"""A data directory loaded through the ``colearn`` CLI, for module-scoped CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import get_settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB


def cli_data_dir(tmp_path_factory: pytest.TempPathFactory, name: str, *load: str) -> Iterator[Path]:
    """Point ``COLEARN_DATA_DIR`` at a new folder, run ``colearn <load...>`` there, yield
    the folder; afterwards stop its embedded store and restore the environment."""
    path = tmp_path_factory.mktemp(name)
    mp = pytest.MonkeyPatch()
    mp.setenv("COLEARN_DATA_DIR", str(path))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(load))
    assert result.exit_code == 0, result.output
    yield path
    EmbeddedFalkorDB.for_data_dir(path).stop()
    mp.undo()
    get_settings.cache_clear()
