"""Request and response bodies of the issuing and verification routes (pydantic v2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator,
                      model_validator)

from colearn import times


class RecipientIn(BaseModel):
    """Who receives the badge; published only as a salted SHA-256 hash (OB 2.0 IdentityObject)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["email", "url"] = Field(description="email or url")
    identity: str = Field(min_length=3, max_length=500, examples=["ada@example.org"])


class AwardCreate(BaseModel):
    """One award. Give a ``recipient``, a ``learner_id``, or both."""

    model_config = ConfigDict(extra="forbid")
    recipient: RecipientIn | None = None
    learner_id: str | None = Field(default=None, min_length=1, max_length=200,
                                   description="an existing learner; without a recipient, the learner's "
                                               "URL here is the (hashed) published identity")
    evidence_url: str | None = Field(default=None, max_length=2000)
    narrative: str | None = Field(default=None, max_length=5000, description="evidence narrative")
    issued_on: times.BoundedTime | None = Field(default=None, description="default: now")
    expires_on: times.BoundedTime | None = Field(default=None,
                                             description="default: issued_on + the badge's expires_after_days")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200,
                                        description="per item of a list (a single award uses the "
                                                    "Idempotency-Key header)")

    @model_validator(mode="after")
    def _someone(self) -> "AwardCreate":
        if self.recipient is None and self.learner_id is None:
            raise ValueError("give a recipient or a learner_id")
        return self


class AwardItems(list[AwardCreate | None]):
    """A list body read item by item: each item as an ``AwardCreate``, or None where it is
    badly shaped, and ``problems``: every shape error of every item (pydantic's error
    dicts, each ``loc`` starting with the item's index). The route answers them all at
    once, with the checks of the well-shaped items (``routers.assertions.award``)."""

    problems: list[dict[str, Any]]


def _items(value: list[Any]) -> AwardItems:
    items = AwardItems()
    items.problems = []
    for i, item in enumerate(value):
        try:
            items.append(AwardCreate.model_validate(item))
        except ValidationError as exc:
            items.append(None)
            items.problems += [{**e, "loc": (i, *e["loc"])} for e in exc.errors()]
    return items


def _by_shape(value: Any, _: ValidatorFunctionWrapHandler) -> AwardCreate | AwardItems:
    # A list is read item by item and anything else as one award, so that an error
    # names the field of the shape sent (``body.recipient.type``, ``body.1.issued_on``),
    # not both of the union's branches under their internal names; a badly shaped item
    # does not hide the others' problems.
    if isinstance(value, list):
        return _items(value)
    return AwardCreate.model_validate(value)


#: The award route's body: one award (an object) or several (a list).
AwardBody = Annotated[AwardCreate | list[AwardCreate], WrapValidator(_by_shape)]


class AssertionLinks(BaseModel):
    """Where the award is published."""

    ob2: str = Field(description="OB 2.0 hosted Assertion")
    ob3: str = Field(description="OB 3.0 credential (Data Integrity proof)")
    ob3_jwt: str = Field(description="OB 3.0 credential as a VC-JWT")
    baked_png: str
    baked_svg: str


class AssertionPublic(BaseModel):
    """An assertion."""

    id: str
    badge_id: str | None = Field(description="null once withdrawn (DELETE /assertions/{id})")
    learner_id: str | None = Field(description="null once withdrawn, or for an award to no learner")
    status: str | None = Field(description="issued, accepted, declined or revoked; null for an award a dry run "
                                           "would create, which does not exist (would_status says the status "
                                           "it would have)")
    issued_on: datetime | None
    expires_on: datetime | None = None
    expired: bool = Field(default=False, description="true from expires_on on (awards.is_expired): the award "
                                                     "no longer counts, whatever its status")
    revocation_reason: str | None = None
    created: bool | None = Field(default=None, description="false when an idempotency key named an "
                                                            "existing assertion, or when the learner already "
                                                            "held the badge live (then this is that award); "
                                                            "null in a dry run, which creates nothing")
    would_create: bool | None = Field(default=None, description="only in a dry run (else null): true when the "
                                                                 "call would create this award, false when it "
                                                                 "would answer one that exists")
    detail: str | None = Field(default=None, description="why no award was (or, in a dry run, would be) made: "
                                                          "the learner already holds the badge live (issued or "
                                                          "accepted, not expired), an earlier record awards it, "
                                                          "or the idempotency key names an award its "
                                                          "organisation withdrew")
    links: AssertionLinks | None = Field(default=None, description="where it is published: any award or pathway "
                                                                   "completion this service issued; null for one "
                                                                   "read from elsewhere (ingested or imported)")
    would_status: str | None = Field(default=None, description="only for an award a dry run would create (else "
                                                                 "null): the status it would have (issued); "
                                                                 "nothing was written")
    dry_run: bool | None = Field(default=None, description="true in a single award's dry run (?dry_run=true): "
                                                           "nothing was written, would_create says what would be")
    notice_held: str | None = Field(default=None, description="why this award's notice was not sent: over the cap "
                                                                "on award notices per recipient address an hour or "
                                                                "per organisation a day (the award is made and "
                                                                "waits for the learner, who sees it on signing in); "
                                                                "null when a notice was sent or none was due")


