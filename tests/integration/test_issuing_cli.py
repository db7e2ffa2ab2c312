"""``colearn issue``, ``colearn revoke`` and ``colearn verify``, and a hosted OB 2.0
assertion fetched over HTTP from a running ``colearn serve`` (a subprocess)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from colearn.cli import app, bundled
from colearn.config import get_settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB
from colearn.openbadges.schema import ob2_errors
from tests.live import free_port
from tests.serve_helpers import start_serve

runner = CliRunner()
ORG, BADGE = "brackenford-college", "web-foundations"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The demo city loaded through the CLI into a fresh data directory, and
    ``colearn serve`` running on it in a subprocess; yields (data dir, base URL)."""
    path = tmp_path_factory.mktemp("issuing-cli")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mp = pytest.MonkeyPatch()
    mp.setenv("COLEARN_DATA_DIR", str(path))
    mp.setenv("COLEARN_BASE_URL", base)
    get_settings.cache_clear()
    result = runner.invoke(app, ["ingest", "catalogue", str(bundled("demo-city"))])
    assert result.exit_code == 0, result.output
    proc, _ = start_serve(path, port=port, env={"COLEARN_BASE_URL": base})
    try:
        yield path, base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        EmbeddedFalkorDB.for_data_dir(path).stop()
        mp.undo()
        get_settings.cache_clear()


def _issue(*args: str) -> dict:
    result = runner.invoke(app, ["issue", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_issue_is_idempotent_and_checks_the_organisation(served: tuple[Path, str]) -> None:
    first = _issue(BADGE, "--org", ORG, "--email", "ada@example.org", "--key", "cli-1")["awards"][0]
    again = _issue(BADGE, "--org", ORG, "--email", "ada@example.org", "--key", "cli-1")["awards"][0]
    assert first["created"] is True and again["created"] is False and again["id"] == first["id"]
    wrong = runner.invoke(app, ["issue", BADGE, "--org", "brackenford-libraries", "--email", "a@example.org"])
    assert wrong.exit_code == 1 and "another organisation" in wrong.output
    assert runner.invoke(app, ["issue", BADGE, "--email", "a@example.org"]).exit_code == 1
    naive = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--email", "a@example.org",
                                "--issued-on", "2026-01-01T10:00:00"])
    assert naive.exit_code == 1 and "time zone" in naive.output
    dated = _issue(BADGE, "--org", ORG, "--url", "https://people.example/ann", "--issued-on",
                   "2026-01-01T10:00:00Z", "--expires-on", "2027-01-01T10:00:00+00:00")["awards"][0]
    assert dated["created"] is True


def test_issue_to_a_learner_page_awards_that_learner(served: tuple[Path, str], tmp_path: Path) -> None:
    """``--url`` (or a CSV's ``url``) naming a learner's page here is that learner, not a
    learner of its own; a page of no learner is refused, naming the recipient."""
    page = f"{served[1]}/learners/bf-0476"
    assert _issue(BADGE, "--org", ORG, "--url", page)["awards"][0]["learner_id"] == "bf-0476"
    csv = tmp_path / "pages.csv"
    csv.write_text(f"badge_id,url\n{BADGE},{page}/\n", encoding="utf-8")
    assert [a["learner_id"] for a in _issue("--csv", str(csv), "--org", ORG)["awards"]] == ["bf-0476"]
    nobody = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--url", f"{served[1]}/learners/nobody"])
    assert nobody.exit_code == 1 and "error: --url:" in nobody.output, nobody.output  # the option typed
    assert "no learner 'nobody'" in nobody.output


def _claimed_assertion(base: str, token: str) -> str:
    """The assertion a claim link's token awards, as the claim page reads it."""
    r = httpx.post(f"{base}/claims/view", json={"token": token}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["assertion_id"])


def test_issue_from_csv(served: tuple[Path, str], tmp_path: Path) -> None:
    csv = tmp_path / "bulk-awards.csv"
    # another organisation's badge on the first row refuses the file: nothing is awarded, exit 1
    csv.write_text(f"badge_id,email\ncode-club-member,c@example.org\n{BADGE},b@example.org\n{BADGE},e@example.org\n",
                   encoding="utf-8")
    refused = runner.invoke(app, ["issue", "--csv", str(csv), "--org", ORG, "--json"])
    assert refused.exit_code == 1, refused.output
    out = json.loads(refused.stdout)
    assert out["awards"] == [] and out["refused"][0]["record"] == 2
    assert "another organisation" in out["refused"][0]["detail"] and "nothing was awarded" in refused.stderr
    outbox = served[0] / "outbox"
    assert not any("b@example.org" in m.read_text() for m in outbox.glob("*.eml")) if outbox.exists() else True
    # the corrected file lands whole, each notice to its own award's address
    csv.write_text(f"badge_id,email\n{BADGE},b@example.org\n{BADGE},e@example.org\n", encoding="utf-8")
    out = _issue("--csv", str(csv), "--org", ORG)
    assert [a["badge_id"] for a in out["awards"]] == [BADGE, BADGE] and out["refused"] == []
    notices = [m.read_text() for m in outbox.glob("*.eml")]
    assert not any("c@example.org" in m for m in notices)
    for award, email in zip(out["awards"], ("b@example.org", "e@example.org")):
        [notice] = [m for m in notices if f"To: {email}" in m]
        token = notice.replace("=\n", "").replace("=3D", "=").split("/claim#token=")[1].split()[0]
        assert _claimed_assertion(served[1], token) == award["id"]


