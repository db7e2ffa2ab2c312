"""A badge's criteria: the OB 2.0 BadgeClass's ``criteria.narrative`` and the claim link's
``criteria`` field say ``documents.criteria_text`` (its criteria, else its description);
the claim page and the share page, which show the description already, show a criteria
line only when the badge's own criteria say something the description does not
(``documents.criteria_beyond_description``). Before, a badge without criteria showed its
description twice on both pages: once as itself, once as "Criteria:"."""

from __future__ import annotations

from pathlib import Path

import pytest

from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from tests.learner_builders import learner_client, link_token, outbox

DESCRIPTION = "Web Foundations: a badge."


@pytest.mark.parametrize("criteria, narrative, line", [
    (None, DESCRIPTION, None),  # no criteria: the documents say the description, the pages no line
    (f"  {DESCRIPTION} ", f"  {DESCRIPTION} ", None),  # the description again, but for spaces
    ("Build and publish one web page.", "Build and publish one web page.", "Build and publish one web page.")])
def test_the_pages_show_criteria_only_when_they_add_to_the_description(
        store: GraphStore, tmp_path: Path, criteria: str | None, narrative: str, line: str | None) -> None:
    with learner_client(store, tmp_path) as (client, box):
        store.write("MATCH (b:Badge {id: 'web'}) SET b.criteria = $criteria, b.description = $description",
                    {"criteria": criteria, "description": DESCRIPTION})
        key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        award = client.post("/organisations/college/badges/web/assertions", headers=key,
                            json={"recipient": {"type": "email", "identity": "kay@example.org"}}).json()
        view = client.post("/claims/view", json={"token": link_token(outbox(box)[-1], "claim")}).json()
        badgeclass = client.get("/ob/v2/badges/web").json()
        share = client.get(f"/share/{award['id']}").text
    assert badgeclass["criteria"]["narrative"] == narrative
    assert (view["description"], view["criteria"], view["own_criteria"]) == (DESCRIPTION, narrative, line)
    assert share.count(DESCRIPTION) == 1, share
    if line is None:
        assert "<dt>Criteria</dt>" not in share
    else:
        assert f"<dt>Criteria</dt><dd>{line}</dd>" in share
