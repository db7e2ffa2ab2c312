"""``colearn eval --suite``: every site of a folder, one table, one plot, JSON, --require-wins."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from colearn.cli import app
from colearn.ingest.synthetic.climb import synthetic_city, write_badges_xml

runner = CliRunner()


def test_suite_of_two_sites_writes_one_table_and_plot(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    for seed, name in ((11, "alpha"), (12, "beta")):
        (folder / name).mkdir(parents=True)
        write_badges_xml(synthetic_city(seed=seed, n_learners=220), folder / name / "Badges.xml")
    reports = tmp_path / "reports"
    args = ["eval", "--suite", str(folder), "--no-prior", "--reports", str(reports)]
    result = runner.invoke(app, [*args, "--json", "--require-wins"])
    body = json.loads(result.output)
    # --require-wins exits 1 exactly when a site is lost
    assert result.exit_code == (1 if body["summary"]["losses"] else 0), result.output
    assert set(body["sites"]) == {"alpha", "beta"}
    for site in body["sites"].values():
        models = site["models"]
        assert {"recommender", "random", "popularity", "item_knn", "ppr", "rp3beta", "markov", "content"} == set(models)
        assert {"ndcg@10", "hr@10", "mrr", "coverage@10"} <= set(models["recommender"])
        assert site["n_prior_groups"] > 0  # the other site's events were pooled
        assert site["ranker_params"]["n_models"] == 3  # a bag, each booster with its own pooled sample
    verdicts = body["summary"]["sites"]
    assert {v["win"] for v in verdicts.values()} <= {True, False}
    assert body["summary"]["wins"] + body["summary"]["losses"] == 2
    md = (reports / "eval-suite.md").read_text()
    assert "| alpha |" in md and "| beta |" in md and "95% bootstrap interval" in md
    assert (reports / "eval-suite.png").read_bytes()[:4] == b"\x89PNG"


def test_suite_folder_without_sites_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--suite", str(tmp_path), "--no-prior"])
    assert result.exit_code == 1 and "Badges.xml" in result.output


def test_a_suite_site_without_cases_is_named(tmp_path: Path) -> None:
    """A folder of the real AI dump and a site whose dump has no rows: refused before any replay,
    naming the empty site and its file."""
    import shutil

    from colearn.data import bundled

    (tmp_path / "ai").mkdir()
    shutil.copy(bundled("stackexchange", "ai", "Badges.xml"), tmp_path / "ai" / "Badges.xml")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "Badges.xml").write_text('<?xml version="1.0"?>\n<badges/>\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "--suite", str(tmp_path), "--no-prior", "--reports", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "site 'empty'" in result.output and "(0 rows" in result.output and "replay" not in result.output
