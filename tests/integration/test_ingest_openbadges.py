"""Open Badges 2.0 / 3.0 documents -> graph, over every 1EdTech example in tests/data/openbadges.

The examples are verbatim from the OB specification repository (see
tests/data/openbadges/README.md). Their file names say what they are:
``malformed`` (not valid JSON), ``fragment`` (a partial object), or the type
of a complete object.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore
from colearn.ingest.openbadges import (
    BatchRefused,
    assertion_id,
    badge_id,
    ingest_openbadges,
    organisation_id,
    parse_openbadges_document,
)

# FalkorDB only: the readers' checks; every statement they write runs on Neo4j in the contract suite.
pytestmark = pytest.mark.falkordb_only

OB_DATA = Path(__file__).resolve().parents[1] / "data" / "openbadges"
FILES = sorted((OB_DATA / "ob2").glob("*.json")) + sorted((OB_DATA / "ob3").glob("*.json"))
SKIPPED = ("CryptographicKey", "RevocationList", "Endorsement")
LABELS = ("Organisation", "Badge", "Learner", "Assertion")

#: What each complete example must leave in a fresh graph (nodes per label),
#: with the assertion's times (epoch seconds) where there is one.
EXPECTED: dict[str, dict[str, Any]] = {
    # Badge known by URL only -> a placeholder Badge; no issuer is known.
    "example_00_Assertion.json": {"nodes": {"Organisation": 0, "Badge": 1, "Learner": 1, "Assertion": 1},
                                  "issued_on": 1483228799, "expires_on": 1498867199, "stub_badge": True},
    "example_02_Issuer.json": {"nodes": {"Organisation": 1, "Badge": 0, "Learner": 0, "Assertion": 0}},
    "ob3_achievementAlignmentCase.json": {"nodes": {"Organisation": 1, "Badge": 1, "Learner": 1, "Assertion": 1},
                                          "issued_on": 1262304000, "expires_on": None},
    "ob3_basicOpenBadgeCredential.json": {"nodes": {"Organisation": 1, "Badge": 1, "Learner": 1, "Assertion": 1},
                                          "issued_on": 1262304000, "expires_on": None},
    # The achievement's creator is the issuer.
    "ob3_fullOpenBadge.json": {"nodes": {"Organisation": 1, "Badge": 1, "Learner": 1, "Assertion": 1},
                               "issued_on": 1262304000, "expires_on": 1893456000},
    # The achievement's creator (an industry group) is not the issuer (a university).
    "ob3_skillAssertionCase.json": {"nodes": {"Organisation": 2, "Badge": 1, "Learner": 1, "Assertion": 1},
                                    "issued_on": 1656633600, "expires_on": None},
}


#: The spec's SignedBadge example: the JSON payload of a signed assertion, which is
#: verified by its JWS (OB 2.0 "Signed Verification"), so the bare JSON carries no
#: proof; ``colearn verify`` and an import refuse it, and so does ingest.
SIGNED_PAYLOAD = "example_05_Assertion.json"


def kind_of(path: Path) -> str:
    if path.name == SIGNED_PAYLOAD:
        return "signed payload"
    if "malformed" in path.name:
        return "malformed"
    if "fragment" in path.name:
        return "fragment"
    if any(t in path.name for t in SKIPPED):
        return "skipped"
    return "complete"


def counts(store: GraphStore) -> dict[str, int]:
    return {lab: store.read(f"MATCH (n:{lab}) RETURN count(n) AS n")[0]["n"] for lab in LABELS}


def total_nodes(store: GraphStore) -> int:
    """The city's nodes (the change feed's own nodes record writes; they are not data)."""
    return store.read("MATCH (n) WHERE NOT n:FeedEntry AND NOT n:FeedCounter RETURN count(n) AS n")[0]["n"]


def shape(store: GraphStore) -> dict[str, int]:
    out = {f"node:{r['label']}": r["n"] for r in store.read(
        "MATCH (n) WHERE NOT n:FeedEntry AND NOT n:FeedCounter UNWIND labels(n) AS label "
        "RETURN label, count(n) AS n")}
    out.update({f"rel:{r['t']}": r["n"] for r in store.read("MATCH ()-[e]->() RETURN type(e) AS t, count(e) AS n")})
    return out


def test_every_example_is_classified() -> None:
    assert len(FILES) == 29
    kinds = [kind_of(p) for p in FILES]
    assert kinds.count("malformed") == 7 and kinds.count("fragment") == 10
    assert kinds.count("skipped") == 5 and kinds.count("complete") == 6 and kinds.count("signed payload") == 1
    assert {p.name for p in FILES if kind_of(p) == "complete"} == set(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_example(store: GraphStore, path: Path) -> None:
    kind = kind_of(path)
    if kind == "malformed":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            line, col = exc.lineno, exc.colno
        else:  # pragma: no cover - the data says otherwise
            pytest.fail(f"{path.name} is valid JSON")
        with pytest.raises(InvalidInput) as err:
            parse_openbadges_document(path)
        assert err.value.file == str(path) and err.value.record == line
        assert f"line {line}, column {col}" in str(err.value) and "not valid JSON" in str(err.value)
        with pytest.raises(BatchRefused) as batch:
            ingest_openbadges(store, [path])
        [(file, reason)] = batch.value.refused
        assert file == str(path) and f"line {line}, column {col}" in reason
        assert str(path) in str(batch.value)
        assert total_nodes(store) == 0

    elif kind == "fragment":
        with pytest.raises(InvalidInput) as err:
            parse_openbadges_document(path)
        assert err.value.file == str(path) and err.value.field == "type"
        assert "incomplete" in str(err.value) and "missing required field" in str(err.value)
        assert "'type'" in str(err.value)
        report = ingest_openbadges(store, [path], strict=False)
        [(file, reason)] = report.refused
        assert file == str(path) and "'type'" in reason
        assert total_nodes(store) == 0

    elif kind == "signed payload":
        assert parse_openbadges_document(path).assertions  # a well-formed award ...
        with pytest.raises(BatchRefused) as batch:  # ... that does not verify as it stands
            ingest_openbadges(store, [path])
        [(file, reason)] = batch.value.refused
        assert file == str(path) and "does not verify" in reason and "SignedBadge" in reason and "JWS" in reason
        assert total_nodes(store) == 0

    elif kind == "skipped":
        report = ingest_openbadges(store, [path])
        [(file, reason)] = report.skipped
        declared = json.loads(path.read_text(encoding="utf-8"))["type"]
        assert file == str(path) and declared in reason and "not ingested" in reason
        assert report.refused == [] and report.counts == {}
        assert total_nodes(store) == 0

    else:
        want = EXPECTED[path.name]
        report = ingest_openbadges(store, [path])
        assert report.refused == [] and report.skipped == []
        assert counts(store) == want["nodes"]
        doc = json.loads(path.read_text(encoding="utf-8"))
        if want["nodes"]["Assertion"]:
            [row] = store.read("MATCH (a:Assertion {id: $id})-[:OF]->(b:Badge) MATCH (a)-[:TO]->(l:Learner) "
                               "RETURN a.issued_on AS issued_on, a.expires_on AS expires_on, a.status AS status, "
                               "a.source_url AS url, b.stub AS stub, l.identity_hash AS identity",
                               {"id": assertion_id(doc["id"])})
            assert (row["issued_on"], row["expires_on"]) == (want["issued_on"], want["expires_on"])
            assert row["status"] == "accepted" and row["url"] == doc["id"]
            assert row["stub"] is want.get("stub_badge", False)
            assert row["identity"].startswith("sha256$")
        if want.get("stub_badge"):
            assert report.stubs == [("Badge", doc["badge"])]
        if doc.get("type") == "Issuer":
            [org] = store.read("MATCH (o:Organisation {id: $id}) RETURN o.name AS name, o.url AS url, o.stub AS stub",
                               {"id": organisation_id(doc["id"])})
            assert org == {"name": doc["name"], "url": doc["url"], "stub": False}


def test_ob3_credentials_link_issuer_badge_and_learner(store: GraphStore) -> None:
    skill = OB_DATA / "ob3" / "ob3_skillAssertionCase.json"
    ingest_openbadges(store, [skill])
    doc = json.loads(skill.read_text(encoding="utf-8"))
    ach = doc["credentialSubject"]["achievement"]
    rows = store.read(
        "MATCH (i:Organisation)-[:ISSUED]->(a:Assertion)-[:OF]->(b:Badge)<-[:DEFINES]-(c:Organisation) "
        "MATCH (a)-[:TO]->(l:Learner) "
        "RETURN i.name AS issuer, c.name AS creator, b.id AS badge, b.name AS name, "
        "b.alignment_names AS alignments, count(a) AS n")
    assert rows == [{"issuer": doc["issuer"]["name"], "creator": ach["creator"]["name"],
                     "badge": badge_id(ach["id"]), "name": ach["name"],
                     "alignments": [ach["alignment"][0]["targetName"]], "n": 1}]


def test_no_plaintext_recipient_is_stored(store: GraphStore, tmp_path: Path) -> None:
    full = OB_DATA / "ob3" / "ob3_fullOpenBadge.json"  # carries plaintext emails in identifier
    plain = json.loads((OB_DATA / "ob2" / "example_00_Assertion.json").read_text(encoding="utf-8"))
    plain["id"] = "https://example.org/plain-assertion.json"
    plain["recipient"] = {"type": "email", "hashed": False, "identity": "beth@example.org", "salt": "deadsea"}
    p = tmp_path / "plain.json"
    p.write_text(json.dumps(plain), encoding="utf-8")
    ingest_openbadges(store, [full, p])
    everything = json.dumps(store.read("MATCH (n) RETURN n"))
    for email in ("student@1edtech.edu", "somebody@gmail.com", "beth@example.org"):
        assert email not in everything
    assert "did:example:ebfeb1f712ebc6f1c276e12ec21" not in everything


def test_plaintext_and_hashed_awards_of_one_person_are_one_learner(store: GraphStore, tmp_path: Path) -> None:
    from colearn.ingest.openbadges import hash_identity

    base = json.loads((OB_DATA / "ob2" / "example_00_Assertion.json").read_text(encoding="utf-8"))
    a = dict(base, id="https://example.org/a1.json",
             recipient={"type": "email", "hashed": False, "identity": "beth@example.org", "salt": "deadsea"})
    b = dict(base, id="https://example.org/a2.json",
             recipient={"type": "email", "hashed": True, "salt": "deadsea",
                        "identity": hash_identity("beth@example.org", "deadsea")})
    paths = []
    for i, d in enumerate((a, b)):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(d), encoding="utf-8")
    ingest_openbadges(store, paths)
    rows = store.read("MATCH (l:Learner)<-[:TO]-(a:Assertion) RETURN l.id AS learner, count(a) AS awards")
    assert len(rows) == 1 and rows[0]["awards"] == 2


def test_a_mixed_batch_in_strict_mode_writes_nothing(store: GraphStore) -> None:
    with pytest.raises(BatchRefused) as err:
        ingest_openbadges(store, FILES)
    refused = dict(err.value.refused)
    bad = {str(p) for p in FILES if kind_of(p) in ("malformed", "fragment", "signed payload")}
    assert bad <= set(refused)
    # Two examples publish different credentials under one id: the later one is refused.
    assert str(OB_DATA / "ob3" / "ob3_skillAssertionCase.json") in refused
    assert len(refused) == len(bad) + 1
    assert "nothing was written" in str(err.value)
    assert total_nodes(store) == 0


def test_a_mixed_batch_not_strict_ingests_the_good_files(store: GraphStore) -> None:
    report = ingest_openbadges(store, FILES, strict=False)
    assert len(report.refused) == 19 and len(report.skipped) == 5
    # Issuer + 3 OB 3.0 issuers; the robotics badge placeholder + 3 achievements;
    # one OB 2.0 award (the signed payload is refused), three OB 3.0 ones sharing a recipient.
    assert counts(store) == {"Organisation": 4, "Badge": 4, "Learner": 2, "Assertion": 4}
    assert report.stubs == [("Badge", "https://example.org/robotics-badge.json")]


def test_ingest_is_idempotent(store: GraphStore) -> None:
    ingest_openbadges(store, FILES, strict=False)
    before = shape(store)
    again = ingest_openbadges(store, FILES, strict=False)
    assert shape(store) == before
    assert again.stubs == []  # the placeholder exists now


def test_an_assertion_id_reused_for_another_award_is_refused(store: GraphStore) -> None:
    full = OB_DATA / "ob3" / "ob3_fullOpenBadge.json"
    skill = OB_DATA / "ob3" / "ob3_skillAssertionCase.json"
    ingest_openbadges(store, [full])
    with pytest.raises(BatchRefused) as err:
        ingest_openbadges(store, [skill])
    [(file, reason)] = err.value.refused
    assert file == str(skill) and "already in the graph" in reason


def test_a_placeholder_is_replaced_when_the_real_objects_arrive(store: GraphStore, tmp_path: Path) -> None:
    award = OB_DATA / "ob2" / "example_00_Assertion.json"
    issuer = OB_DATA / "ob2" / "example_02_Issuer.json"
    report = ingest_openbadges(store, [award])
    assert report.stubs == [("Badge", "https://example.org/robotics-badge.json")]
    assert store.read("MATCH (o:Organisation)-[:ISSUED]->(a:Assertion) RETURN count(a) AS n") == [{"n": 0}]

    # The BadgeClass of example_01 (malformed as published), written as valid JSON,
    # plus an alignment on the city's spine.
    badge_class = {
        "@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
        "id": "https://example.org/robotics-badge.json", "name": "Awesome Robotics Badge",
        "description": "For doing awesome things with robots that people think is pretty great.",
        "image": "https://example.org/robotics-badge.png", "criteria": "https://example.org/robotics-badge.html",
        "tags": ["robots", "awesome"], "issuer": "https://example.org/organization.json",
        "alignment": [
            {"targetName": "Skills: demonstration", "targetUrl": "https://city.example/spine/skills.demonstration",
             "targetCode": "skills.demonstration", "targetFramework": "Cities of Learning spine"},
            {"targetName": "Problem-Solving",
             "targetUrl": "https://learning.mozilla.org/en-US/web-literacy/skills#problem-solving",
             "targetFramework": "Mozilla 21st Century Skills"}],
    }
    bc = tmp_path / "badgeclass.json"
    bc.write_text(json.dumps(badge_class), encoding="utf-8")
    report = ingest_openbadges(store, [bc, issuer])
    assert report.stubs == []
    rows = store.read(
        "MATCH (o:Organisation)-[:ISSUED]->(a:Assertion)-[:OF]->(b:Badge)<-[:DEFINES]-(o) "
        "MATCH (b)-[:ALIGNS_TO]->(c:SpineCell) "
        "RETURN o.name AS issuer, o.stub AS org_stub, b.name AS badge, b.stub AS stub, c.id AS cell, "
        "b.alignment_names AS others, count(a) AS n")
    assert rows == [{"issuer": "An Example Badge Issuer", "org_stub": False, "badge": "Awesome Robotics Badge",
                     "stub": False, "cell": "skills.demonstration", "others": ["Problem-Solving"], "n": 1}]
