"""``colearn insights ...`` (issued, pathways, spine, progression, supply-demand,
unseen-talent) and ``colearn notebooks``: citywide insights with small cells
hidden (``insights.aggregates``), as JSON, CSV, tables or charts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from colearn.cli.common import JsonOpt, OneLineHelpGroup, Steps, err, out, run, store
from colearn.config import get_settings
from colearn.errors import InvalidInput

insights_app = typer.Typer(help="Citywide insights, small cells hidden (JSON, tables or charts).",
                           no_args_is_help=True, cls=OneLineHelpGroup)

ChartOpt = Annotated[Optional[Path], typer.Option("--chart", help="Also write a chart: a .png or .svg file.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print the main table as CSV (names beside ids).")]


def _check_chart(chart: Path, formats: Any) -> None:
    """Refuse a ``--chart`` path that names no chart format or no existing folder.

    Raises:
        InvalidInput: naming ``--chart``.
    """
    kind = chart.suffix.lstrip(".").lower()
    if kind not in formats:
        raise InvalidInput(f"a chart is a {' or '.join('.' + f for f in formats)} file, not '{chart.name}'",
                           field="--chart")
    if not chart.parent.is_dir():
        raise InvalidInput(f"folder '{chart.parent}' does not exist (writing {chart})", field="--chart")


def _insight(ask: Callable[[Any], dict[str, Any]], as_json: bool, chart: Optional[Path],
             as_csv: bool = False) -> None:
    """Run one insight on the configured store; print it as JSON, CSV or a table; write its chart."""
    from colearn.insights.aggregates import Insights
    from colearn.insights.tables import flatten, to_csv
    from colearn.insights.charts import FORMATS, render

    def body() -> None:
        if chart is not None:  # before the store is read: a chart that cannot be written is refused first
            _check_chart(chart, FORMATS)
        settings = get_settings()
        with store() as s:
            insights = Insights(s, min_learners=settings.insights_min_learners)
            answer = ask(insights)
            names = insights.names()
        if chart is not None:
            try:
                chart.write_bytes(render(answer, chart.suffix.lstrip(".").lower()))
            except OSError as exc:
                raise InvalidInput(f"cannot write {chart}: {exc.strerror or exc}", field="--chart") from exc
            err.print(f"chart written to {chart}")
        if as_csv:
            typer.echo(to_csv(answer, names), nl=False)
            return
        if as_json:
            out.print_json(json.dumps(answer))
            return
        rows = flatten(answer)
        table = Table(title=f"{answer['insight']} {json.dumps(answer['params'])}", caption=answer["privacy"]["note"])
        for col in (rows[0] if rows else {}):
            table.add_column(col)
        for r in rows:
            table.add_row(*["" if v is None else str(v) for v in r.values()])
        out.print(table)

    run(body)


@insights_app.command("issued")
def insights_issued_cmd(
    by: Annotated[str, typer.Option(help="theme, theme_kind, destination, cell, place or organisation.")] = "theme",
    interval: Annotated[str, typer.Option(help="week or month.")] = "month",
    start: Annotated[Optional[str], typer.Option("--from", help="First day shown, YYYY-MM-DD.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last day shown, YYYY-MM-DD.")] = None,
    group: Annotated[Optional[str], typer.Option(help="Show only this group.")] = None,
    as_json: JsonOpt = False, chart: ChartOpt = None, as_csv: CsvOpt = False,
) -> None:
    """Accepted badges per week or month, by a dimension (the period not over yet is marked partial)."""
    from colearn.insights.periods import parse_days

    def ask(i: Any) -> dict[str, Any]:
        first, last = parse_days(start, end, bounded=True)  # both bad days named at once, as the API does
        return i.issued(by, interval, start=first, end=last, group=group)

    _insight(ask, as_json, chart, as_csv)


@insights_app.command("pathways")
def insights_pathways_cmd(
    pathway: Annotated[Optional[str], typer.Option(help="One recommended pathway.")] = None,
    as_json: JsonOpt = False, chart: ChartOpt = None, as_csv: CsvOpt = False,
) -> None:
    """Recommended pathway funnels: learners who met step 1, 2, ... and completed."""
    _insight(lambda i: i.pathways(pathway=pathway), as_json, chart, as_csv)


def _plain_insight(name: str, method: str, doc: str) -> None:
    """Register ``colearn insights <name>``: ``Insights.<method>()`` with --json and --chart."""

    def command(as_json: JsonOpt = False, chart: ChartOpt = None, as_csv: CsvOpt = False) -> None:
        _insight(lambda i: getattr(i, method)(), as_json, chart, as_csv)

    command.__doc__ = doc
    insights_app.command(name)(command)


for _name, _method, _doc in (
        ("spine", "spine", "Learners and awards per spine cell (a heat map)."),
        ("progression", "progression", "Learners who moved up a layer within a domain, and the median days it took."),
        ("supply-demand", "supply_demand", "Opportunities per theme and district against learners' stated interests."),
        ("unseen-talent", "unseen_talent", "Learners stuck at engagement and participation, by district and theme, "
                                           "with what would move them up.")):
    _plain_insight(_name, _method, _doc)


def notebooks_cmd(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Notebooks to run; default notebooks/*.ipynb.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the executed notebooks and their figures go.")]
        = Path("reports/notebooks"),
    timeout: Annotated[int, typer.Option(min=10, help="Seconds a cell may take.")] = 600,
) -> None:
    """Run the analysis notebooks top to bottom (against the store under COLEARN_DATA_DIR)
    and save each executed notebook, with its figures, and every figure as a PNG
    (<out>/<notebook>.ipynb, <out>/<notebook>-<n>.png). Needs the test extra
    (nbclient, nbformat, ipykernel)."""
    from colearn.insights.notebooks import run_notebook

    def body() -> None:
        todo = paths or sorted(Path("notebooks").glob("*.ipynb"))
        if not todo:
            raise InvalidInput("no notebooks given and none in ./notebooks")
        with Steps() as step:
            for path in todo:
                step(f"running {path.name}")
                pngs = run_notebook(path, out_dir, timeout=timeout)
                out.print(f"{path.name}: {len(pngs)} figure(s) -> {out_dir}/{path.stem}-*.png")

    run(body)
