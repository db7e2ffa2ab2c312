"""Every notebook in notebooks/ runs top to bottom against a fresh embedded store
(a temporary COLEARN_DATA_DIR), each draws at least one figure, and none is
committed with outputs."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _stop_left_over_server(data_dir: Path) -> None:
    """Stop the FalkorDB a failed notebook's kernel left running (its pid is in
    ``falkordb.json``; a notebook that ran to the end closed its store already)."""
    state = data_dir / "falkordb.json"
    if not state.exists():
        return
    pid = json.loads(state.read_text())["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def test_the_three_notebooks_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"city-overview", "recommender-evaluation", "pathway-funnels"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip the outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_draws(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("COLEARN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for var in [v for v in os.environ if v.startswith("NEO4J_")]:
        monkeypatch.delenv(var)
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        _stop_left_over_server(data_dir)
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {})]
    assert figures, f"{path.name} drew no figure"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    print(f"{path.name}: {time.monotonic() - started:.1f} s, {len(figures)} figures")


@pytest.mark.slow
def test_colearn_notebooks_saves_the_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from colearn.cli import app
    from colearn.config import get_settings

    data_dir = tmp_path / "data"
    monkeypatch.setenv("COLEARN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for var in [v for v in os.environ if v.startswith("NEO4J_")]:
        monkeypatch.delenv(var)
    get_settings.cache_clear()
    out = tmp_path / "figures"
    try:
        result = CliRunner().invoke(app, ["notebooks", str(REPO / "notebooks" / "pathway-funnels.ipynb"),
                                          "--out", str(out)])
    finally:
        _stop_left_over_server(data_dir)
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    pngs = sorted(out.glob("pathway-funnels-*.png"))
    assert pngs and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    executed = nbformat.read(out / "pathway-funnels.ipynb", as_version=4)
    assert any(c.outputs for c in executed.cells if c.cell_type == "code")
