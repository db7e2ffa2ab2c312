"""One rule for a badge's criteria text (``documents.criteria_text``: its criteria, else
its description): the claim page's data (``POST /claims/view``), the share page and the
OB 2.0 BadgeClass say the same. Before, a badge without criteria showed an empty
"Criteria:" on the claim page, none on the share page, and its description as the
BadgeClass's ``criteria.narrative``."""

from __future__ import annotations

from pathlib import Path

import pytest

from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from tests.learner_builders import learner_client, link_token, outbox


@pytest.mark.parametrize("criteria, shown", [(None, "Web Foundations: a badge."),
                                             ("Build and publish one web page.", "Build and publish one web page.")])
def test_claim_page_share_page_and_badgeclass_say_the_same_criteria(store: GraphStore, tmp_path: Path,
                                                                     criteria: str | None, shown: str) -> None:
    with learner_client(store, tmp_path) as (client, box):
        store.write("MATCH (b:Badge {id: 'web'}) SET b.criteria = $criteria", {"criteria": criteria})
        key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        award = client.post("/organisations/college/badges/web/assertions", headers=key,
                            json={"recipient": {"type": "email", "identity": "kay@example.org"}}).json()
        view = client.post("/claims/view", json={"token": link_token(outbox(box)[-1], "claim")}).json()
        badgeclass = client.get("/ob/v2/badges/web").json()
        share = client.get(f"/share/{award['id']}").text
    assert view["criteria"] == shown
    assert badgeclass["criteria"]["narrative"] == shown
    assert f"<dt>Criteria</dt><dd>{shown}</dd>" in share
