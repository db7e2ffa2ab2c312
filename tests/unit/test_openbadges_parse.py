"""Parsing and validating Open Badges documents, without a store."""

from __future__ import annotations

import copy
from dataclasses import replace
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from colearn.errors import InvalidInput
from colearn.ingest.openbadges import (
    badge_id,
    hash_identity,
    learner_id,
    organisation_id,
    parse_openbadges_document,
)
from colearn.ingest.openbadges.results import ASSERTION_PROPS

OB2 = "https://w3id.org/openbadges/v2"
OB3 = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

ISSUER = {"type": "Profile", "id": "https://example.org/organization.json", "name": "An Example Badge Issuer",
          "url": "https://example.org", "email": "contact@example.org"}
BADGE = {"type": "BadgeClass", "id": "https://example.org/robotics-badge.json", "name": "Awesome Robotics Badge",
         "description": "For doing awesome things with robots.", "image": "https://example.org/robotics-badge.png",
         "criteria": {"narrative": "Build a robot."}, "issuer": ISSUER}
ASSERTION = {"@context": OB2, "type": "Assertion", "id": "https://example.org/beths-robotics-badge.json",
             "recipient": {"type": "email", "hashed": False, "salt": "deadsea", "identity": "beth@example.org"},
             "issuedOn": "2016-12-31T23:59:59Z", "badge": BADGE, "verification": {"type": "hosted"}}
CREDENTIAL = {
    "@context": OB3, "id": "http://example.com/credentials/3527", "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.com/issuers/876543", "type": ["Profile"], "name": "Example Corp"},
    "validFrom": "2010-01-01T00:00:00Z", "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "type": ["AchievementSubject"],
        "achievement": {"id": "https://example.com/achievements/teamwork", "type": ["Achievement"],
                        "criteria": {"narrative": "Nominated by peers."}, "description": "Teamwork.",
                        "name": "Teamwork"}},
}


