"""An example for every request body of the API, from the demo city (Brackenford),
added to the OpenAPI document so that ``/docs`` fills "Try it out" with a body
that works on ``make run``'s data and ``/redoc`` shows one.

``EXAMPLES`` maps ``(method, path template, media type)`` to the example;
``add_examples`` puts each on its operation's ``requestBody`` and raises when an
operation has a JSON or text body without one, so a new route cannot go
undocumented (``tests/unit/test_openapi_examples.py`` also validates each JSON
example against its schema). Binary bodies (a baked PNG or SVG for ``/verify``)
and a bare VC-JWT get a description of what to send instead: an example image
is no use in a form, and clients (schemathesis among them) cannot serialize an
example of ``application/vc+jwt``.
"""

from __future__ import annotations

from typing import Any

_JWT = ("eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHA6Ly8xMjcuMC4wLjE6ODAwMC9vYi92My9pc3N1ZXJzL2JyYWNrZW5mb3JkLWNvbGxlZ2Uja2V5LTAifQ"
        ".eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwMDAvb2IvdjMvaXNzdWVycy9icmFja2VuZm9yZC1jb2xsZWdlIn0"
        ".c2lnbmF0dXJl")
_OPPORTUNITY = {
    "id": "coding-taster-spring", "name": "Saturday Coding Taster (spring)", "kind": "event",
    "description": "Two hours, no experience needed: make a small animation and see what coding is like.",
    "organisation": "brackenford-libraries", "mode": "offline", "place": "northgate-library",
    "url": "https://libraries.brackenford.example/coding-taster", "themes": ["digital"], "badges": ["digital-explorer"],
    "sessions": ["2027-03-06T10:00:00Z/2027-03-06T12:00:00Z", "2027-04-03T10:00:00Z/2027-04-03T12:00:00Z"],
}
_PATHWAY = {
    "id": "green-leader", "title": "Green Leader", "organisation": "greenway-trust",
    "description": "From a river clean-up to leading an eco team in your district.",
    "destination": "civic_engagement",
    "steps": [{"title": "Get outside", "badges": ["river-guardian", "tree-planter"]},
              {"title": "Learn the science", "badges": ["climate-literate"]},
              {"title": "Lead a team", "badges": ["eco-team-leader"]}],
}

