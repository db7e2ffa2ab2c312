"""``colearn ingest stackexchange`` through the CLI: its result is titled with the site key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import get_settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB

AI = Path(__file__).resolve().parents[2] / "data" / "stackexchange" / "ai" / "Badges.xml"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty data directory of its own; its embedded store stopped afterwards."""
    path = tmp_path / "data"
    monkeypatch.setenv("COLEARN_DATA_DIR", str(path))
    get_settings.cache_clear()
    yield path
    EmbeddedFalkorDB.for_data_dir(path).stop()
    get_settings.cache_clear()


def test_the_result_is_titled_with_the_site_key_not_the_folder(data_dir: Path, tmp_path: Path) -> None:
    """The tester's ``few3`` folder holding a few rows of the AI dump, ingested as ``--site AI``."""
    lines = AI.read_text(encoding="utf-8").splitlines(keepends=True)
    dump = tmp_path / "few3" / "Badges.xml"
    dump.parent.mkdir()
    dump.write_text("".join(lines[:2 + 200]) + "</badges>\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", "stackexchange", str(dump.parent), "--site", "AI"])
    assert result.exit_code == 0, result.output
    assert "ingested ai" in result.stdout and "few3" not in result.stdout
    assert "Assertion" in result.stdout and "200" in result.stdout