def test_issue_tells_the_learner_as_the_api_does(served: tuple[Path, str]) -> None:
    """A new award to an email is notified with a claim link; a retry of the same key is not."""
    outbox = served[0] / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    first = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--email", "dee@example.org", "--key", "cli-notice"])
    assert first.exit_code == 0 and "sent 1 award notice" in first.stderr, first.output
    new = set(outbox.glob("*.eml")) - before
    assert len(new) == 1
    text = new.pop().read_text()
    assert "To: dee@example.org" in text and "/claim#token=" in text.replace("=\n", "").replace("3D", "")
    again = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--email", "dee@example.org", "--key", "cli-notice"])
    assert again.exit_code == 0 and "award notice" not in again.stderr
    assert len(set(outbox.glob("*.eml")) - before) == 1


def test_hosted_assertion_over_http_then_verify_and_revoke(served: tuple[Path, str], tmp_path: Path) -> None:
    _, base = served
    aid = _issue(BADGE, "--org", ORG, "--email", "dee@example.org", "--evidence-url", "https://dee.example/site",
                 "--key", "cli-http")["awards"][0]["id"]
    r = httpx.get(f"{base}/ob/v2/assertions/{aid}", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    for field in ("id", "type", "recipient", "badge", "verification", "issuedOn"):
        assert field in doc, field
    assert ob2_errors(doc, "Assertion") == [] and doc["id"] == f"{base}/ob/v2/assertions/{aid}"
    badge = httpx.get(doc["badge"], timeout=10)
    assert badge.status_code == 200 and ob2_errors(badge.json(), "BadgeClass") == []
    issuer = httpx.get(badge.json()["issuer"], timeout=10)
    assert issuer.status_code == 200 and ob2_errors(issuer.json(), "Profile") == []
    assert issuer.json()["email"] == "admissions@brackenford-college.example"
    for url in (badge.json()["image"], issuer.json()["publicKey"], issuer.json()["revocationList"],
                *[a["targetUrl"] for a in badge.json()["alignment"]]):
        assert httpx.get(url, timeout=10).status_code == 200, url
    # a baked image downloaded from the server verifies with the CLI, until revoked
    png = tmp_path / "badge.png"
    png.write_bytes(httpx.get(f"{base}/ob/v3/credentials/{aid}/baked.png", timeout=10).content)
    ok = runner.invoke(app, ["verify", str(png), "--identity", "dee@example.org", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["valid"] is True
    revoked = runner.invoke(app, ["revoke", aid, "--reason", "issued by mistake", "--org", ORG])
    assert revoked.exit_code == 0, revoked.output
    bad = runner.invoke(app, ["verify", str(png), "--json"])
    assert bad.exit_code == 1 and json.loads(bad.output)["failed"] == ["revocation"]
    gone = httpx.get(f"{base}/ob/v2/assertions/{aid}", timeout=10)
    assert gone.status_code == 410 and gone.json()["revocationReason"] == "issued by mistake"
    assert runner.invoke(app, ["verify", str(tmp_path / "missing.json")]).exit_code == 1


def test_issue_from_a_csv_in_another_encoding(served: tuple[Path, str], tmp_path: Path) -> None:
    """``--encoding`` reads a CSV as ``POST .../assertions/csv`` reads one with a
    declared charset; without it, the error says how to give it on the command line."""
    csv = tmp_path / "cp1252.csv"
    csv.write_bytes("email,narrative,badge_id\ncp-cli@example.org,Zoë Café,web-foundations\n".encode("cp1252"))
    plain = runner.invoke(app, ["issue", "--csv", str(csv), "--org", ORG])
    assert plain.exit_code == 1 and "--encoding" in plain.output and "Content-Type" not in plain.output, plain.output
    unknown = runner.invoke(app, ["issue", "--csv", str(csv), "--org", ORG, "--encoding", "no-such-thing"])
    assert unknown.exit_code == 1 and "unknown encoding" in unknown.output and "--encoding" in unknown.output
    out = _issue("--csv", str(csv), "--org", ORG, "--encoding", "windows-1252")
    assert [a["badge_id"] for a in out["awards"]] == [BADGE] and out["refused"] == []
    wrong = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--email", "x@example.org", "--encoding", "cp1252"])
    assert wrong.exit_code == 1 and "--encoding" in wrong.output


def test_issue_makes_no_second_copy_of_a_badge_held_live(served: tuple[Path, str]) -> None:
    first = _issue(BADGE, "--org", ORG, "--email", "held.live@example.org")["awards"][0]
    result = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--email", "Held.Live@example.org"])
    assert result.exit_code == 0, result.output
    assert f"{first['id']}\t{BADGE}\t{first['learner_id']}\texisting" in result.stdout
    assert "already holds badge" in result.stderr and "no second copy" in result.stderr
    again = _issue(BADGE, "--org", ORG, "--learner", first["learner_id"], "--key", "cli-held")["awards"][0]
    assert (again["id"], again["created"]) == (first["id"], False) and "already holds" in again["detail"]


def test_issue_dry_run_says_would_award_and_awards_nothing(served: tuple[Path, str], tmp_path: Path) -> None:
    """``--dry-run`` lists each award it would make as "would award" (``would_create`` in
    JSON, never ``created``), sends no notice, and a real run then makes those awards."""
    outbox = served[0] / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    held = _issue(BADGE, "--org", ORG, "--email", "dry.held@example.org")["awards"][0]
    csv = tmp_path / "dry.csv"
    csv.write_text(f"badge_id,email\n{BADGE},dry.new@example.org\n{BADGE},dry.held@example.org\n", encoding="utf-8")
    dry = runner.invoke(app, ["issue", "--csv", str(csv), "--org", ORG, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    new_line, held_line = dry.stdout.splitlines()
    assert "\twould award\t" in new_line and f"{held['id']}\t{BADGE}\t{held['learner_id']}\texisting" in held_line
    assert "new" not in dry.stdout.split("\t") and "dry run: nothing was awarded; 1 award would be made" in dry.stderr
    assert "no second copy would be awarded" in dry.stderr
    as_json = json.loads(runner.invoke(app, ["issue", "--csv", str(csv), "--org", ORG, "--dry-run", "--json"]).stdout)
    assert as_json["dry_run"] is True and [a["would_create"] for a in as_json["awards"]] == [True, False]
    assert all("created" not in a for a in as_json["awards"])
    # the award it would make exists nowhere: no status, the one it would have apart; the held one as stored
    assert [(a["status"], a.get("would_status")) for a in as_json["awards"]] == [(None, "issued"), ("issued", None)]
    one = json.loads(runner.invoke(app, ["issue", BADGE, "--org", ORG, "--email", "dry.one@example.org",
                                         "--dry-run", "--json"]).stdout)["awards"][0]
    assert one["would_create"] is True
    assert len(set(outbox.glob("*.eml")) - before) == 1  # the held award's notice alone: a dry run sends none
    real = _issue("--csv", str(csv), "--org", ORG)["awards"]
    assert [a["created"] for a in real] == [True, False] and real[0]["id"] == new_line.split("\t")[0]


def test_issue_again_after_a_withdrawal_and_to_a_learner_at_another_address(served: tuple[Path, str],
                                                                            tmp_path: Path) -> None:
    """A key whose award its organisation withdrew answers that award, withdrawn (``existing``,
    saying so), given again alone or in the same CSV, and nothing is refused or awarded;
    ``--learner`` with an ``--email`` that is not that learner's is refused, naming the learner."""
    base = served[1]
    made = runner.invoke(app, ["keys", "create", "--role", "organisation", "--organisation", ORG])
    assert made.exit_code == 0, made.output
    org_key = {"X-API-Key": made.stdout.strip()}
    first = _issue(BADGE, "--org", ORG, "--email", "cli.wd@example.org", "--key", "cli-wd")["awards"][0]
    csv = tmp_path / "cli-wd.csv"
    csv.write_text(f"badge_id,email\n{BADGE},cli.wd2@example.org\n", encoding="utf-8")
    row = _issue("--csv", str(csv), "--org", ORG)["awards"][0]
    for aid in (first["id"], row["id"]):
        assert httpx.delete(f"{base}/assertions/{aid}", headers=org_key, timeout=30).status_code == 204
    again = _issue(BADGE, "--org", ORG, "--email", "cli.wd@example.org", "--key", "cli-wd")["awards"][0]
    assert (again["id"], again["created"], again["status"], again["badge_id"]) == (first["id"], False, "revoked", None)
    assert "withdrew" in again["detail"]
    out = _issue("--csv", str(csv), "--org", ORG)
    assert out["refused"] == [] and [(a["id"], a["created"]) for a in out["awards"]] == [(row["id"], False)]
    text = runner.invoke(app, ["issue", "--csv", str(csv), "--org", ORG])
    assert text.exit_code == 0 and f"{row['id']}\t-\t-\texisting" in text.stdout, text.output
    other = runner.invoke(app, ["issue", BADGE, "--org", ORG, "--learner", "bf-0476",
                                "--email", "someone.else@example.org"])
    assert other.exit_code == 1 and "does not identify learner 'bf-0476'" in other.output, other.output
