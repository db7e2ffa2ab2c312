"""The role matrix: every route of the app x every kind of caller gets the
documented status.

The table below is the documentation (``docs/roles.md`` holds the same table,
checked here). Roles: ``none`` (no credentials), ``admin``, ``org-owner`` (an
organisation key of the organisation that owns the target), ``org-other``
(another organisation's key), ``partner`` (a read-only partner key),
``learner-self`` (a token of the learner named in the path or body) and
``learner-other`` (another learner's token). A route of the app missing from
the table fails the test, and so does a row for a route the app does not have.
A 404 in the table is what a caller is told about something it may not see
(another organisation's draft pathway).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.domain import awards as issuing
from colearn.graph import access, enrolments, learner_queries, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token

from tests.catalogue_builders import minimal_catalogue, write_yaml
from tests.conftest import REPO

ROLES = ("none", "admin", "org-owner", "org-other", "partner", "learner-self", "learner-other")

MATRIX = """
| method | path | none | admin | org-owner | org-other | partner | learner-self | learner-other |
|---|---|---|---|---|---|---|---|---|
| GET | /health | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /learners/{learner_id}/next | 401 | 200 | 403 | 403 | 200 | 200 | 403 |
| GET | /learners/{learner_id}/pathways | 401 | 200 | 403 | 403 | 200 | 200 | 403 |
| POST | /learners/{learner_id}/pathways/interest | 401 | 200 | 403 | 403 | 200 | 200 | 403 |
| POST | /visitors/next | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /visitors/next | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /visitors/pathways | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /organisations | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /organisations | 401 | 201 | 403 | 403 | 403 | 403 | 403 |
| GET | /organisations/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /organisations/{item_id} | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| DELETE | /organisations/{item_id} | 401 | 204 | 403 | 403 | 403 | 403 | 403 |
| GET | /opportunities | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /opportunities | 401 | 201 | 201 | 403 | 403 | 403 | 403 |
| GET | /opportunities/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /opportunities/{item_id} | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| DELETE | /opportunities/{item_id} | 401 | 204 | 204 | 403 | 403 | 403 | 403 |
| GET | /badges | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /badges | 401 | 201 | 201 | 403 | 403 | 403 | 403 |
| GET | /badges/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /badges/{item_id} | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| DELETE | /badges/{item_id} | 401 | 204 | 204 | 403 | 403 | 403 | 403 |
| DELETE | /badges/{badge_id}/opportunities/{opportunity_id} | 401 | 204 | 204 | 403 | 403 | 403 | 403 |
| GET | /themes | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /themes | 401 | 201 | 403 | 403 | 403 | 403 | 403 |
| GET | /themes/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /themes/{item_id} | 401 | 200 | 403 | 403 | 403 | 403 | 403 |
| DELETE | /themes/{item_id} | 401 | 204 | 403 | 403 | 403 | 403 | 403 |
| GET | /destinations | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /destinations | 401 | 201 | 403 | 403 | 403 | 403 | 403 |
| GET | /destinations/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /destinations/{item_id} | 401 | 200 | 403 | 403 | 403 | 403 | 403 |
| DELETE | /destinations/{item_id} | 401 | 204 | 403 | 403 | 403 | 403 | 403 |
| GET | /places | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /places | 401 | 201 | 403 | 403 | 403 | 403 | 403 |
| GET | /places/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /places/{item_id} | 401 | 200 | 403 | 403 | 403 | 403 | 403 |
| DELETE | /places/{item_id} | 401 | 204 | 403 | 403 | 403 | 403 | 403 |
| GET | /spine-cells | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /spine-cells | 401 | 201 | 403 | 403 | 403 | 403 | 403 |
| GET | /spine-cells/{item_id} | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| PATCH | /spine-cells/{item_id} | 401 | 200 | 403 | 403 | 403 | 403 | 403 |
| DELETE | /spine-cells/{item_id} | 401 | 204 | 403 | 403 | 403 | 403 | 403 |
| GET | /pathways | 401 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /pathways | 401 | 201 | 201 | 403 | 403 | 403 | 403 |
| GET | /pathways/{item_id} | 401 | 200 | 200 | 404 | 404 | 404 | 404 |
| PATCH | /pathways/{item_id} | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| DELETE | /pathways/{item_id} | 401 | 204 | 204 | 403 | 403 | 403 | 403 |
| POST | /pathways/{item_id}/publish | 401 | 200 | 200 | 404 | 404 | 404 | 404 |
| POST | /pathways/{item_id}/archive | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| POST | /pathways/{item_id}/completions | 401 | 200 | 200 | 403 | 403 | 200 | 403 |
| POST | /organisations/{org_id}/badges/{badge_id}/assertions | 401 | 201 | 201 | 403 | 403 | 403 | 403 |
| POST | /organisations/{org_id}/assertions/csv | 401 | 201 | 201 | 403 | 403 | 403 | 403 |
| GET | /organisations/{org_id}/assertions | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| GET | /organisations/{org_id}/pathways/funnels | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| GET | /assertions/{assertion_id} | 401 | 200 | 200 | 403 | 403 | 200 | 403 |
| POST | /assertions/{assertion_id}/accept | 401 | 200 | 403 | 403 | 403 | 200 | 403 |
| POST | /assertions/{assertion_id}/decline | 401 | 200 | 403 | 403 | 403 | 200 | 403 |
| POST | /assertions/{assertion_id}/revoke | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| POST | /assertions/{assertion_id}/notice | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| DELETE | /assertions/{assertion_id} | 401 | 204 | 204 | 403 | 403 | 403 | 403 |
| GET | /learners/{learner_id}/portfolio | 401 | 200 | 403 | 403 | 403 | 200 | 403 |
| POST | /learners/{learner_id}/portfolio/imports | 401 | 201 | 403 | 403 | 403 | 201 | 403 |
| POST | /verify | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/issuers/{org_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/issuers/{org_id}/key | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/issuers/{org_id}/revocations | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/badges/{badge_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/badges/{badge_id}/image.svg | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/badges/{badge_id}/image.png | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/assertions/{assertion_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/assertions/{assertion_id}/baked.svg | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v2/assertions/{assertion_id}/baked.png | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/issuers/{org_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/issuers/{org_id}/status/{n} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/achievements/{badge_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/credentials/{assertion_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/credentials/{assertion_id}/jwt | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/credentials/{assertion_id}/baked.svg | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/v3/credentials/{assertion_id}/baked.png | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /ob/spine/{cell_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /widget/colearn.js | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /demo | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /insights/issued | 401 | 200 | 200 | 200 | 403 | 403 | 403 |
| GET | /insights/spine | 401 | 200 | 200 | 200 | 403 | 403 | 403 |
| GET | /insights/progression | 401 | 200 | 200 | 200 | 403 | 403 | 403 |
| GET | /insights/pathways | 401 | 200 | 200 | 200 | 403 | 403 | 403 |
| GET | /insights/supply-demand | 401 | 200 | 200 | 200 | 403 | 403 | 403 |
| GET | /insights/unseen-talent | 401 | 200 | 200 | 200 | 403 | 403 | 403 |
| POST | /signin/email | 202 | 202 | 202 | 202 | 202 | 202 | 202 |
| POST | /signin/token | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /signin/refresh | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /signin/out | 401 | 403 | 403 | 403 | 403 | 204 | 204 |
| POST | /claims/view | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /claims/accept | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /claims/decline | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| POST | /organisations/{org_id}/claim-codes | 401 | 201 | 201 | 403 | 403 | 403 | 403 |
| GET | /organisations/{org_id}/claim-codes | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| POST | /organisations/{org_id}/claim-codes/{code_id}/revoke | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| POST | /claim-codes/redeem | 401 | 403 | 403 | 403 | 403 | 201 | 201 |
| GET | /me | 401 | 403 | 403 | 403 | 403 | 200 | 200 |
| PATCH | /me | 401 | 403 | 403 | 403 | 403 | 200 | 200 |
| GET | /me/awards | 401 | 403 | 403 | 403 | 403 | 200 | 200 |
| GET | /me/pathways | 401 | 403 | 403 | 403 | 403 | 200 | 200 |
| POST | /me/pathways | 401 | 403 | 403 | 403 | 403 | 200 | 201 |
| DELETE | /me/pathways/{pathway_id} | 401 | 403 | 403 | 403 | 403 | 204 | 404 |
| GET | /organisations/{org_id}/pathway-enrolments | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| PUT | /badges/{badge_id}/image | 401 | 200 | 200 | 403 | 403 | 403 | 403 |
| GET | /badges/{badge_id}/image | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /share/{assertion_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /learners/{learner_id} | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | / | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /claim | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /signin | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /portfolio | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /redeem | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /issue/claim-codes | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /pages/learner.js | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /pages/learner.css | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /openapi.json | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /docs | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /docs/oauth2-redirect | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
| GET | /redoc | 200 | 200 | 200 | 200 | 200 | 200 | 200 |
"""

OWNER, OTHER, SELF, OTHER_LEARNER = "college", "library", "l1", "l2"
#: The assertion the issuing rows act on: OWNER's badge ``app`` awarded to SELF.
AWARDED = issuing.assertion_id_for(OWNER, "matrix")
#: An award of OWNER's to an email address, awaiting its learner (its notice can be sent again).
NOTICED, NOTICED_EMAIL = issuing.assertion_id_for(OWNER, "matrix-notice"), "notice@example.org"
#: Secrets whose hashes ``_seed`` stores: a claim link for AWARDED, a sign-in
#: link and a refresh token of SELF, and a claim code of OWNER (``CODE_ID``); each of the
#: form every token has (``access.TOKEN_LENGTH`` characters), which a link's token must have.
CLAIM_TOKEN, SIGNIN_TOKEN, REFRESH_TOKEN = (f"matrix-{kind}-token-".ljust(43, "0")
                                            for kind in ("claim", "signin", "refresh"))
CODE_ID, CLAIM_CODE = "cc-matrix", "MTRX-2345-6789"
#: A 1 x 1 PNG for the badge image upload.
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
                     "9c63606060f80f00010401005fe5c34b0000000049454e44ae426082")
#: A badge earned elsewhere, awarded to an identity of SELF's (their learner page here):
#: a learner imports only what is shown to be theirs.
_IMPORT = {"@context": "https://w3id.org/openbadges/v2", "id": "https://elsewhere.example/assertions/1",
           "type": "Assertion", "issuedOn": "2025-05-01T10:00:00Z", "verification": {"type": "HostedBadge"},
           "badge": "https://elsewhere.example/badges/1",
           "recipient": {"type": "url", "hashed": True, "salt": "s",
                         "identity": issuing.identity_hash("http://127.0.0.1:8000/learners/l1", "s")}}
_PATHWAY = {"title": "New", "organisation": OWNER, "destination": "employment",
            "steps": [{"title": "One", "badges": ["app"]}]}

#: The request each row sends: path parameters and JSON body. Targets belong to
#: the org-owner (``college``) and name the learner-self (``l1``).
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/learners/{learner_id}/next"): {"path": {"learner_id": SELF}},
    ("GET", "/learners/{learner_id}/pathways"): {"path": {"learner_id": SELF}},
    ("POST", "/learners/{learner_id}/pathways/interest"): {"path": {"learner_id": SELF},
                                                         "json": {"destinations": ["employment"]}},
    ("POST", "/visitors/next"): {"json": {"destinations": ["employment"], "limit": 3}},
    ("POST", "/organisations"): {"json": {"id": "new-org", "name": "New", "kind": "charity", "email": "hi@new.example"}},
    ("GET", "/organisations/{item_id}"): {"path": {"item_id": OWNER}},
    ("PATCH", "/organisations/{item_id}"): {"path": {"item_id": OWNER}, "json": {"description": "New words."}},
    ("DELETE", "/organisations/{item_id}"): {"path": {"item_id": "idle-org"}},
    ("POST", "/opportunities"): {"json": {"id": "new-opp", "name": "New", "organisation": OWNER, "mode": "online"}},
    ("GET", "/opportunities/{item_id}"): {"path": {"item_id": "online-course"}},
    ("PATCH", "/opportunities/{item_id}"): {"path": {"item_id": "online-course"}, "json": {"name": "Renamed"}},
    ("DELETE", "/opportunities/{item_id}"): {"path": {"item_id": "spare-opportunity"}},
    ("POST", "/badges"): {"json": {"id": "new-badge", "name": "New", "issuer": OWNER, "cells": ["skills.engagement"]}},
    ("GET", "/badges/{item_id}"): {"path": {"item_id": "app"}},
    ("PATCH", "/badges/{item_id}"): {"path": {"item_id": "app"}, "json": {"criteria": "Show it."}},
    ("DELETE", "/badges/{item_id}"): {"path": {"item_id": "spare"}},
    # OWNER's badge off OWNER's opportunity (org-other owns neither; the link's two owners: test_badge_detach)
    ("DELETE", "/badges/{badge_id}/opportunities/{opportunity_id}"): {
        "path": {"badge_id": "app", "opportunity_id": "spare-opportunity"}},
    ("POST", "/themes"): {"json": {"id": "new-theme", "name": "New", "kind": "civic"}},
    ("GET", "/themes/{item_id}"): {"path": {"item_id": "green"}},
    ("PATCH", "/themes/{item_id}"): {"path": {"item_id": "green"}, "json": {"description": "Parks."}},
    ("DELETE", "/themes/{item_id}"): {"path": {"item_id": "spare-theme"}},
    ("POST", "/destinations"): {"json": {"id": "new-dest", "name": "New"}},
    ("GET", "/destinations/{item_id}"): {"path": {"item_id": "education"}},
    ("PATCH", "/destinations/{item_id}"): {"path": {"item_id": "education"}, "json": {"description": "School."}},
    ("DELETE", "/destinations/{item_id}"): {"path": {"item_id": "education"}},
    ("POST", "/places"): {"json": {"id": "new-place", "name": "New", "kind": "venue"}},
    ("GET", "/places/{item_id}"): {"path": {"item_id": "centre"}},
    ("PATCH", "/places/{item_id}"): {"path": {"item_id": "centre"}, "json": {"name": "Middle"}},
    ("DELETE", "/places/{item_id}"): {"path": {"item_id": "spare-place"}},
    ("POST", "/spine-cells"): {"json": {"id": "skills.mastery", "name": "Skills: Mastery", "layer": "mastery",
                                        "domain": "skills", "layer_rank": 4, "domain_rank": 1}},
    ("GET", "/spine-cells/{item_id}"): {"path": {"item_id": "skills.engagement"}},
    ("PATCH", "/spine-cells/{item_id}"): {"path": {"item_id": "skills.engagement"}, "json": {"description": "x"}},
    ("DELETE", "/spine-cells/{item_id}"): {"path": {"item_id": "knowledge.engagement"}},
    ("POST", "/pathways"): {"json": {"id": "new-pathway", **_PATHWAY}},
    ("GET", "/pathways/{item_id}"): {"path": {"item_id": "draft-pathway"}},
    ("PATCH", "/pathways/{item_id}"): {"path": {"item_id": "into-tech"}, "json": {"title": "Into tech, again"}},
    ("DELETE", "/pathways/{item_id}"): {"path": {"item_id": "into-tech"}},
    ("POST", "/pathways/{item_id}/publish"): {"path": {"item_id": "draft-pathway"}},
    ("POST", "/pathways/{item_id}/archive"): {"path": {"item_id": "into-tech"}},
    ("POST", "/pathways/{item_id}/completions"): {"path": {"item_id": "into-tech"}, "json": {"learner_id": SELF}},
    ("POST", "/organisations/{org_id}/badges/{badge_id}/assertions"): {  # one SELF does not hold live
        "path": {"org_id": OWNER, "badge_id": "award"}, "json": {"learner_id": SELF}},
    ("POST", "/organisations/{org_id}/assertions/csv"): {
        "path": {"org_id": OWNER}, "json": "badge_id,email\napp,someone@example.org\n"},
    ("GET", "/organisations/{org_id}/assertions"): {"path": {"org_id": OWNER}},
    ("GET", "/organisations/{org_id}/pathways/funnels"): {"path": {"org_id": OWNER}},
    ("GET", "/assertions/{assertion_id}"): {"path": {"assertion_id": AWARDED}},
    ("POST", "/assertions/{assertion_id}/accept"): {"path": {"assertion_id": AWARDED}},
    ("POST", "/assertions/{assertion_id}/decline"): {"path": {"assertion_id": AWARDED}},
    ("POST", "/assertions/{assertion_id}/revoke"): {"path": {"assertion_id": AWARDED}, "json": {"reason": "test"}},
    ("DELETE", "/assertions/{assertion_id}"): {"path": {"assertion_id": AWARDED}},
    ("POST", "/assertions/{assertion_id}/notice"): {"path": {"assertion_id": NOTICED}, "json": {"email": NOTICED_EMAIL}},
    ("GET", "/learners/{learner_id}/portfolio"): {"path": {"learner_id": SELF}},
    ("POST", "/learners/{learner_id}/portfolio/imports"): {
        "path": {"learner_id": SELF}, "json": {"credential": _IMPORT, "identity": "http://127.0.0.1:8000/learners/l1"}},
    ("POST", "/verify"): {"json": {"url": f"http://127.0.0.1:8000/ob/v2/assertions/{AWARDED}"}},
    ("POST", "/signin/email"): {"json": {"email": "someone@example.org"}},
    ("POST", "/signin/token"): {"json": {"token": SIGNIN_TOKEN}},
    ("POST", "/signin/refresh"): {"json": {"refresh_token": REFRESH_TOKEN}},
    ("POST", "/claims/view"): {"json": {"token": CLAIM_TOKEN}},
    ("POST", "/claims/accept"): {"json": {"token": CLAIM_TOKEN}},
    ("POST", "/claims/decline"): {"json": {"token": CLAIM_TOKEN}},
    ("POST", "/organisations/{org_id}/claim-codes"): {
        "path": {"org_id": OWNER}, "json": {"badge_id": "app", "opportunity_id": "online-course",
                                            "valid_until": "2099-01-01T00:00:00Z", "max_claims": 5}},
    ("GET", "/organisations/{org_id}/claim-codes"): {"path": {"org_id": OWNER}},
    ("POST", "/organisations/{org_id}/claim-codes/{code_id}/revoke"): {"path": {"org_id": OWNER, "code_id": CODE_ID}},
    ("POST", "/claim-codes/redeem"): {"json": {"code": CLAIM_CODE}},
    ("PATCH", "/me"): {"json": {"interests": "maps"}},
    ("POST", "/me/pathways"): {"json": {"pathway_id": "into-tech"}},
    ("DELETE", "/me/pathways/{pathway_id}"): {"path": {"pathway_id": "into-tech"}},
    ("GET", "/organisations/{org_id}/pathway-enrolments"): {"path": {"org_id": OWNER}},
    ("PUT", "/badges/{badge_id}/image"): {"path": {"badge_id": "app"}, "content": _PNG,
                                          "headers": {"Content-Type": "image/png"}},
    ("GET", "/badges/{badge_id}/image"): {"path": {"badge_id": "app"}},
    ("GET", "/share/{assertion_id}"): {"path": {"assertion_id": AWARDED}},
    ("GET", "/learners/{learner_id}"): {"path": {"learner_id": SELF}},
    **{("GET", p): {"path": {"org_id": OWNER, "badge_id": "app", "assertion_id": AWARDED, "n": 0,
                             "cell_id": "skills.demonstration"}} for p in (
        "/ob/v2/issuers/{org_id}",
        "/ob/v2/issuers/{org_id}/key",
        "/ob/v2/issuers/{org_id}/revocations",
        "/ob/v2/badges/{badge_id}",
        "/ob/v2/badges/{badge_id}/image.svg",
        "/ob/v2/badges/{badge_id}/image.png",
        "/ob/v2/assertions/{assertion_id}",
        "/ob/v2/assertions/{assertion_id}/baked.svg",
        "/ob/v2/assertions/{assertion_id}/baked.png",
        "/ob/v3/issuers/{org_id}",
        "/ob/v3/issuers/{org_id}/status/{n}",
        "/ob/v3/achievements/{badge_id}",
        "/ob/v3/credentials/{assertion_id}",
        "/ob/v3/credentials/{assertion_id}/jwt",
        "/ob/v3/credentials/{assertion_id}/baked.svg",
        "/ob/v3/credentials/{assertion_id}/baked.png",
        "/ob/spine/{cell_id}",
    )},
}


def parse_matrix(text: str) -> dict[tuple[str, str], dict[str, int]]:
    """The table as ``{(method, path): {role: status}}``."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.strip().splitlines()[2:]]
    return {(r[0], r[1]): dict(zip(ROLES, map(int, r[2:]))) for r in rows}


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app answers (HEAD, which mirrors GET, left out),
    included routers flattened (``fastapi.routing.iter_route_contexts``)."""
    out = set()
    for route in iter_route_contexts(app.routes):
        out |= {(m, route.path) for m in (route.methods or set()) - {"HEAD"}}
    return out


def _seed(store: GraphStore, tmp: Path) -> None:
    store.clear()
    store.apply_schema()
    ingest_catalogue(store, write_yaml(tmp / "city.yaml", minimal_catalogue()))
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "idle-org", "props": {"name": "Idle"}}]})
    store.write(queries.merge_nodes(Label.PLACE), {"rows": [{"id": "spare-place", "props": {"name": "Spare"}}]})
    # what the DELETE rows delete: nothing uses them (a theme in a badge, an opportunity
    # with a claim code not revoked, are kept: 409)
    store.write(queries.merge_nodes(Label.THEME), {"rows": [{"id": "spare-theme", "props": {"name": "Spare"}}]})
    store.write(queries.catalogue_upsert(Label.OPPORTUNITY, create=True), {
        "id": "spare-opportunity", "props": {"name": "Spare", "mode": "online"}, "l0": [OWNER], "l1": [], "l2": [],
        "l3": ["app"]})
    store.write(queries.catalogue_upsert(Label.BADGE, create=True), {
        "id": "spare", "props": {"name": "Spare"}, "l0": [OWNER], "l1": ["skills.engagement"], "l2": []})
    steps = [{"id": "draft-pathway.step-1", "order": 1, "props": {"title": "One", "required": 1, "optional": False},
              "badges": ["app"]}]
    store.write(queries.pathway_upsert(create=True), {
        "id": "draft-pathway", "props": {"title": "Draft", "description": "", "status": "draft",
                                         "kind": "recommended"},
        "organisation": OWNER, "destination": "employment", "completion_badge": None, "steps": steps})
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": f"a{i}", "organisation_id": "library", "badge_id": b, "learner_id": l, "learner_props": {},
         "props": {"status": "accepted", "issued_on": 1_700_000_000 + i}}
        for i, (l, b) in enumerate([(SELF, "taster"), (SELF, "club"), (OTHER_LEARNER, "taster"),
                                    (OTHER_LEARNER, "app"), ("l3", "club"), ("l3", "app")])]})
    issuing.award(store, OWNER, issuing.AwardRequest("app", issuing.Recipient("url", f"http://127.0.0.1:8000/learners/{SELF}"),
                                                     learner_id=SELF, idempotency_key="matrix"), pepper=b"matrix")
    issuing.award(store, OWNER, issuing.AwardRequest("app", issuing.Recipient("email", NOTICED_EMAIL),
                                                     idempotency_key="matrix-notice"), pepper=b"matrix")
    far = 4_000_000_000
    for secret, kind, extra in ((CLAIM_TOKEN, access.CLAIM, {"assertion_id": AWARDED}), (SIGNIN_TOKEN, access.SIGNIN, {}),
                                (REFRESH_TOKEN, access.REFRESH, {})):
        store.write(learner_queries.CREATE_ACCESS_TOKEN, {"rows": [{"id": access.digest(secret), "props": {
            "kind": kind, "learner_id": SELF, "created_on": 0, "expires_on": far, "max_uses": 1, **extra}}]})
    # the code's badge: one online-course awards that neither learner holds (a held one answers 200)
    store.write(queries.catalogue_upsert(Label.BADGE, create=True), {
        "id": "event", "props": {"name": "Event"}, "l0": [OWNER], "l1": ["skills.engagement"], "l2": []})
    store.write("MATCH (op:Opportunity {id: 'online-course'}), (b:Badge {id: 'event'}) CREATE (op)-[:AWARDS]->(b)")
    store.write(learner_queries.CREATE_CLAIM_CODE, {
        "id": CODE_ID, "organisation_id": OWNER, "badge_id": "event", "opportunity_id": "online-course",
        "props": {"code_hash": access.digest(CLAIM_CODE), "hint": "6789", "valid_from": 0, "valid_until": far,
                  "max_claims": 10, "created_on": 0, "organisation_id": OWNER}})
    enrolments.enrol(store, SELF, "into-tech")


@pytest.fixture
def world(store: GraphStore, tmp_path: Path):
    _seed(store, tmp_path)
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0, signin_emails_per_hour=1000,
                              mail_outbox=tmp_path / "outbox"), store=store)
    with TestClient(app) as client:
        def headers() -> dict[str, dict[str, str]]:
            secret = app.state.token_secret
            return {
                "none": {},
                "admin": {"X-API-Key": create_key(store, "admin").secret},
                "org-owner": {"X-API-Key": create_key(store, "organisation", organisation_id=OWNER).secret},
                "org-other": {"X-API-Key": create_key(store, "organisation", organisation_id=OTHER).secret},
                "partner": {"X-API-Key": create_key(store, "partner", origins=["https://p.example"]).secret,
                            "Origin": "https://p.example"},
                "learner-self": {"Authorization": f"Bearer {issue_learner_token(secret, SELF)}"},
                "learner-other": {"Authorization": f"Bearer {issue_learner_token(secret, OTHER_LEARNER)}"},
            }

        def reseed() -> dict[str, dict[str, str]]:
            _seed(store, tmp_path)
            return headers()

        yield client, headers(), reseed


def test_docs_hold_the_same_table() -> None:
    docs = (REPO / "docs" / "roles.md").read_text(encoding="utf-8")
    assert parse_matrix(MATRIX) == parse_matrix(re.search(r"(\| method \|.*?)\n\n", docs + "\n\n", re.S).group(1))


def test_every_route_is_in_the_matrix(world) -> None:
    client, _, _ = world
    routes, matrix = app_routes(client.app), parse_matrix(MATRIX)
    assert not routes - set(matrix), f"routes missing from the role matrix: {sorted(routes - set(matrix))}"
    assert not set(matrix) - routes, f"matrix rows for routes the app lacks: {sorted(set(matrix) - routes)}"


def test_every_route_for_every_role(world) -> None:
    client, headers, reseed = world
    wrong = []
    for (method, path), expected in parse_matrix(MATRIX).items():
        spec = REQUESTS.get((method, path), {})
        url = path.format(**spec.get("path", {}))
        for role in ROLES:
            r = client.request(method, url, headers={**headers[role], **spec.get("headers", {})},
                               json=spec.get("json"), content=spec.get("content"))
            if r.status_code != expected[role]:
                wrong.append(f"{method} {path} as {role}: {r.status_code} (documented {expected[role]}) "
                             f"{r.text[:160]}")
            if method != "GET" and r.status_code < 300:
                headers = reseed()
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json"), (method, path, role)
    assert not wrong, "\n".join(wrong)


def test_a_refused_reader_of_a_learners_recommendations_is_told_who_may(world) -> None:
    """An organisation key was told "only the learner themself may read this", while partner
    and admin keys may too: each refused caller is told what is true for it, from the rule."""
    client, headers, _ = world
    may = "an admin key, a partner key the learner allows or the learner's own token may"
    told = {"org-owner": f"an organisation key may not read a learner's recommendations; {may}",
            "org-other": f"an organisation key may not read a learner's recommendations; {may}",
            "learner-other": f"another learner's token may not read a learner's recommendations; {may}"}
    for method, path in [("GET", "/learners/{learner_id}/next"), ("GET", "/learners/{learner_id}/pathways"),
                         ("POST", "/learners/{learner_id}/pathways/interest")]:
        spec = REQUESTS[(method, path)]
        for role, detail in told.items():
            r = client.request(method, path.format(**spec["path"]), headers=headers[role], json=spec.get("json"))
            assert (r.status_code, r.json()["detail"]) == (403, detail), (method, path, role)