def write(tmp_path: Path, doc: Any, name: str = "doc.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc, indent=2) if not isinstance(doc, str) else doc, encoding="utf-8")
    return p


def edited(doc: dict[str, Any], path: str, value: Any = ...) -> dict[str, Any]:
    """A deep copy of ``doc`` with the dotted ``path`` set to ``value`` (or removed)."""
    out = copy.deepcopy(doc)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


def test_a_complete_ob2_assertion_with_embedded_badge_and_issuer(tmp_path: Path) -> None:
    doc = parse_openbadges_document(write(tmp_path, ASSERTION))
    assert (doc.version, doc.kind, doc.skipped) == ("2.0", "Assertion", None)
    [org], [badge], [award] = doc.organisations, doc.badges, doc.assertions
    assert org.id == organisation_id(ISSUER["id"]) and not org.stub
    assert org.props["name"] == "An Example Badge Issuer"
    assert "email" not in org.props  # validated, not stored
    assert badge.id == badge_id(BADGE["id"]) and badge.issuer_id == org.id and not badge.stub
    assert badge.props["criteria_narrative"] == "Build a robot."
    assert award.badge_id == badge.id and award.issuer_id == org.id
    assert award.props["issued_on"] == 1483228799 and award.props["status"] == "accepted"


def test_assertion_properties_are_those_the_statement_writes(tmp_path: Path) -> None:
    full = {**ASSERTION, "expires": "2030-01-01T00:00:00Z", "narrative": "Built one.",
            "evidence": [{"id": "https://example.org/evidence/1"}]}
    awards = [*parse_openbadges_document(write(tmp_path, full)).assertions,
              *parse_openbadges_document(write(tmp_path, CREDENTIAL)).assertions]
    for award in awards:
        assert set(award.props) <= set(ASSERTION_PROPS)
    assert {"narrative", "evidence_urls", "expires_on", "verification"} <= set(awards[0].props)
    assert {"name", "ob_version"} <= set(awards[1].props)
    with pytest.raises(ValueError, match="unlisted"):
        replace(awards[0], props={**awards[0].props, "unlisted": 1})


def test_plaintext_recipients_are_hashed_and_never_kept(tmp_path: Path) -> None:
    doc = parse_openbadges_document(write(tmp_path, ASSERTION))
    learner = doc.assertions[0].learner
    expected_hash = "sha256$" + hashlib.sha256(b"beth@example.orgdeadsea").hexdigest()
    assert learner.props["identity_hash"] == expected_hash == hash_identity("beth@example.org", "deadsea")
    assert learner.id == learner_id(expected_hash, "deadsea")
    assert learner.id == "ob-" + hashlib.sha256(f"{expected_hash}$deadsea".encode()).hexdigest()
    assert "beth@example.org" not in json.dumps([learner.props, doc.assertions[0].props])

    # The same person, published hashed with the same salt, is the same learner.
    hashed = edited(ASSERTION, "recipient", {"type": "email", "hashed": True, "salt": "deadsea",
                                             "identity": expected_hash})
    again = parse_openbadges_document(write(tmp_path, hashed, "hashed.json"))
    assert again.assertions[0].learner.id == learner.id


def test_badge_by_url_only_becomes_a_placeholder(tmp_path: Path) -> None:
    doc = parse_openbadges_document(write(tmp_path, edited(ASSERTION, "badge", BADGE["id"])))
    [badge] = doc.badges
    assert badge.stub and badge.props["stub"] is True and badge.props["source_url"] == BADGE["id"]
    assert doc.assertions[0].issuer_id is None and doc.organisations == []


def test_issuer_by_url_only_becomes_a_placeholder(tmp_path: Path) -> None:
    doc = parse_openbadges_document(write(tmp_path, {"@context": OB2, **edited(BADGE, "issuer", ISSUER["id"])}))
    [org] = doc.organisations
    assert org.stub and org.props["stub"] is True and org.source_url == ISSUER["id"]
    assert doc.badges[0].issuer_id == org.id


def test_alignment_to_a_spine_cell_and_to_other_frameworks(tmp_path: Path) -> None:
    alignment = [
        {"targetName": "Skills: demonstration", "targetUrl": "https://city.example/spine/skills.demonstration",
         "targetCode": "skills.demonstration", "targetFramework": "Cities of Learning spine"},
        {"targetName": "Problem-Solving", "targetUrl": "https://example.org/skills#problem-solving",
         "targetFramework": "Mozilla 21st Century Skills"},
        {"targetName": "Not our spine", "targetUrl": "https://example.org/x", "targetCode": "skills.demonstration",
         "targetFramework": "Another framework"},
    ]
    doc = parse_openbadges_document(write(tmp_path, {"@context": OB2, **BADGE, "alignment": alignment}))
    [badge] = doc.badges
    assert badge.cells == ("skills.demonstration",)
    assert badge.props["alignment_names"] == ["Problem-Solving", "Not our spine"]
    assert badge.props["alignment_urls"] == ["https://example.org/skills#problem-solving", "https://example.org/x"]


@pytest.mark.parametrize(("path", "value", "fld", "words"), [
    ("badge.issuer.email", ..., "badge.issuer.email", "incomplete Issuer Profile: missing required field"),
    ("badge.criteria", ..., "badge.criteria", "incomplete BadgeClass"),
    ("recipient.hashed", ..., "recipient.hashed", "incomplete IdentityObject"),
    ("verification", ..., "verification", "incomplete Assertion"),
    ("issuedOn", "2016-12-31T23:59:59", "issuedOn", "no time zone"),
    ("issuedOn", 1483228799, "issuedOn", "ISO 8601"),
    ("recipient", {"type": "email", "hashed": True, "identity": "beth@example.org"}, "recipient.identity",
     "IdentityHash"),
    ("badge", 42, "badge", "IRI or a BadgeClass"),
    ("badge.type", "Badge", "badge.type", "must include BadgeClass"),
    # the names people are shown follow the one rule of names (records.fields.Name)
    ("badge.name", "Safe badge \u202egnp.exe", "badge.name", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("badge.issuer.name", "College\u2066 of x", "badge.issuer.name", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("badge.name", "Two\nlines", "badge.name", "one line"),
])
def test_ob2_refusals_name_the_field(tmp_path: Path, path: str, value: Any, fld: str, words: str) -> None:
    p = write(tmp_path, edited(ASSERTION, path, value))
    with pytest.raises(InvalidInput) as err:
        parse_openbadges_document(p)
    assert err.value.file == str(p)
    assert err.value.field == fld
    assert words in str(err.value)
    assert "imsglobal.org" in str(err.value)  # cites the spec


def test_right_to_left_and_joined_names_are_taken(tmp_path: Path) -> None:
    doc = edited(edited(ASSERTION, "badge.name", "شارة الروبوتات \U0001f469\u200d\U0001f4bb"),
                 "badge.issuer.name", "מכללה\u200f")
    assert parse_openbadges_document(write(tmp_path, doc)).badges[0].props["name"].startswith("شارة")


def test_all_missing_fields_are_listed(tmp_path: Path) -> None:
    doc = {"@context": OB2, "type": "BadgeClass", "id": "https://example.org/b.json", "name": "B"}
    with pytest.raises(InvalidInput) as err:
        parse_openbadges_document(write(tmp_path, doc))
    msg = str(err.value)
    for f in ("description", "image", "criteria", "issuer"):
        assert f"'{f}'" in msg
    assert err.value.field == "description"


def test_a_complete_ob3_credential(tmp_path: Path) -> None:
    doc = parse_openbadges_document(write(tmp_path, CREDENTIAL))
    assert (doc.version, doc.kind) == ("3.0", "OpenBadgeCredential")
    [award] = doc.assertions
    assert award.props["issued_on"] == 1262304000
    assert award.issuer_id == organisation_id("https://example.com/issuers/876543")
    assert doc.badges[0].issuer_id == award.issuer_id  # no creator: the issuer defines it
    assert award.learner.props["recipient_type"] == "id"
    assert "did:example" not in json.dumps(award.learner.props)


def test_ob3_vcdm11_dates_and_identifier_subjects(tmp_path: Path) -> None:
    doc = edited(CREDENTIAL, "validFrom")
    doc["issuanceDate"] = "2011-01-01T00:00:00Z"
    doc["expirationDate"] = "2012-01-01T00:00:00Z"
    doc["credentialSubject"] = edited(doc["credentialSubject"], "id")
    doc["credentialSubject"]["identifier"] = [{"type": "IdentityObject", "identityHash": "student@example.edu",
                                               "identityType": "emailAddress", "hashed": False, "salt": "s"}]
    parsed = parse_openbadges_document(write(tmp_path, doc))
    award = parsed.assertions[0]
    assert award.props["issued_on"] == 1293840000 and award.props["expires_on"] == 1325376000
    assert award.learner.props == {"source": "openbadges", "identity_hash": hash_identity("student@example.edu", "s"),
                                   "recipient_type": "emailAddress", "salt": "s"}


@pytest.mark.parametrize(("path", "value", "fld", "words"), [
    ("validFrom", ..., "validFrom", "missing required field 'validFrom'"),
    ("name", ..., None, None),  # optional in the current OB 3.0 data model and schema
    ("credentialSubject.achievement.criteria", ..., "credentialSubject.achievement.criteria", "incomplete Achievement"),
    ("credentialSubject.id", ..., "credentialSubject.id", "'id' or at least one 'identifier'"),
    ("issuer.type", ..., "issuer.type", "incomplete Profile"),
    ("type", ["VerifiableCredential", "OpenBadgeCredential", "X"], None, None),
    ("type", ["OpenBadgeCredential"], "type", "must include VerifiableCredential"),
    ("name", "Team\u202ework", "name", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("credentialSubject.achievement.name", "Team\u200bwork", "credentialSubject.achievement.name",
     "U+200B ZERO WIDTH SPACE"),
    ("issuer.name", "Example\u202bCorp", "issuer.name", "U+202B RIGHT-TO-LEFT EMBEDDING"),
])
def test_ob3_refusals_name_the_field(tmp_path: Path, path: str, value: Any, fld: str | None,
                                     words: str | None) -> None:
    p = write(tmp_path, edited(CREDENTIAL, path, value))
    if fld is None:
        assert parse_openbadges_document(p).assertions  # extra types are fine
        return
    with pytest.raises(InvalidInput) as err:
        parse_openbadges_document(p)
    assert err.value.field == fld
    assert words in str(err.value)


@pytest.mark.parametrize(("text", "line", "col", "words"), [
    ('{\n  "a": 1,\n}\n', 3, 1, "trailing comma"),
    ('{\n  "a": [1, 2,]\n}\n', 2, 14, "trailing comma"),
    ('{\n  "a": "one\ntwo"\n}\n', 2, 12, "control character"),
    ('{\n  "a": {\n    "b": 1\n}\n', 5, 1, "ends before every"),
    ("{'a': 1}", 1, 2, "double quotes"),
])
def test_json_errors_give_line_column_and_cause(tmp_path: Path, text: str, line: int, col: int, words: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(InvalidInput) as err:
        parse_openbadges_document(p)
    msg = str(err.value)
    assert str(p) in msg and f"line {line}, column {col}" in msg and words in msg
    assert err.value.record == line


@pytest.mark.parametrize(("doc", "words"), [
    ([ASSERTION], "one JSON object"),
    ({"@context": OB2, "id": "x"}, "missing required field 'type'"),
    ({"@context": "https://example.org/ctx", "type": "Assertion", "id": "x"}, "unsupported @context"),
    ({"type": "Assertion", "id": "x"}, "missing required field '@context'"),
    ({"@context": OB2, "type": "Achievement", "id": "x"}, "not an Open Badges 2.0 object"),
])
def test_documents_that_are_not_ob_objects(tmp_path: Path, doc: Any, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_openbadges_document(write(tmp_path, doc))
    assert words in str(err.value)


def test_recognised_types_are_skipped_with_a_reason(tmp_path: Path) -> None:
    key = {"@context": OB2, "type": "CryptographicKey", "id": "https://example.org/key"}
    doc = parse_openbadges_document(write(tmp_path, key))
    assert doc.kind == "CryptographicKey" and "signing key" in (doc.skipped or "")
    revoked = {"@context": OB2, "type": "Assertion", "id": "https://example.org/a", "revoked": True}
    doc = parse_openbadges_document(write(tmp_path, revoked, "revoked.json"))
    assert doc.kind == "Assertion" and "revoked" in (doc.skipped or "")
    endorsement = {"@context": OB3, "type": ["VerifiableCredential", "EndorsementCredential"], "id": "urn:x"}
    doc = parse_openbadges_document(write(tmp_path, endorsement, "e.json"))
    assert doc.kind == "EndorsementCredential" and doc.skipped


def test_standalone_ob3_achievement_and_profile(tmp_path: Path) -> None:
    ach = {"@context": OB3, **CREDENTIAL["credentialSubject"]["achievement"],
           "creator": {"id": "https://example.com/issuers/1", "type": ["Profile"], "name": "Maker"}}
    doc = parse_openbadges_document(write(tmp_path, ach))
    assert doc.kind == "Achievement" and doc.badges[0].issuer_id == organisation_id("https://example.com/issuers/1")
    prof = {"@context": OB3, "id": "https://example.com/issuers/2", "type": "Profile"}
    doc = parse_openbadges_document(write(tmp_path, prof, "p.json"))
    assert doc.kind == "Profile" and doc.organisations[0].id == organisation_id(prof["id"])
