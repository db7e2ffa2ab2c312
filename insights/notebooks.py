"""Running the analysis notebooks (``notebooks/*.ipynb``) top to bottom and keeping
their figures (``colearn notebooks``). Needs the test extra (nbclient, nbformat,
ipykernel)."""

from __future__ import annotations

import base64
from pathlib import Path

from colearn.errors import InvalidInput


def run_notebook(path: Path, out_dir: Path, *, timeout: int = 600) -> list[Path]:
    """Execute the notebook ``path`` in its own folder with the ``python3`` kernel, save the
    executed copy as ``<out_dir>/<name>.ipynb`` and each PNG figure it shows, in order, as
    ``<out_dir>/<stem>-<n>.png`` (``out_dir`` is created).

    Args:
        timeout: seconds a cell may take.

    Returns:
        The PNG files written.

    Raises:
        InvalidInput: the test extra is not installed.
        nbclient.exceptions.CellExecutionError: a cell raised.
    """
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as exc:  # pragma: no cover - the test extra is installed where tests run
        raise InvalidInput("running notebooks needs the test extra: pip install 'colearn[test]'") from exc

    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.resolve().parent)}}).execute()
    nbformat.write(nb, out_dir / path.name)
    pngs = [o["data"]["image/png"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "image/png" in o.get("data", {})]
    written = []
    for n, png in enumerate(pngs, 1):
        written.append(out_dir / f"{path.stem}-{n}.png")
        written[-1].write_bytes(base64.b64decode(png))
    return written
