"""Import rules between colearn's packages (ARCHITECTURE.md, "Layout").

Arrows point down the layers: cli -> perf -> service -> domain -> (openbadges,
insights, recommender, ingest) -> graph -> the root's shared helpers (config,
errors, ...). Nothing imports a higher layer, and the service never imports a
reader (``colearn.ingest``). import-linter cannot be used here: its graph builder
(grimp) only walks a top-level package's own folder, and colearn maps its
subpackages to top-level folders (pyproject ``package-dir``), so this test reads
every module's imports with ``ast`` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Folder of the repo -> colearn subpackage it installs as (pyproject package-dir).
FOLDERS = {"graph": "graph", "ingest": "ingest", "recommender": "recommender", "service": "service",
           "openbadges": "openbadges", "insights": "insights", "perf": "perf", "domain": "domain",
           "data": "data"}

#: Rank of each layer: a module may import only its own rank or lower. Modules in
#: ``colearn/`` itself are shared helpers (rank 0) except the command line (top).
RANK = {"cli": 6, "perf": 5, "service": 4, "domain": 3, "openbadges": 2, "insights": 2,
        "recommender": 2, "ingest": 2, "graph": 1, "data": 0, "root": 0}

#: Imports from the service into a reader that predate this rule. Issue 18 moved the
#: catalogue's records out of ``ingest/`` (to ``colearn.records``), which emptied it;
#: the test fails on an exception that no longer occurs, so this list only shrinks.
SERVICE_READER_EXCEPTIONS: set[tuple[str, str]] = set()


def _layer_of_file(path: Path) -> str:
    rel = path.relative_to(REPO)
    top = rel.parts[0]
    if top == "colearn":
        return "cli" if rel.parts[1] in ("cli.py", "cli") else "root"
    return FOLDERS[top]


def _layer_of_module(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "colearn":
        return None
    if len(parts) == 1:
        return "root"
    if parts[1] == "cli":
        return "cli"
    return parts[1] if parts[1] in RANK else "root"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _product_files() -> list[Path]:
    files = sorted((REPO / "colearn").rglob("*.py"))
    for folder in FOLDERS:
        if (REPO / folder).is_dir():
            files.extend(sorted((REPO / folder).rglob("*.py")))
    return [f for f in files if ".venv" not in f.parts]


def _edges() -> list[tuple[str, str, str, str]]:
    """(file, importing layer, imported module, imported layer) for every colearn import."""
    out = []
    for path in _product_files():
        src = _layer_of_file(path)
        for name in _imports(path):
            dst = _layer_of_module(name)
            if dst is not None:
                out.append((str(path.relative_to(REPO)), src, name, dst))
    return out


def test_the_rules_see_the_whole_product() -> None:
    edges = _edges()
    layers = {src for _, src, _, _ in edges}
    assert {"cli", "service", "graph", "recommender", "ingest"} <= layers
    assert len(edges) > 100


def test_no_layer_imports_a_higher_one() -> None:
    upward = [f"{file} ({src}) imports {name} ({dst})" for file, src, name, dst in _edges()
              if RANK[dst] > RANK[src]]
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_nothing_below_the_command_line_imports_the_service() -> None:
    bad = [f"{file} imports {name}" for file, src, name, dst in _edges()
           if dst == "service" and src not in ("service", "perf", "cli")]
    assert not bad, "\n".join(bad)


def test_the_service_never_imports_a_reader() -> None:
    found = {(file, name) for file, src, name, dst in _edges() if src == "service" and dst == "ingest"}
    new = found - SERVICE_READER_EXCEPTIONS
    gone = SERVICE_READER_EXCEPTIONS - found
    assert not new, "the service imports a reader:\n" + "\n".join(f"{f} imports {n}" for f, n in sorted(new))
    assert not gone, "remove these from SERVICE_READER_EXCEPTIONS:\n" + "\n".join(map(str, sorted(gone)))


@pytest.mark.parametrize("name, layer", [("colearn.graph.queries", "graph"), ("colearn.cli", "cli"),
                                          ("colearn.errors", "root"), ("numpy", None)])
def test_modules_are_placed_in_their_layer(name: str, layer: str | None) -> None:
    assert _layer_of_module(name) == layer