#: ``(method, path, media type)`` -> example body.
EXAMPLES: dict[tuple[str, str, str], Any] = {
    ("post", "/organisations/{org_id}/badges/{badge_id}/assertions", "application/json"): {
        "learner_id": "bf-0476", "evidence_url": "https://www.brackenford-college.example/showcase/bf-0476",
        "narrative": "Built and demonstrated a bus-times web app at the college showcase.",
        "issued_on": "2026-11-30T17:00:00Z"},
    ("post", "/organisations/{org_id}/assertions/csv", "text/csv"):
        "badge_id,email,narrative,issued_on\n"
        "first-web-app,sam.okafor@example.org,Built a bus-times web app,2026-11-30\n"
        "data-detective,ria.patel@example.org,Charted Brackenford's air quality,2026-11-30\n",
    ("post", "/assertions/{assertion_id}/revoke", "application/json"): {
        "reason": "Awarded to the wrong learner; re-issued to the right one."},
    ("post", "/assertions/{assertion_id}/notice", "application/json"): {"email": "ria.patel@example.org"},
    ("post", "/learners/{learner_id}/portfolio/imports", "application/json"): {
        "identity": "sam.okafor@example.org", "credential": _JWT},
    ("post", "/verify", "application/json"): {
        "url": "http://127.0.0.1:8000/ob/v2/assertions/bf-a00001", "identity": None},
    ("post", "/organisations", "application/json"): {
        "id": "brackenford-rowing-club", "name": "Brackenford Rowing Club", "kind": "sports_club",
        "url": "https://rowing.brackenford.example", "email": "hello@rowing.brackenford.example",
        "description": "Learn to row on the River Bracken; boats and coaching for 12-25s."},
    ("patch", "/organisations/{item_id}", "application/json"): {
        "email": "youth@brackenford-libraries.example"},
    ("post", "/opportunities", "application/json"): _OPPORTUNITY,
    ("patch", "/opportunities/{item_id}", "application/json"): {
        "end": "2027-07-15", "url": "https://libraries.brackenford.example/code-club"},
    ("post", "/badges", "application/json"): {
        "id": "river-safety-aware", "name": "River Safety Aware", "issuer": "greenway-trust",
        "description": "Knows how to stay safe on and by the River Bracken.",
        "cells": ["knowledge.engagement"], "themes": ["active-lives", "green-city"],
        "criteria": "Complete the river safety session and its short quiz.", "expires_after_days": 730},
    ("patch", "/badges/{item_id}", "application/json"): {
        "criteria": "Attend two Code Club sessions and share one project."},
    ("post", "/themes", "application/json"): {
        "id": "food-and-growing", "name": "Food and Growing", "kind": "wellbeing",
        "description": "Growing, cooking and sharing food across the city.",
        "destinations": ["education", "enterprise"]},
    ("patch", "/themes/{item_id}", "application/json"): {"description": "Parks, rivers and a cleaner city."},
    ("post", "/destinations", "application/json"): {
        "id": "apprenticeship", "name": "Apprenticeship", "description": "Paid work with training towards a qualification."},
    ("patch", "/destinations/{item_id}", "application/json"): {"description": "Further and higher education."},
    ("post", "/places", "application/json"): {
        "id": "harbourside-boathouse", "name": "Harbourside Boathouse", "kind": "venue",
        "lat": 53.5121, "lon": -1.8583, "within": "harbourside"},
    ("patch", "/places/{item_id}", "application/json"): {"name": "Northgate Library and Community Hub"},
    ("post", "/spine-cells", "application/json"): {
        "id": "skills.mastery", "name": "Skills: mastery", "layer": "mastery", "domain": "skills",
        "layer_rank": 4, "domain_rank": 1, "description": "Teaching and assessing others in a skill."},
    ("patch", "/spine-cells/{item_id}", "application/json"): {
        "description": "Showing a skill in a real setting, seen by others."},
    ("post", "/pathways", "application/json"): _PATHWAY,
    ("patch", "/pathways/{item_id}", "application/json"): {
        "description": "From a coding taster to a placement in a software team."},
    ("post", "/pathways/{item_id}/completions", "application/json"): {"learner_id": "bf-0162"},
    ("post", "/learners/{learner_id}/pathways/interest", "application/json"): {
        "themes": ["digital"], "destinations": ["employment"], "text": "making games and websites",
        "cells": ["skills.demonstration"]},
    ("post", "/visitors/next", "application/json"): {
        "themes": ["health-and-care"], "destinations": ["education"], "text": "maybe working at the hospital",
        "limit": 5, "district": "eastfield", "online": False},
    # learners: sign-in, claim links and codes, their own profile and pathways
    ("post", "/signin/email", "application/json"): {"email": "sam.okafor@example.org"},
    ("post", "/signin/token", "application/json"): {"token": "Zp4Xq9-sT2vW7yB1nM5kL8jH3gF6dS0aQ_rE4tY7uI2"},
    ("post", "/signin/refresh", "application/json"): {"refresh_token": "the-refresh-token-sign-in-answered"},
    ("post", "/claims/view", "application/json"): {"token": "Hk2Lm7Np4Qr9St1Uv6Wx3Yz8Ab5Cd0Ef-Gh_Ij2Kl7M"},
    ("post", "/claims/accept", "application/json"): {"token": "Hk2Lm7Np4Qr9St1Uv6Wx3Yz8Ab5Cd0Ef-Gh_Ij2Kl7M"},
    ("post", "/claims/decline", "application/json"): {"token": "Hk2Lm7Np4Qr9St1Uv6Wx3Yz8Ab5Cd0Ef-Gh_Ij2Kl7M"},
    ("post", "/organisations/{org_id}/claim-codes", "application/json"): {
        "badge_id": "digital-explorer", "opportunity_id": "coding-taster-saturday", "session": "Saturday 10:00",
        "valid_from": "2027-03-06T09:30:00Z", "valid_until": "2027-03-06T13:00:00Z", "max_claims": 30},
    ("post", "/claim-codes/redeem", "application/json"): {"code": "the code shown at the event"},
    ("patch", "/me", "application/json"): {
        "interests": "making games and websites", "themes": ["digital"], "destinations": ["employment"],
        "home_place": "northgate"},
    ("post", "/me/pathways", "application/json"): {"pathway_id": "digital-careers"},
}

#: What to send for a body that an example cannot show (binary, or a media type
#: API clients and fuzzers have no serializer for), instead of an example.
BINARY = {
    "image/png": "A baked badge image, e.g. the file GET /ob/v2/assertions/{id}/baked.png answers.",
    "image/svg+xml": "A baked SVG badge, e.g. the file GET /ob/v2/assertions/{id}/baked.svg answers.",
    "application/vc+jwt": "An OB 3.0 VC-JWT (three base64url parts joined by dots), e.g. the text "
                          "GET /ob/v3/credentials/{id}/jwt answers.",
}

#: What to send for a binary body of one operation, where it is not a baked badge.
BINARY_OPS = {
    ("put", "/badges/{badge_id}/image", "image/png"): "The badge's image: a PNG file (re-encoded when stored).",
    ("put", "/badges/{badge_id}/image", "image/svg+xml"): "The badge's image: an SVG file (sanitised when stored).",
}


def add_examples(schema: dict[str, Any]) -> dict[str, Any]:
    """Put ``EXAMPLES`` on the request bodies of an OpenAPI document (changed in place).

    Returns:
        ``schema``.

    Raises:
        KeyError: an operation has a non-binary body with no example here.
    """
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                binary = BINARY_OPS.get((method, path, media)) or BINARY.get(media)
                if binary:
                    content["schema"] = {**content.get("schema", {}), "description": binary}
                    continue
                key = (method, path, media)
                if key not in EXAMPLES:
                    raise KeyError(f"no request body example for {method.upper()} {path} ({media}): "
                                   "add one to service/examples.py")
                content["example"] = EXAMPLES[key]
    return schema
