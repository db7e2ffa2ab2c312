"""An award whose recipient is a learner's page here (``{COLEARN_BASE_URL}/learners/{id}``,
what an award by learner id is made to) goes to that learner, as one, in a list and in a
CSV alike; a page of no learner is refused (422), naming the field. (``colearn issue``:
``tests/integration/test_issuing_cli.py``.)"""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from tests.integration import test_assertions_api as assertions_api
from tests.openbadges_builders import BASE

api = assertions_api.api  # the fixture: the app on the issuing city, learner se-1

PAGE = f"{BASE}/learners/se-1"


def _url(identity: str, **more: str) -> dict:
    return {"recipient": {"type": "url", "identity": identity}, **more}


def _learners(store: GraphStore) -> list[str]:
    return [r["id"] for r in store.read(f"MATCH (l:{Label.LEARNER}) RETURN l.id AS id ORDER BY id")]


def test_an_award_to_a_learner_page_goes_to_that_learner(api, store: GraphStore) -> None:
    client, keys = api
    one = client.post("/organisations/college/badges/web/assertions", headers=keys["college"], json=_url(PAGE))
    assert one.status_code == 201 and one.json()["learner_id"] == "se-1", one.text
    # held live now: the same page again is that learner, who gets no second copy
    again = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                        json=_url(PAGE + "/"))
    assert again.status_code == 200 and again.json()["id"] == one.json()["id"], again.text
    listed = client.post("/organisations/college/badges/safety/assertions", headers=keys["college"],
                         json=[_url(PAGE + "/"), _url("https://elsewhere.example/learners/se-1")])
    assert listed.status_code == 201, listed.text
    here, elsewhere = [a["learner_id"] for a in listed.json()["data"]]
    assert here == "se-1" and elsewhere.startswith("rc-")  # another site's page is just a URL
    csv = client.post("/organisations/college/assertions/csv?name=pages.csv", content=f"badge_id,url\napp,{PAGE}\n",
                      headers={**keys["college"], "Content-Type": "text/csv"})
    assert csv.status_code == 201 and [a["learner_id"] for a in csv.json()["data"]] == ["se-1"], csv.text
    assert _learners(store) == sorted(["se-1", elsewhere])
    # awarded, not yet accepted: each waits in se-1's own list
    others = client.get("/learners/se-1/portfolio", headers=keys["admin"]).json()["others"]
    assert sorted(a["badge_id"] for a in others) == ["app", "safety", "web"], others


def test_a_learner_page_of_no_learner_is_refused(api, store: GraphStore) -> None:
    client, keys = api
    nobody = f"{BASE}/learners/nobody"
    one = client.post("/organisations/college/badges/web/assertions", headers=keys["college"], json=_url(nobody))
    assert one.status_code == 422, one.text
    [error] = one.json()["errors"]
    assert error["field"] == "body.recipient.identity" and "no learner 'nobody'" in error["message"], error
    listed = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                         json=[_url(PAGE), _url(nobody + "/")])
    assert listed.status_code == 422 and [e["field"] for e in listed.json()["errors"]] == ["body.1"], listed.text
    assert "recipient.identity" in listed.json()["errors"][0]["message"]
    csv = client.post("/organisations/college/assertions/csv?name=pages.csv",
                      content=f"badge_id,url\nweb,{PAGE}\napp,{nobody}\n",
                      headers={**keys["college"], "Content-Type": "text/csv"})
    assert csv.status_code == 422 and [e["field"] for e in csv.json()["errors"]] == ["line 3"], csv.text
    assert "no learner 'nobody'" in csv.json()["errors"][0]["message"]
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]
    assert _learners(store) == ["se-1"]
