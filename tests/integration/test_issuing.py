"""domain/awards.py (records and reads in graph/issuing.py): awards, idempotency, refusals, CSV, accept/decline/revoke, portfolio."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from colearn.errors import Conflict, Forbidden, InvalidInput, NotFound
from colearn.domain import awards as issuing
from colearn.graph import queries
from colearn.domain.awards import AwardRequest, Recipient
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from tests.openbadges_builders import BASE
from tests.integration.test_issuing_contract import _seed

PEPPER = b"test-pepper"
T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def _req(badge: str = "b0", email: str = "ada@example.org", **kw) -> AwardRequest:
    return AwardRequest(badge_id=badge, recipient=Recipient("email", email), **kw)


@pytest.fixture
def seeded(store: GraphStore) -> GraphStore:
    _seed(store)
    return store


def test_award_stores_only_a_salted_hash(seeded: GraphStore) -> None:
    a = issuing.award(seeded, "org", _req(email=" Ada@Example.org ", evidence_url="https://ex.org/work",
                                          evidence_narrative="Built a robot", issued_on=T0), pepper=PEPPER)
    assert a.created and a.status == "issued" and a.issued_on == int(T0.timestamp())
    record = issuing.get_assertion(seeded, a.id)
    props = record.props
    assert props["recipient_type"] == "email" and len(props["recipient_salt"]) == 16
    assert props["recipient_hash"] == issuing.identity_hash("ada@example.org", props["recipient_salt"])
    dump = repr(seeded.read("MATCH (n) RETURN properties(n) AS p"))
    assert "ada@example.org" not in dump.lower()
    assert record.learner_id == issuing.learner_id_for(Recipient("email", "ADA@example.org"), PEPPER)
    assert props["evidence_url"] == "https://ex.org/work" and props["evidence_narrative"] == "Built a robot"
    # the same person again is the same learner, with a fresh salt
    b = issuing.award(seeded, "org", _req("b1", "ada@example.org"), pepper=PEPPER)
    assert b.learner_id == a.learner_id
    assert issuing.get_assertion(seeded, b.id).props["recipient_salt"] != props["recipient_salt"]


def test_expiry_absolute_or_badge_default(seeded: GraphStore) -> None:
    default = issuing.award(seeded, "org", _req("b1", issued_on=T0), pepper=PEPPER)
    assert default.expires_on == int((T0 + timedelta(days=10)).timestamp())
    given = issuing.award(seeded, "org", _req("b1", issued_on=T0, expires_on=T0 + timedelta(days=3)), pepper=PEPPER)
    assert given.expires_on == int((T0 + timedelta(days=3)).timestamp())
    assert issuing.award(seeded, "org", _req("b0", issued_on=T0), pepper=PEPPER).expires_on is None
    with pytest.raises(InvalidInput, match="after"):
        issuing.award(seeded, "org", _req(issued_on=T0, expires_on=T0), pepper=PEPPER)
    with pytest.raises(InvalidInput, match="time zone"):
        issuing.award(seeded, "org", _req(issued_on=datetime(2026, 1, 1)), pepper=PEPPER)


def test_refusals(seeded: GraphStore) -> None:
    with pytest.raises(Forbidden, match="another organisation"):
        issuing.award(seeded, "org", _req("b3"), pepper=PEPPER)
    with pytest.raises(NotFound, match="badge 'zz'"):
        issuing.award(seeded, "org", _req("zz"), pepper=PEPPER)
    with pytest.raises(NotFound, match="organisation"):
        issuing.award(seeded, "nobody", _req(), pepper=PEPPER)
    with pytest.raises(Conflict, match="no email") as no_email:  # "other" has no email
        issuing.award(seeded, "other", _req("b3"), pepper=PEPPER)
    assert no_email.value.field == "organisation.email" and "PATCH /organisations/other" in no_email.value.message
    with pytest.raises(NotFound, match="learner 'ghost'"):
        issuing.award(seeded, "org", _req(learner_id="ghost"), pepper=PEPPER)
    with pytest.raises(InvalidInput, match="email address"):
        issuing.award(seeded, "org", _req(email="not-an-email"), pepper=PEPPER)
    with pytest.raises(InvalidInput, match="URL"):
        issuing.award(seeded, "org", AwardRequest("b0", Recipient("url", "ftp://x")), pepper=PEPPER)
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]


def test_idempotency_key(seeded: GraphStore) -> None:
    first = issuing.award(seeded, "org", _req(idempotency_key="k1"), pepper=PEPPER)
    again = issuing.award(seeded, "org", _req(idempotency_key="k1"), pepper=PEPPER)
    assert first.created and not again.created and again.id == first.id
    # the key is per organisation, and names one award
    with pytest.raises(Conflict, match="another badge"):
        issuing.award(seeded, "org", _req("b2", idempotency_key="k1"), pepper=PEPPER)
    report = issuing.award_many(seeded, "org", [_req(idempotency_key="k2"), _req(idempotency_key="k2")],
                                pepper=PEPPER)
    # a call lands whole or not at all: the duplicate refuses it, and neither is written
    assert report.awards == [] and report.refused == [(1, "idempotency key 'k2' is also used by record 0")]
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 1}]
    clash = issuing.award_many(seeded, "org", [_req(idempotency_key="k3"), _req("b2", idempotency_key="k1")],
                               pepper=PEPPER)  # k1 names an assertion of another badge already
    assert clash.awards == [] and [rec for rec, _ in clash.refused] == [1] and "another badge" in clash.refused[0][1]
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 1}]


def test_concurrent_retries_create_one_assertion(seeded: GraphStore) -> None:
    from colearn.graph.falkordb_store import FalkorDBStore

    results: list[issuing.Award] = []

    def worker() -> None:
        # a client of its own on FalkorDB; the Neo4j driver is shared by threads
        own = (FalkorDBStore(seeded._server.host, seeded._server.port, seeded.graph_name,  # type: ignore[attr-defined]
                              password=seeded._server.password)  # type: ignore[attr-defined]
               if seeded.backend == "falkordb" else seeded)
        try:
            for i in range(20):
                results.append(issuing.award(own, "org", _req(email=f"c{i}@example.org", idempotency_key=f"c{i}"),
                                            pepper=PEPPER))
        finally:
            if own is not seeded:
                own.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80 and sum(r.created for r in results) == 20
    assert len({r.id for r in results}) == 20
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 20}]


def test_accept_decline_revoke(seeded: GraphStore) -> None:
    a = issuing.award(seeded, "org", _req(), pepper=PEPPER)
    with pytest.raises(Forbidden):
        issuing.set_learner_response(seeded, a.id, True, base_url=BASE, learner_id="someone-else")
    assert issuing.set_learner_response(seeded, a.id, True, base_url=BASE, learner_id=a.learner_id).status == "accepted"
    assert issuing.set_learner_response(seeded, a.id, True, base_url=BASE, learner_id=a.learner_id).status == "accepted"
    assert issuing.set_learner_response(seeded, a.id, False, base_url=BASE, learner_id=a.learner_id).status == "declined"
    with pytest.raises(Forbidden, match="issued the assertion"):
        issuing.revoke(seeded, a.id, "mistake", organisation_id="other")
    with pytest.raises(InvalidInput, match="reason"):
        issuing.revoke(seeded, a.id, " ", organisation_id="org")
    done = issuing.revoke(seeded, a.id, "awarded in error", organisation_id="org", now=T0)
    assert done.status == "revoked" and done.props["revocation_reason"] == "awarded in error"
    again = issuing.revoke(seeded, a.id, "second reason", organisation_id="org")
    assert again.props["revocation_reason"] == "awarded in error"
    with pytest.raises(Conflict, match="revoked"):
        issuing.set_learner_response(seeded, a.id, True, base_url=BASE)
    with pytest.raises(NotFound):
        issuing.revoke(seeded, "as-nope", "x")
    assert [r["id"] for r in issuing.revoked_assertions(seeded, "org")] == [a.id]


def test_portfolio_groups_by_cell_and_drops_revoked_and_expired(seeded: GraphStore) -> None:
    now = datetime.now(UTC)
    a0 = issuing.award(seeded, "org", _req("b0"), pepper=PEPPER)
    a1 = issuing.award(seeded, "org", _req("b1"), pepper=PEPPER)
    a2 = issuing.award(seeded, "org", _req("b2", issued_on=now - timedelta(days=5),
                                           expires_on=now - timedelta(days=1)), pepper=PEPPER)
    learner = a0.learner_id
    for a in (a0, a1, a2):
        issuing.set_learner_response(seeded, a.id, True, base_url=BASE, learner_id=learner)
    pf = issuing.portfolio(seeded, learner)
    assert {c: [x["assertion_id"] for x in v] for c, v in pf.cells.items()} == {
        "knowledge.engagement": [a0.id], "skills.engagement": [a0.id], "skills.participation": [a1.id]}
    assert [(o["assertion_id"], o["status"]) for o in pf.others] == [(a2.id, "accepted")]
    issuing.revoke(seeded, a1.id, "mistake")
    assert "skills.participation" not in issuing.portfolio(seeded, learner).cells
    with pytest.raises(NotFound):
        issuing.portfolio(seeded, "nobody")
    cells = seeded.read(queries.SPINE_CELLS)
    assert issuing.spine_order([None, "skills.engagement", "knowledge.engagement"], cells) == [
        "knowledge.engagement", "skills.engagement", None]


def test_award_csv_reports_refused_lines_and_is_rerunnable(seeded: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "bulk-awards.csv"
    path.write_text(
        "badge_id,email,url,evidence_url,issued_on,key\n"
        "b0,a@example.org,,,2026-01-01T10:00:00Z,\n"          # 2 ok
        "b1,,https://people.example/bo,,,\n"                  # 3 ok
        "b3,c@example.org,,,,\n"                              # 4 another organisation's badge
        "b0,d@example.org,,,2026-01-01T10:00:00,\n"           # 5 no time zone
        "b0,,,,,\n"                                           # 6 no recipient
        "zz,e@example.org,,,,\n"                              # 7 unknown badge
        "b2,f@example.org,,https://ex.org/f,,own-key\n",      # 8 ok
        encoding="utf-8")
    report = issuing.award_csv(seeded, "org", path, pepper=PEPPER)
    assert [line for line, _ in report.refused] == [4, 5, 6, 7]
    assert "another organisation" in report.refused[0][1] and "time zone" in report.refused[1][1]
    # the file lands whole or not at all: nothing of it was written
    assert report.awards == [] and report.created == 0
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]
    preview = issuing.award_csv(seeded, "org", path, pepper=PEPPER, dry_run=True)  # what each would give
    assert preview.dry_run and preview.would_create == 3 and preview.created == 0  # claiming none made
    assert [a.created for a in preview.awards] == [False] * 3 and report.dry_run is False
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:3] + lines[7:]) + "\n", encoding="utf-8")  # the refused rows taken out
    fixed = issuing.award_csv(seeded, "org", path, pepper=PEPPER)
    assert [r.badge_id for r in fixed.awards] == ["b0", "b1", "b2"] and fixed.created == 3 and not fixed.refused
    again = issuing.award_csv(seeded, "org", path, pepper=PEPPER)
    assert again.created == 0 and [a.id for a in again.awards] == [a.id for a in fixed.awards]
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 3}]
    bad = tmp_path / "bad.csv"
    bad.write_text("badge,email\nb0,a@example.org\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="header"):
        issuing.award_csv(seeded, "org", bad, pepper=PEPPER)


def test_no_second_copy_of_a_badge_held_live(seeded: GraphStore) -> None:
    """A direct award to a learner who holds the badge live makes nothing: its answer is
    the award held (``created`` False, ``detail``), by recipient, learner id or with a key."""
    first = issuing.award(seeded, "org", _req(), pepper=PEPPER)
    again = issuing.award(seeded, "org", _req(email=" ADA@example.org"), pepper=PEPPER)
    assert (again.id, again.created) == (first.id, False) and first.detail is None
    assert f"learner '{first.learner_id}' already holds badge 'b0'" in (again.detail or "")
    by_id = issuing.award(seeded, "org", _req(email="ADA@example.org", learner_id=first.learner_id),
                          pepper=PEPPER)
    assert (by_id.id, by_id.created) == (first.id, False)
    with pytest.raises(InvalidInput) as other:  # an address of someone else is not this learner's
        issuing.award(seeded, "org", _req(email="ada.work@example.org", learner_id=first.learner_id), pepper=PEPPER)
    assert other.value.field == "recipient.identity"
    issuing.set_learner_response(seeded, first.id, True, base_url=BASE)
    keyed = issuing.award(seeded, "org", _req(idempotency_key="new-key"), pepper=PEPPER)
    assert (keyed.id, keyed.created, keyed.status) == (first.id, False, "accepted")
    assert seeded.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 1}]
    # another badge, or another learner, is a new award
    assert issuing.award(seeded, "org", _req("b2"), pepper=PEPPER).created
    assert issuing.award(seeded, "org", _req(email="bo@example.org"), pepper=PEPPER).created


def test_no_second_copy_in_a_list_or_a_csv(seeded: GraphStore) -> None:
    first = issuing.award(seeded, "org", _req(), pepper=PEPPER)
    report = issuing.award_many(seeded, "org", [_req(), _req(email="cy@example.org"), _req("b2"),
                                                _req(email="cy@example.org")], pepper=PEPPER)
    assert report.refused == [] and report.created == 2
    held, cy, b2, cy_again = report.awards
    assert (held.id, held.created) == (first.id, False) and "already holds" in (held.detail or "")
    assert cy.created and b2.created and cy.detail is None
    assert (cy_again.id, cy_again.created) == (cy.id, False) and "already holds" in (cy_again.detail or "")
    text = "badge_id,email\nb0,ada@example.org\nb0,di@example.org\nb0,di@example.org\nb1,cy@example.org\n"
    for dry_run in (True, False):
        csv = issuing.award_csv(seeded, "org", "people.csv", pepper=PEPPER, text=text, dry_run=dry_run)
        assert csv.refused == [] and (csv.would_create if dry_run else csv.created) == 2, dry_run
        assert csv.created == (0 if dry_run else 2) and csv.dry_run is dry_run
        assert [(a.would_create if dry_run else a.created, a.detail is not None) for a in csv.awards] == [
            (False, True), (True, False), (False, True), (True, False)]
        assert csv.awards[0].id == first.id and csv.awards[2].id == csv.awards[1].id
        if dry_run:  # a dry run speaks of what would be, never of what was
            assert "would be awarded" in (csv.awards[0].detail or "") and "earlier record would award" in (
                csv.awards[2].detail or "") and not any(a.created for a in csv.awards)
    # the same file again: its keys name its awards; the repeated row still answers the first
    again = issuing.award_csv(seeded, "org", "people.csv", pepper=PEPPER, text=text)
    assert again.created == 0 and [a.id for a in again.awards] == [a.id for a in csv.awards]
    # a refusal still refuses the whole call, a held item included
    refused = issuing.award_many(seeded, "org", [_req(email="eve@example.org"), _req("b3")], pepper=PEPPER)
    assert [r for r, _ in refused.refused] == [1] and refused.awards == []
    assert issuing.award(seeded, "org", _req(email="eve@example.org"), pepper=PEPPER).created


def test_renewal_after_expiry_and_award_after_revoke(seeded: GraphStore) -> None:
    start = int(datetime.now(UTC).timestamp()) - 40 * 86400
    # b1 lasts 10 days: held until then, renewed after
    first = issuing.award(seeded, "org", _req("b1"), pepper=PEPPER, now=start)
    assert first.expires_on == start + 10 * 86400
    held = issuing.award(seeded, "org", _req("b1"), pepper=PEPPER, now=start + 10 * 86400 - 1)
    assert (held.id, held.created) == (first.id, False)
    renewal = issuing.award(seeded, "org", _req("b1"), pepper=PEPPER, now=start + 10 * 86400)
    assert renewal.created and renewal.id != first.id and renewal.detail is None
    # revoked: a new award is made; the revoked one's key still answers it
    keyed = issuing.award(seeded, "org", _req("b2", idempotency_key="r1"), pepper=PEPPER)
    issuing.revoke(seeded, keyed.id, "made in error")
    fresh = issuing.award(seeded, "org", _req("b2"), pepper=PEPPER)
    assert fresh.created and fresh.id != keyed.id
    retried = issuing.award(seeded, "org", _req("b2", idempotency_key="r1"), pepper=PEPPER)
    assert (retried.id, retried.created, retried.status) == (keyed.id, False, "revoked")
    assert issuing.award(seeded, "org", _req("b2"), pepper=PEPPER).id == fresh.id
