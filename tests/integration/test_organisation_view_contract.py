"""``ORGANISATION_ASSERTIONS`` on both engines: an organisation's awards, filtered
and paged, checked against counts computed from the rows written (with repeated
learner-badge pairs, the case FalkorDB once counted wrongly)."""

from __future__ import annotations

import random

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore

from tests.integration.test_contract import covers

STATUSES = ("issued", "accepted", "declined", "revoked")


def _seed(store: GraphStore) -> list[dict]:
    rng = random.Random(11)
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": o, "props": {"name": o}}
                                                                  for o in ("org-a", "org-b")]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": f"b{i}", "props": {"name": f"Badge {i}"}}
                                                           for i in range(4)]})
    rows = []
    for n in range(120):
        learner = f"l{rng.randrange(15)}"
        badge = f"b{rng.randrange(4)}"
        rows.append({"id": f"a{n:03d}", "organisation_id": rng.choice(("org-a", "org-a", "org-b")),
                     "badge_id": badge, "learner_id": learner, "learner_props": {},
                     "props": {"status": rng.choice(STATUSES), "issued_on": 1_700_000_000 + 3_600 * n}})
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})
    return rows


def _ask(store: GraphStore, **params) -> dict:
    base = {"org": "org-a", "status": None, "badge": None, "learner": None, "from_s": None, "to_s": None,
            "limit": 1000, "offset": 0}
    return store.read(queries.ORGANISATION_ASSERTIONS, {**base, **params})[0]


@covers("ORGANISATION_ASSERTIONS")
def test_organisation_assertions(any_store: GraphStore) -> None:
    rows = _seed(any_store)
    mine = [r for r in rows if r["organisation_id"] == "org-a"]
    every = _ask(any_store)
    assert every["total"] == len(mine)
    assert [a["id"] for a in every["data"]] == [r["id"] for r in sorted(mine, key=lambda r: -r["props"]["issued_on"])]
    assert every["data"][0]["badge_name"].startswith("Badge ")
    revoked = _ask(any_store, status="revoked", badge="b1")
    assert revoked["total"] == sum(r["props"]["status"] == "revoked" and r["badge_id"] == "b1" for r in mine)
    learner = _ask(any_store, learner="l3")
    assert learner["total"] == sum(r["learner_id"] == "l3" for r in mine)
    window = _ask(any_store, from_s=1_700_000_000 + 3_600 * 30, to_s=1_700_000_000 + 3_600 * 60)
    assert window["total"] == sum(30 <= int(r["id"][1:]) < 60 for r in mine)
    page = _ask(any_store, limit=7, offset=7)
    assert page["total"] == len(mine) and [a["id"] for a in page["data"]] == [a["id"] for a in every["data"][7:14]]
