"""``colearn eval --suite``: every site of a folder, one table, one plot, JSON, --require-wins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from colearn.ingest.synthetic.climb import synthetic_city, write_badges_xml
from typer.testing import CliRunner

from colearn.cli import app
from tests.stackexchange_builders import archive, small_ai
from tests.stackexchange_builders import put as put_dump

runner = CliRunner()


def test_suite_of_two_sites_writes_one_table_and_plot(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    for seed, name in ((11, "alpha"), (12, "beta")):
        (folder / name).mkdir(parents=True)
        write_badges_xml(synthetic_city(seed=seed, n_learners=220), folder / name / "Badges.xml")
    reports = tmp_path / "reports"
    args = ["eval", "--suite", str(folder), "--no-prior", "--reports", str(reports)]
    result = runner.invoke(app, [*args, "--json", "--require-wins"])
    body = json.loads(result.stdout)
    # --require-wins exits 1 exactly when a site is lost
    assert result.exit_code == (1 if body["summary"]["losses"] else 0), result.output
    assert body["passed_over"] == []
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


# --------------------------------------------------------------------------
# Refused before any work, or written whole: run_suite stood in for by a canned result
# --------------------------------------------------------------------------

def put(path: Path) -> Path:
    """The real AI dump's first 600 rows (learners with 3 badges among them) at ``path``."""
    return put_dump(path, rows=600)


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``run_suite`` (as ``colearn eval --suite`` calls it) answering ``suite_result`` at once: each
    site won (0.7 against 0.6, ppr 0.61), unless named in ``state["lost"]`` (0.5) or given its own mean in
    ``state["ours"]``, on 40 cases unless ``state["cases"]`` says otherwise;
    ``state["during"]`` runs first (a mid-run change)."""
    import colearn.perf.offline_eval as offline_eval

    from tests.recommender_builders import suite_result

    state: dict[str, Any] = {"lost": set(), "cases": {}, "ours": {}, "during": lambda: None, "calls": 0}

    def fake(sites: Any, cells: Any, **kw: Any) -> dict[str, Any]:
        state["calls"] += 1
        state["sites"] = [s.name for s in sites]
        state["during"]()
        ours = {s.name: state["ours"].get(s.name, 0.5 if s.name in state["lost"] else 0.7) for s in sites}
        return suite_result(**{s.name: (ours[s.name], 0.6, state["cases"].get(s.name, 40)) for s in sites})

    monkeypatch.setattr(offline_eval, "run_suite", fake)
    return state


def test_misnamed_and_unreadable_site_folders_refuse_the_suite_before_any_work(tmp_path: Path,
                                                                               canned: dict[str, Any]) -> None:
    """The tester's folder: beta and gamma are read as sites; delta's archive, which no reader opens
    (zstd), refuses the run, one line."""
    suite = tmp_path / "suite"
    put(suite / "good.stackexchange.com" / "Badges.xml")
    put(suite / "beta" / "badges.xml")
    put(suite / "gamma" / "BADGES.XML")
    (suite / "delta").mkdir()
    (suite / "delta" / "delta.tar.zst").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(18))
    reports = tmp_path / "rep"
    result = runner.invoke(app, ["eval", "--suite", str(suite), "--no-prior", "--reports", str(reports), "--json"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "delta/delta.tar.zst (an archive: extract Badges.xml from it into delta)" in result.stderr
    assert ": 1 file that looks like a Stack Exchange dump would not be read" in result.stderr
    assert "Fix it, or move it out of" in result.stderr
    assert "not read" not in result.stderr and canned["calls"] == 0 and not reports.exists()
    (suite / "delta" / "delta.tar.zst").unlink()
    result = runner.invoke(app, ["eval", "--suite", str(suite), "--no-prior", "--reports", str(reports), "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["sites"]) == {"beta", "gamma", "good"}


def test_a_suite_of_a_site_archive_and_a_site_folder_reads_both(tmp_path: Path, canned: dict[str, Any]) -> None:
    """``beer.stackexchange.com.7z`` (the dump as published) beside ``ai/Badges.xml``: two sites. An
    archive without Badges.xml refuses the run first, in one line naming it, before any work."""
    suite = tmp_path / "suite"
    put(suite / "ai" / "Badges.xml")
    archive(suite / "beer.stackexchange.com.7z", {"beer.stackexchange.com/Badges.xml": small_ai(600).encode(),
                                                  "beer.stackexchange.com/Posts.xml": b"<posts/>"}, "7z")
    archive(suite / "cs.stackexchange.com.zip", {"Posts.xml": b"<posts/>"}, "zip")
    reports = tmp_path / "rep"
    args = ["eval", "--suite", str(suite), "--no-prior", "--reports", str(reports), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert (f"{suite / 'cs.stackexchange.com.zip'}: a zip archive that holds no Badges.xml (it holds: Posts.xml)"
            in result.stderr)
    assert canned["calls"] == 0 and not reports.exists()
    (suite / "cs.stackexchange.com.zip").unlink()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["sites"]) == {"ai", "beer"} and canned["sites"] == ["ai", "beer"]


def test_reports_that_is_a_file_is_refused_in_one_line_before_any_work(tmp_path: Path, canned: dict[str, Any],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import colearn.perf.eval_inputs as eval_inputs
    import colearn.perf.offline_eval as offline_eval

    def no_reading(*args: Any, **kw: Any) -> Any:
        raise AssertionError("a dump was read before --reports was checked")

    monkeypatch.setattr(eval_inputs, "read_suite", no_reading)
    monkeypatch.setattr(eval_inputs, "plan_stackexchange", no_reading)
    monkeypatch.setattr(offline_eval, "plan_stackexchange", no_reading)
    dump = put(tmp_path / "suite" / "ai" / "Badges.xml")
    rep_file = tmp_path / "rep_file"
    rep_file.write_text("not a folder")
    for args in (["--suite", str(tmp_path / "suite")], ["--data", str(dump)]):
        result = runner.invoke(app, ["eval", *args, "--no-prior", "--reports", str(rep_file)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert result.stderr == f"error: {rep_file}: --reports must be a folder\n"
    assert rep_file.read_text() == "not a folder" and canned["calls"] == 0


def test_a_report_that_cannot_be_written_leaves_nothing_of_the_run(tmp_path: Path, canned: dict[str, Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The plot's name taken by a folder while the suite runs (``mkdir -p rep/eval-suite.png``), and
    the same for one site: one error naming the plot, no JSON, no report, no temporary file."""
    from colearn.recommender import benchmark

    from tests.recommender_builders import site_result

    put(tmp_path / "suite" / "ai" / "Badges.xml")
    reports = tmp_path / "rep"
    canned["during"] = lambda: (reports / "eval-suite.png").mkdir(parents=True)
    result = runner.invoke(app, ["eval", "--suite", str(tmp_path / "suite"), "--no-prior", "--reports",
                                 str(reports), "--json"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {reports / 'eval-suite.png'}: cannot write the report")
    assert [p.name for p in reports.iterdir()] == ["eval-suite.png"]

    def run(*args: Any, **kw: Any) -> dict[str, Any]:
        (reports / "eval-ai.png").mkdir()
        return {**site_result(), "per_case": []}

    monkeypatch.setattr(benchmark, "run", run)
    result = runner.invoke(app, ["eval", "--data", str(tmp_path / "suite" / "ai"), "--site", "ai", "--no-prior", "--reports",
                                 str(reports), "--json"])
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert result.stderr.startswith(f"error: {reports / 'eval-ai.png'}: cannot write the report")
    assert sorted(p.name for p in reports.iterdir()) == ["eval-ai.png", "eval-suite.png"]


def test_require_wins_names_the_lost_sites_on_stderr_under_json(tmp_path: Path, canned: dict[str, Any]) -> None:
    for name in ("ai", "beta", "gamma"):
        put(tmp_path / "suite" / name / "Badges.xml")
    canned["lost"] = {"beta", "gamma"}
    args = ["eval", "--suite", str(tmp_path / "suite"), "--no-prior", "--reports", str(tmp_path / "r"), "--json"]
    result = runner.invoke(app, [*args, "--require-wins"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["losses"] == 2
    assert result.stderr == ("--require-wins: lost to the best baseline on NDCG@10 on 2 of 3 sites: "
                             "beta (ppr), gamma (ppr)\n")
    canned["lost"] = set()
    result = runner.invoke(app, [*args, "--require-wins"])
    assert result.exit_code == 0 and result.stderr == ""


def test_a_site_with_too_few_cases_is_not_judged_and_require_wins_says_so(tmp_path: Path,
                                                                          canned: dict[str, Any]) -> None:
    """12 cases (under 30): its higher mean is not called a win; the report and table say why,
    and --require-wins exits 1 naming it beside the lost site."""
    for name in ("ai", "tiny", "gamma"):
        put(tmp_path / "suite" / name / "Badges.xml")
    canned["cases"], canned["lost"] = {"tiny": 12}, {"gamma"}
    reports = tmp_path / "r"
    args = ["eval", "--suite", str(tmp_path / "suite"), "--no-prior", "--reports", str(reports)]
    result = runner.invoke(app, [*args, "--json", "--require-wins"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)["summary"]
    assert (summary["wins"], summary["losses"], summary["unjudged"]) == (1, 1, 1)
    assert summary["mean_lift"] == pytest.approx(((0.7 - 0.61) + (0.5 - 0.61)) / 2)  # the judged sites
    assert summary["sites"]["tiny"]["verdict"] == "too few cases" and summary["sites"]["tiny"]["win"] is False
    assert result.stderr.splitlines() == [
        "--require-wins: lost to the best baseline on NDCG@10 on 1 of 3 sites: gamma (ppr)",
        "--require-wins: too few held-out cases to call a win (fewer than 30) on 1 of 3 sites: tiny (12); a "
        "longer history gives more learners with 3 distinct badges"]
    md = (reports / "eval-suite.md").read_text()
    assert "**1 win, 1 loss, 1 site with too few cases to judge**" in md
    assert "| tiny | 12 | 0.700 | ppr | 0.610 | +0.090 | too few cases |" in md
    canned["lost"] = set()
    result = runner.invoke(app, ["eval", "--suite", str(tmp_path / "suite"), "--no-prior", "--reports",
                                 str(tmp_path / "r2"), "--require-wins"])
    assert result.exit_code == 1 and "tiny (12)" in result.stderr and "lost" not in result.stderr
    assert "too few cases" in result.stdout


def test_a_tie_is_neither_won_nor_lost(tmp_path: Path, canned: dict[str, Any]) -> None:
    """Equal means (0.61 against ppr's 0.61 in ``site_result``): a tie, which --require-wins names."""
    for name in ("ai", "even"):
        put(tmp_path / "suite" / name / "Badges.xml")
    canned["ours"] = {"even": 0.61}
    result = runner.invoke(app, ["eval", "--suite", str(tmp_path / "suite"), "--no-prior", "--reports",
                                 str(tmp_path / "r"), "--json", "--require-wins"])
    summary = json.loads(result.stdout)["summary"]
    assert summary["sites"]["even"]["verdict"] == "tie" and (summary["wins"], summary["ties"]) == (1, 1)
    assert result.exit_code == 1
    assert result.stderr == "--require-wins: tied with the best baseline on NDCG@10 on 1 of 2 sites: even (ppr)\n"


def test_one_site_with_too_few_cases_says_so_in_json_and_fails_require_wins(tmp_path: Path) -> None:
    """The first 200 rows of the real AI dump: 26 learners with 3 distinct badges, too few to judge."""
    dump = put_dump(tmp_path / "ai" / "Badges.xml", rows=200)
    args = ["eval", "--data", str(dump), "--site", "ai", "--no-prior", "--reports", str(tmp_path / "r")]
    result = runner.invoke(app, [*args, "--json", "--require-wins"])
    body = json.loads(result.stdout)
    assert body["n_cases"] < 30 and body["lift"]["verdict"] == "too few cases"
    assert body["lift"]["mean"] == (body["models"]["recommender"]["ndcg@10"]["mean"]
                                    - body["models"][body["lift"]["best"]]["ndcg@10"]["mean"])
    assert result.exit_code == 1
    assert result.stderr.startswith("--require-wins: too few held-out cases to call a win (fewer than 30) on 1 of "
                                    f"1 site: ai ({body['n_cases']})")
    result = runner.invoke(app, [*args, "--protocol", "global", "--require-wins"])
    assert result.exit_code == 1 and "--require-wins judges the temporal benchmark" in result.stderr


ONE_BADGE_EACH = ('<?xml version="1.0" encoding="utf-8"?>\n<badges>\n'
                  + "".join(f'  <row Id="{i}" UserId="{i}" Name="Student" Date="2020-01-0{i}T00:00:00.000" Class="3" '
                            'TagBased="False" />\n' for i in range(1, 5)) + "</badges>\n")


@pytest.mark.parametrize("text, counts", [
    ('<?xml version="1.0" encoding="utf-8"?>\n<badges/>\n', "(0 rows, 0 learners, at most 0 distinct badges each)"),
    (ONE_BADGE_EACH, "(4 rows, 4 learners, at most 1 distinct badge each)")])
def test_a_suite_site_without_cases_is_too_few_cases_and_the_others_are_evaluated(
        tmp_path: Path, canned: dict[str, Any], text: str, counts: str) -> None:
    """An empty dump, or one where every user holds one badge, beside a real site: the real one is
    evaluated; the other is in the table, the report, the plot's axis and the JSON as "too few cases"
    with its reason and no numbers, and --require-wins fails naming it; a suite of such sites only,
    and one such site with --data, are refused (nothing to evaluate)."""
    suite = tmp_path / "suite"
    put(suite / "ai" / "Badges.xml")
    put_dump(suite / "empty" / "Badges.xml", text)
    reason = f"no learner holds 3 or more distinct badges {counts}"
    reports = tmp_path / "r"
    args = ["eval", "--suite", str(suite), "--no-prior", "--checkpoints", "1", "--reports", str(reports)]
    result = runner.invoke(app, [*args, "--json", "--require-wins"])
    assert result.exit_code == 1 and canned["sites"] == ["ai"], result.output
    body = json.loads(result.stdout)
    assert set(body["sites"]) == {"ai", "empty"} and "models" not in body["sites"]["empty"]
    assert body["sites"]["empty"]["n_cases"] == 0 and body["sites"]["empty"]["reason"] == reason
    said = body["summary"]["sites"]["empty"]
    assert (said["verdict"], said["win"], said["n_cases"], said["reason"]) == ("too few cases", False, 0, reason)
    assert said["ours"] is None and said["coverage"] is None and said["lift"] is None
    assert (body["summary"]["wins"], body["summary"]["unjudged"]) == (1, 1)
    assert result.stderr == ("--require-wins: too few held-out cases to call a win (fewer than 30) on 1 of 2 sites: "
                             "empty (0); a longer history gives more learners with 3 distinct badges\n")
    md = (reports / "eval-suite.md").read_text()
    assert "| empty | 0 | - | - | - | - | too few cases | - | - |" in md and f"empty: {reason}" in md
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "empty" in result.stdout and "too few cases" in result.stdout and reason in result.stdout
    (suite / "ai" / "Badges.xml").unlink()
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and canned["calls"] == 2
    assert f"site 'empty': {reason}, so there is nothing to evaluate" in result.stderr
    result = runner.invoke(app, ["eval", "--data", str(suite / "empty"), "--site", "empty", "--no-prior",
                                 "--reports", str(reports)])
    assert result.exit_code == 1 and f"site 'empty': {reason}, so there is nothing to evaluate" in result.stderr


@pytest.mark.parametrize("given, taken", [("bogus", None), ("Temporal", "temporal"), ("GLOBAL", "global"),
                                          ("", None), ("temporal ", "temporal")])
def test_a_bad_protocol_is_refused_before_any_work_named_as_the_option(
        tmp_path: Path, canned: dict[str, Any], monkeypatch: pytest.MonkeyPatch, given: str, taken: str | None) -> None:
    """--protocol in any letter case; any other value refused in one line naming --protocol, before
    anything is read or any progress shown, with --data and with --suite."""
    import colearn.perf.offline_eval as offline_eval

    from tests.recommender_builders import site_result

    dump = put(tmp_path / "suite" / "ai" / "Badges.xml")
    asked: list[str] = []

    def evaluate_site(*args: Any, protocol: str, **kw: Any) -> dict[str, Any]:
        asked.append(protocol)
        return {**site_result(), "fallbacks": []}

    monkeypatch.setattr(offline_eval, "evaluate_site", evaluate_site)
    for where in (["--data", str(dump), "--site", "ai"], ["--suite", str(tmp_path / "suite")]):
        result = runner.invoke(app, ["eval", *where, "--no-prior", "--protocol", given, "--reports",
                                     str(tmp_path / "r"), "--json"])
        if taken is None:
            assert result.exit_code == 1 and result.stdout == "", result.output
            assert result.stderr == f"error: --protocol: must be temporal or global, got {given!r}\n"
        else:
            assert result.exit_code == 0, result.output
    assert asked == ([taken] if taken else [])
    if taken is None:
        assert canned["calls"] == 0 and not (tmp_path / "r").exists()


def test_the_global_protocol_says_it_writes_no_report(tmp_path: Path) -> None:
    """--protocol global is a quick check: --help says so, and a run says in one line that it wrote nothing."""
    dump = put_dump(tmp_path / "ai" / "Badges.xml", rows=200)
    reports = tmp_path / "r"
    result = runner.invoke(app, ["eval", "--data", str(dump), "--site", "ai", "--protocol", "global",
                                 "--reports", str(reports)])
    assert result.exit_code == 0, result.output
    assert "--protocol global is a quick check: no report or plot is written" in result.stderr
    assert "report:" not in result.stdout and not reports.exists()
    helped = runner.invoke(app, ["eval", "--help"], env={"COLUMNS": "200"})
    assert "quick check" in helped.stdout and "no report" in helped.stdout


def test_the_progress_shows_no_unknown_total_and_no_colour_off_a_terminal(tmp_path: Path) -> None:
    """stderr not a terminal (here, CliRunner's): one plain line per stage, no ``None`` total, no
    ANSI codes; under --json nothing."""
    dump = put_dump(tmp_path / "ai" / "Badges.xml", rows=200)
    args = ["eval", "--data", str(dump), "--site", "ai", "--no-prior", "--checkpoints", "1",
            "--reports", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "None" not in result.stderr and "\x1b" not in result.stderr and "━" not in result.stderr
    assert result.stderr.splitlines()[0] == "evaluate ai"
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0 and result.stderr == ""
