"""Validation models for Open Badges 2.0 and 3.0 objects: fields as named in the
specs (``OB2_SPEC``, ``OB3_SPEC``); nested objects are validated one class at a
time so that an error cites the right section. The names people are shown (an
issuer's, a badge's or achievement's, a credential's) follow colearn's one rule of
names (``records.fields.Name``: one line, no bidi overrides), in an import as in an ingest."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from colearn.openbadges.rules import parse_datetime
from colearn.records.fields import Name

#: A date and time by the one date syntax rule (``openbadges.rules.parse_datetime``:
#: XML Schema ``dateTimeStamp``, OB 2.0 DateTime, OB 3.0 DateTimeZ). Its bounds are
#: ``rules.date_problem``'s (issue dates) and ``colearn.times.stored_expiry``'s (expiries).
DateTimeZ = Annotated[datetime, BeforeValidator(parse_datetime)]
Text = Annotated[str, Field(min_length=1)]


class _OB(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class OB2Profile(_OB):
    """OB 2.0 Profile used as an issuer (``#Profile``: id, type, name, url, email)."""

    id: Text
    type: Any
    name: Name
    url: Text
    email: Text
    description: str | None = None
    image: Any = None


class OB2BadgeClass(_OB):
    """OB 2.0 BadgeClass (``#BadgeClass``)."""

    id: Text
    type: Any
    name: Name
    description: Text
    image: Any
    criteria: Any
    issuer: Any
    alignment: Any = None
    tags: list[str] | None = None


class OB2Alignment(_OB):
    """OB 2.0 AlignmentObject (``#Alignment``)."""

    targetName: Text
    targetUrl: Text
    targetDescription: str | None = None
    targetFramework: str | None = None
    targetCode: str | None = None


class OB2IdentityObject(_OB):
    """OB 2.0 IdentityObject (``#IdentityObject``)."""

    identity: Text
    type: Text
    hashed: StrictBool
    salt: str | None = None


class OB2Verification(_OB):
    """OB 2.0 VerificationObject (``#VerificationObject``)."""

    type: Any


class OB2Assertion(_OB):
    """OB 2.0 Assertion (``#Assertion``)."""

    id: Text
    type: Any
    recipient: Any
    badge: Any
    verification: Any
    issuedOn: DateTimeZ
    expires: DateTimeZ | None = None
    evidence: Any = None
    narrative: str | None = None


class OB3Credential(_OB):
    """OB 3.0 AchievementCredential / OpenBadgeCredential (a VerifiableCredential)."""

    id: Text
    type: Any
    name: Name | None = None  # optional in the current OB 3.0 data model and JSON Schema
    issuer: Any
    credentialSubject: Any
    validFrom: DateTimeZ | None = None
    issuanceDate: DateTimeZ | None = None
    validUntil: DateTimeZ | None = None
    expirationDate: DateTimeZ | None = None
    awardedDate: DateTimeZ | None = None
    description: str | None = None
    evidence: Any = None


class OB3Subject(_OB):
    """OB 3.0 AchievementSubject (``id`` or ``identifier`` is required)."""

    type: Any
    achievement: Any
    id: Text | None = None
    identifier: Any = None


class OB3Achievement(_OB):
    """OB 3.0 Achievement."""

    id: Text
    type: Any
    name: Name
    description: Text
    criteria: Any
    alignment: Any = None
    creator: Any = None
    image: Any = None
    tag: list[str] | None = None
    achievementType: str | None = None


class OB3Profile(_OB):
    """OB 3.0 Profile (id and type required)."""

    id: Text
    type: Any
    name: Name | None = None
    url: str | None = None
    description: str | None = None
    image: Any = None


class OB3Alignment(_OB):
    """OB 3.0 Alignment."""

    type: Any
    targetName: Text
    targetUrl: Text
    targetCode: str | None = None
    targetFramework: str | None = None
    targetDescription: str | None = None
    targetType: str | None = None


class OB3IdentityObject(_OB):
    """OB 3.0 IdentityObject."""

    type: Text
    hashed: StrictBool
    identityHash: Text
    identityType: Text
    salt: str | None = None


