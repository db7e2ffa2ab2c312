"""A pathway's completion is awarded once, ever: once its award is revoked or withdrawn,
meeting the steps again (or asking again) neither reports a dead award as held nor
re-links a withdrawn award's erased node to its learner and badge."""

from __future__ import annotations

import pytest

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from tests.integration import test_field_reports as field_reports

api = field_reports.api  # the fixture: the app on a seeded city


@pytest.mark.parametrize("end", ["revoke", "withdraw"])
def test_a_revoked_or_withdrawn_completion_is_not_awarded_again(api, store: GraphStore, end: str) -> None:
    client, keys = api
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {"name": "Work"}}]})
    pathway = {"id": "web-path", "title": "Web", "organisation": "college", "destination": "employment",
               "steps": [{"title": "s1", "badges": ["web"]}], "completion_badge": "app", "status": "published"}
    assert client.post("/pathways", headers=keys["college"], json=pathway).status_code == 201
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"learner_id": "se-1"})
    assert r.status_code == 201, r.text
    step = r.json()["id"]
    assert client.post(f"/assertions/{step}/accept", headers=keys["admin"]).status_code == 200
    done = client.post("/pathways/web-path/completions", headers=keys["admin"], json={"learner_id": "se-1"}).json()
    assert done["completed"] is True and done["awarded"] is True, done
    completion = done["assertion_id"]
    if end == "revoke":
        r = client.post(f"/assertions/{completion}/revoke", headers=keys["college"], json={"reason": "in error"})
    else:
        r = client.request("DELETE", f"/assertions/{completion}", headers=keys["college"],
                           json={"reason": "in error"})
    assert r.status_code in (200, 204), r.text
    again = client.post("/pathways/web-path/completions", headers=keys["admin"], json={"learner_id": "se-1"}).json()
    assert again["completed"] is True and again["awarded"] is False and again["created"] is False, again
    linked = store.read("MATCH (a:Assertion {id: $id}) OPTIONAL MATCH (a)-[:TO]->(l:Learner) "
                        "OPTIONAL MATCH (a)-[:OF]->(b:Badge) RETURN a.status AS status, l.id AS learner, "
                        "b.id AS badge", {"id": completion})
    assert linked[0]["status"] == "revoked"
    if end == "withdraw":  # the withdrawn award stays apart from its learner and badge
        assert linked[0]["learner"] is None and linked[0]["badge"] is None
    pf = client.get("/learners/se-1/portfolio", headers=keys["se-1"]).json()
    assert "app" not in [a["badge_id"] for c in pf["cells"] for a in c["awards"]]
