"""The ``colearn`` command line, end to end on the bundled data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colearn.cli import app

from tests.cli_helpers import cli_data_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory with the demo loaded through the CLI."""
    yield from cli_data_dir(tmp_path_factory, "cli-data", "ingest", "demo")


def test_ingest_demo_reports_counts(data_dir: Path) -> None:
    # a second run is idempotent and reports the same rows
    result = runner.invoke(app, ["ingest", "demo"])
    assert result.exit_code == 0, result.output
    assert "2,713" in result.output and "Badge" in result.output
    # the city only: the Stack Exchange histories are benchmark data, not Brackenford's
    assert "Badges.xml" not in result.output and "6,366" not in result.output


def test_recommend_json(data_dir: Path) -> None:
    result = runner.invoke(app, ["recommend", "bf-0476", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["learner_id"] == "bf-0476"
    assert len(body["items"]) == 3 and all(i["reasons"] for i in body["items"])


def test_recommend_unknown_learner_exits_1(data_dir: Path) -> None:
    result = runner.invoke(app, ["recommend", "no-such-learner"])
    assert result.exit_code == 1
    assert "no-such-learner" in result.output


def test_bad_catalogue_is_refused_with_its_place(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "city.yaml"
    bad.write_text("themes:\n  - id: t1\n    name: T\n    kind: galactic\n")
    result = runner.invoke(app, ["ingest", "catalogue", str(bad)])
    assert result.exit_code == 1
    assert "city.yaml" in result.output and "kind" in result.output


def test_an_organisation_that_defines_badges_without_an_email_is_noted_at_ingest(data_dir: Path,
                                                                              tmp_path: Path) -> None:
    """It is written (the catalogue's email is optional), but it could not award: the ingest says so,
    naming the record, where before the first award's 409 was the first word of it."""
    from tests.catalogue_builders import minimal_catalogue, write_yaml

    catalogue = minimal_catalogue()
    catalogue["organisations"].append({"id": "quiet-club", "name": "Quiet club", "kind": "club"})  # no badges
    city = write_yaml(tmp_path / "city.yaml", catalogue)
    result = runner.invoke(app, ["ingest", "catalogue", str(city)])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note ")]
    at = city.read_text().splitlines().index("- id: library") + 1
    assert notes == [f"note {city}, record organisations[0] (line {at}), field email: organisation 'library' defines "
                     "badges but has no email, so it cannot award them (an Open Badges 2.0 issuer Profile needs "
                     "one): add it to this record, or set it with PATCH /organisations/library"], result.stderr


def test_eval_global_json_beats_popularity() -> None:
    result = runner.invoke(app, ["eval", "--protocol", "global", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["n_cases"] == 1168  # martialarts users with >= 3 distinct badges
    rec, pop = body["models"]["recommender"], body["models"]["popularity"]
    assert rec["ndcg@10"]["low"] > pop["ndcg@10"]["high"]
    assert rec["mrr"]["mean"] > pop["mrr"]["mean"]


def test_eval_an_unseen_site_writes_a_report_and_beats_its_best_baseline(tmp_path: Path) -> None:
    """The benchmark on its own events only (``--no-prior``), on a Badges.xml it has never seen (a
    synthetic site whose learners climb the spine in themes): the report and plot land in the reports folder."""
    from colearn.ingest.synthetic.climb import synthetic_city, write_badges_xml

    xml = write_badges_xml(synthetic_city(seed=5, n_learners=400), tmp_path / "Badges.xml")
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["eval", "--data", str(xml), "--site", "synthcity", "--checkpoints", "3",
                                 "--no-prior", "--reports", str(reports), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    models = body["models"]
    best = max((m for m in models if m != "recommender"), key=lambda m: models[m]["ndcg@10"]["mean"])
    assert models["recommender"]["ndcg@10"]["mean"] > models[best]["ndcg@10"]["mean"]
    assert {"hr@5", "hr@10", "ndcg@10", "mrr", "coverage@10", "diversity@10", "novelty@10"} <= set(
        models["recommender"])
    md = (reports / "eval-synthcity.md").read_text()
    assert "| recommender |" in md and "| markov |" in md and "95% bootstrap interval" in md
    assert (reports / "eval-synthcity.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_one_real_site_pools_the_bundled_suite_but_never_itself(tmp_path: Path) -> None:
    """``colearn eval --data`` on the bundled AI dump copied under another site key: the suite's
    pipeline for one site, its ranker pooled with the nine other bundled sites (not with the
    bundled AI, which is the same history), and it beats AI's best baseline as in the suite."""
    import shutil

    from colearn.data import bundled

    xml = tmp_path / "zz" / "Badges.xml"
    xml.parent.mkdir()
    shutil.copy(bundled("stackexchange", "ai", "Badges.xml"), xml)
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["eval", "--data", str(xml), "--site", "zz", "--reports", str(reports), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["pooled_sites"] == ["3dprinting", "bicycles.meta", "cardano", "cs", "datascience", "engineering",
                                    "martialarts", "music.meta", "onstartups"]
    assert body["n_prior_groups"] > 9 * 1000 and len(body["checkpoints"]) == 2
    models = body["models"]
    best = max((m for m in models if m != "recommender"), key=lambda m: models[m]["ndcg@10"]["mean"])
    assert models["recommender"]["ndcg@10"]["mean"] > models[best]["ndcg@10"]["mean"]
    assert "pooled with" in (reports / "eval-zz.md").read_text()



def test_eval_data_folder_names_the_site_reads_gzip_and_lists_fallback_badges(tmp_path: Path) -> None:
    """``--data`` a folder named as the dump's archive, holding the real AI dump gzipped with one award
    of a badge the mapping does not know: read as site ``ai`` (no ``--site``), and the badge placed
    by the fallback rule is in the JSON and in the report."""
    import gzip

    from colearn.data import bundled

    text = bundled("stackexchange", "ai", "Badges.xml").read_text(encoding="utf-8").replace(
        "</badges>", '  <row Id="900001" UserId="4" Name="Brand New Badge" Date="2020-01-01T00:00:00" Class="2" '
                     'TagBased="False" />\n</badges>')
    folder = tmp_path / "ai.stackexchange.com"
    folder.mkdir()
    (folder / "Badges.xml.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["eval", "--data", str(folder), "--no-prior", "--checkpoints", "1",
                                 "--reports", str(reports), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["site"] == "ai" and body["data"] == str(folder / "Badges.xml.gz")
    assert body["fallbacks"] == [{"name": "Brand New Badge", "badge_id": "se-ai-brand-new-badge", "tier": "silver",
                                  "cell": "skills.participation"}]
    md = (reports / "eval-ai.md").read_text()
    assert "## Badges placed by the fallback rule" in md and "| ai | Brand New Badge | silver |" in md
    assert not (reports / "eval-martialarts.md").exists()


def test_eval_data_in_a_folder_that_names_no_site_asks_for_site(tmp_path: Path) -> None:
    import shutil

    from colearn.data import bundled

    xml = tmp_path / "My Dumps" / "Badges.xml"
    xml.parent.mkdir()
    shutil.copy(bundled("stackexchange", "ai", "Badges.xml"), xml)
    result = runner.invoke(app, ["eval", "--data", str(xml), "--no-prior", "--reports", str(tmp_path / "r")])
    assert result.exit_code == 1 and "--site" in result.output and "My Dumps" in result.output
    assert not (tmp_path / "r").exists()


def test_eval_a_site_without_cases_names_the_site_file_and_rows(tmp_path: Path) -> None:
    xml = tmp_path / "ai" / "Badges.xml"
    xml.parent.mkdir()
    xml.write_text('<?xml version="1.0" encoding="utf-8"?>\n<badges/>\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "--data", str(xml), "--no-prior", "--reports", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "site 'ai'" in result.output and str(xml) in result.output.replace("\n", "") and "(0 rows" in result.output

def test_keys_lifecycle(data_dir: Path) -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "partner", "--origin", "https://p.example",
                                  "--name", "partner site"])
    assert created.exit_code == 0, created.output
    secret = [line for line in created.output.splitlines() if line.startswith("col_")][0]
    key_id = secret.split("_")[1]
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).output)
    mine = [k for k in listed if k["id"] == key_id][0]
    assert mine["role"] == "partner" and mine["origins"] == ["https://p.example"]
    assert secret.split("_", 2)[2] not in json.dumps(listed)
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).output)
    assert [k for k in listed if k["id"] == key_id][0]["revoked_on"] is not None
    bad = runner.invoke(app, ["keys", "create", "--role", "organisation", "--organisation", "nowhere"])
    assert bad.exit_code == 1 and "nowhere" in bad.output


def test_learner_token_reads_own_data(data_dir: Path) -> None:
    from colearn.service.auth import principal_for_token, token_secret

    result = runner.invoke(app, ["keys", "learner-token", "bf-0476", "--ttl", "60"])
    assert result.exit_code == 0, result.output
    principal = principal_for_token(token_secret(data_dir), result.output.strip())
    assert principal is not None and principal.learner_id == "bf-0476"
    unknown = runner.invoke(app, ["keys", "learner-token", "nobody-at-all"])
    assert unknown.exit_code == 1 and "nobody-at-all" in unknown.output and "does not exist" in unknown.output


FIELD_REPORTS = Path(__file__).resolve().parents[1] / "data" / "field-reports"


def test_ingest_openbadges_exits_1_when_files_are_refused(data_dir: Path) -> None:
    bad, good = FIELD_REPORTS / "r01-assertion-datauri-texthtml.json", FIELD_REPORTS / "r06-md5-upper.json"
    result = runner.invoke(app, ["ingest", "openbadges", str(bad)])
    assert result.exit_code == 1 and "badge.image" in result.output
    # strict by default: the good file is not written either
    result = runner.invoke(app, ["ingest", "openbadges", str(good), str(bad)])
    assert result.exit_code == 1 and "nothing was written" in result.output
    result = runner.invoke(app, ["ingest", "openbadges", "--no-strict", str(good), str(bad)])
    assert result.exit_code == 1 and "1 of 2" in result.output
    assert runner.invoke(app, ["ingest", "openbadges", str(good)]).exit_code == 0


@pytest.mark.parametrize(("args", "option", "internal"), [
    (["keys", "create", "--role", "partner", "--origin", "not-an-origin"], "--origin", "origins"),
    (["keys", "create", "--role", "organisation"], "--organisation", "organisation_id"),
    (["insights", "issued", "--from", "31/01/2025"], "--from", "field 'from'"),
    (["generate", "--size", "Q"], "--size", "field 'size'"),
    (["issue", "web-foundations", "--org", "brackenford-college", "--url", "ftp://x.example", "--dry-run"],
     "--url", "recipient"),
    (["issue", "web-foundations", "--org", "brackenford-college", "--email", "a@example.org", "--expires-on",
      "2000-01-01T00:00:00Z", "--dry-run"], "--expires-on", "_on"),
    (["issue", "--org", "brackenford-college"], "badge_id:", "field 'badge_id'"),  # an argument, as --help names it
])
def test_errors_name_the_option_typed(data_dir: Path, args: list[str], option: str, internal: str) -> None:
    """An error about a value an option gave names that option, as typed, never the field the
    layers below call it (``origins``, ``recipient.identity``, ``expires_on``), in every command."""
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert error.startswith(f"error: {option}") and internal not in result.output, result.output


def test_a_piped_table_is_neither_cut_nor_folded(data_dir: Path) -> None:
    """Piped (not a terminal), an answer's table is as wide as its cells: a long badge name
    stays whole on one line where rich would cut the table at 80 columns; COLUMNS, when
    set, still sets the width."""
    from colearn.config import get_settings
    from colearn.graph.store import open_store

    badge_id = json.loads(runner.invoke(app, ["recommend", "bf-0476", "--limit", "1", "--json"]).output)[
        "items"][0]["badge_id"]
    long_name = "Community Digital Storytelling and Podcast Production Leadership Award (Advanced, Level 3)"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["COLEARN_DATA_DIR"] = str(data_dir)

    def recommend(**extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "colearn.cli", "recommend", "bf-0476", "--limit", "3"],
                              env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    store = open_store(get_settings())
    before = store.read("MATCH (b:Badge {id: $id}) RETURN b.name AS name", {"id": badge_id})[0]["name"]
    store.write("MATCH (b:Badge {id: $id}) SET b.name = $name", {"id": badge_id, "name": long_name})
    try:
        piped, narrow = recommend(), recommend(COLUMNS="60")
    finally:
        store.write("MATCH (b:Badge {id: $id}) SET b.name = $name", {"id": badge_id, "name": before})
        store.close()
    rows = [line for line in piped.splitlines() if long_name in line]
    assert rows and "learners" in rows[0] and "\u2026" not in piped, piped  # the whole name, beside its reason
    assert max(len(line) for line in narrow.splitlines()) <= 60 and long_name not in narrow