class Refused(BaseModel):
    """A request of a list (index) or a CSV row (line) that was refused, and why."""

    record: int
    detail: str


class AssertionsPublic(BaseModel):
    """The result of a list or CSV award."""

    data: list[AssertionPublic] = Field(description="one per request not refused, in request order: a new "
                                                     "one, or (created false) the one a key named or the "
                                                     "learner held")
    count: int
    created: int = Field(description="how many awards this call created (0 in a dry run)")
    refused: list[Refused]
    dry_run: bool = Field(default=False, description="true: nothing was written; data and would_create say what "
                                                     "the upload would do (its links are where the awards would "
                                                     "be)")
    would_create: int | None = Field(default=None, description="only in a dry run (else null): how many awards "
                                                                "the upload would create")
    notices_held: int = Field(default=0, description="how many new awards' notices were held by the caps on "
                                                     "award notices (each says why in notice_held)")
    not_shown: int = Field(default=0, description="only in a dry run: the awards after the first 1,000 that data "
                                                  "leaves out (count and would_create include them; refused lists "
                                                  "every refused record)")


class RevokeIn(BaseModel):
    """Why the assertion is revoked (published in the RevocationList and the hosted assertion)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class PortfolioAward(BaseModel):
    """An award in a portfolio."""

    assertion_id: str
    badge_id: str
    name: str | None
    issued_on: datetime | None
    expires_on: datetime | None = None
    expired: bool = Field(default=False, description="true from expires_on on (awards.is_expired), as "
                                                     "GET /assertions/{id} says: such an award is in others")
    status: str | None = Field(default=None, description="accepted in a portfolio cell; issued, declined, "
                                                         "revoked or accepted (then expired is true) in others")
    imported: bool = Field(default=False, description="true: the learner imported it (a badge earned elsewhere); "
                                                      "false: awarded in the city (issued here, or the city's "
                                                      "loaded award history)")
    verified: bool = Field(default=True, description="true for an award of the city; for an import, whether its "
                                                     "origin was established (false: nobody has checked that its "
                                                     "issuer issued it; it counts toward no pathway)")


class PortfolioCell(BaseModel):
    """The awards on one spine cell."""

    cell_id: str | None = Field(description="null for badges aligned to no cell")
    name: str | None = None
    layer: str | None = None
    domain: str | None = None
    awards: list[PortfolioAward]


class PortfolioPublic(BaseModel):
    """``GET /learners/{id}/portfolio``: accepted, unexpired, unrevoked awards by
    spine cell, and the learner's other assertions (to accept, declined, revoked
    or expired)."""

    learner_id: str
    count: int = Field(description="distinct assertions in the portfolio")
    cells: list[PortfolioCell]
    others: list[PortfolioAward]


class VerifyIn(BaseModel):
    """What to verify: exactly one of ``document`` (OB 2.0 Assertion or OB 3.0
    credential JSON), ``jwt`` (an OB 3.0 VC-JWT) or ``url`` (under this service)."""

    model_config = ConfigDict(extra="forbid")
    document: dict[str, Any] | None = None
    jwt: str | None = None
    url: str | None = None
    identity: str | None = Field(default=None, description="the recipient's email or URL, to check the "
                                                           "award is theirs")

    @model_validator(mode="after")
    def _one(self) -> "VerifyIn":
        if sum(x is not None for x in (self.document, self.jwt, self.url)) != 1:
            raise ValueError("give exactly one of document, jwt or url")
        return self


class CheckPublic(BaseModel):
    """One verification check."""

    name: str
    ok: bool | None = Field(description="true passed, false failed, null not made")
    detail: str
    code: str | None = Field(default=None, description=(
        "why, when a caller tells outcomes apart: revoked, unsupported-cryptosuite, tampered, origin, dates, "
        "ob2-signed-unverifiable, signed-without-jws"))


class VerificationPublic(BaseModel):
    """A verification report."""

    valid: bool
    format: str
    id: str | None
    assertion_id: str | None
    baked_in: str | None
    failed: list[str]
    checks: list[CheckPublic]


class ImportIn(BaseModel):
    """A badge earned elsewhere: an OB 2.0 Assertion or OB 3.0 credential (JSON or VC-JWT)."""

    model_config = ConfigDict(extra="forbid")
    credential: dict[str, Any] | str
    identity: str = Field(min_length=3, max_length=500, description="the email or URL it was awarded to")


class ImportPublic(BaseModel):
    """An imported award and the verification it passed."""

    assertion_id: str
    badge_id: str
    verified: bool = Field(description=(
        "whether its origin was established (the issuer's hosted copy or a key known to be the issuer's); "
        "an unverified import is kept, marked, and never completes a pathway"))
    already_imported: bool = Field(False, description=(
        "true when the learner had imported this award before: it is answered as stored (status 200), "
        "and no second copy is made"))
    verification: VerificationPublic
