"""Open Badges 2.0 objects (``Issuer``/``Profile``, ``BadgeClass``, ``Assertion``;
OB2_SPEC) -> parsed shapes."""

from __future__ import annotations

from typing import Any

from colearn.graph.schema import AssertionStatus
from colearn.ingest.openbadges.fields import (
    _alignments,
    _badge_stub,
    _check_dates,
    _clean,
    _criteria,
    _Ctx,
    _dotted,
    _epoch,
    _expiry_epoch,
    _evidence_urls,
    _image_url,
    _learner,
    _need_type,
    _org_stub,
    _types,
    _validated,
    assertion_id,
    badge_id,
    organisation_id,
)
from colearn.ingest.openbadges.models import OB2Assertion, OB2BadgeClass, OB2IdentityObject, OB2Profile, OB2Verification
from colearn.ingest.openbadges.results import SOURCE, OBAssertion, OBBadge, OBDocument, OBOrganisation
from colearn.openbadges.rules import hosted_origin_problem, verification_type


def _ob2_issuer(data: Any, ctx: _Ctx, *, where: str) -> OBOrganisation:
    p = _validated(OB2Profile, data, ctx, cls="Issuer Profile", anchor="Profile", where=where)
    _need_type(p.type, {"Issuer", "Profile"}, ctx, cls="Issuer Profile", anchor="Profile", where=where)
    props = _clean({
        "name": p.name, "url": p.url, "description": p.description,
        "image": _image_url(p.image, ctx, where=_dotted(where, ("image",)), anchor="Profile"),
        "source": SOURCE, "source_url": p.id, "ob_version": "2.0", "stub": False,
    })
    return OBOrganisation(organisation_id(p.id), p.id, props)


def _ob2_badgeclass(data: Any, ctx: _Ctx, *, where: str) -> tuple[OBBadge, list[OBOrganisation]]:
    b = _validated(OB2BadgeClass, data, ctx, cls="BadgeClass", anchor="BadgeClass", where=where)
    _need_type(b.type, {"BadgeClass"}, ctx, cls="BadgeClass", anchor="BadgeClass", where=where)
    if isinstance(b.issuer, str) and b.issuer:
        org = _org_stub(b.issuer, "2.0")
    elif isinstance(b.issuer, dict):
        org = _ob2_issuer(b.issuer, ctx, where=_dotted(where, ("issuer",)))
    else:
        raise ctx.refuse(f"BadgeClass: 'issuer' must be an IRI or an issuer Profile ({ctx.spec('BadgeClass')})",
                         _dotted(where, ("issuer",)))
    cells, align_props = _alignments(b.alignment, ctx, where=_dotted(where, ("alignment",)))
    props = _clean({
        "name": b.name, "description": b.description,
        "image": _image_url(b.image, ctx, where=_dotted(where, ("image",)), anchor="BadgeClass"),
        **_criteria(b.criteria, ctx, where=_dotted(where, ("criteria",)), anchor="Criteria"),
        "tags": [t for t in (b.tags or []) if t],
        **align_props,
        "source": SOURCE, "source_url": b.id, "ob_version": "2.0", "stub": False,
    })
    return OBBadge(badge_id(b.id), b.id, props, issuer_id=org.id, cells=cells), [org]


def _ob2_assertion(data: dict[str, Any], ctx: _Ctx) -> OBDocument:
    a = _validated(OB2Assertion, data, ctx, cls="Assertion", anchor="Assertion")
    _need_type(a.type, {"Assertion"}, ctx, cls="Assertion", anchor="Assertion", where="")
    r = _validated(OB2IdentityObject, a.recipient, ctx, cls="IdentityObject", anchor="IdentityObject",
                   where="recipient")
    learner = _learner(r.identity, r.hashed, r.salt, r.type, ctx, where="recipient.identity",
                       anchor="IdentityObject")
    v = _validated(OB2Verification, a.verification, ctx, cls="VerificationObject", anchor="VerificationObject",
                   where="verification")
    vtypes = _types(v.type, ctx, cls="VerificationObject", anchor="VerificationObject", where="verification")
    _check_dates(ctx, a.issuedOn, a.expires, "issuedOn", "expires", "Assertion")
    if verification_type(data) == "hosted" and (origin := hosted_origin_problem(data)) is not None:
        raise ctx.refuse(f"Assertion: {origin} ({ctx.spec('HostedBadge')})", "id")
    orgs: list[OBOrganisation] = []
    if isinstance(a.badge, str) and a.badge:
        badge = _badge_stub(a.badge, "2.0")
    elif isinstance(a.badge, dict):
        badge, orgs = _ob2_badgeclass(a.badge, ctx, where="badge")
    else:
        raise ctx.refuse(f"Assertion: 'badge' must be an IRI or a BadgeClass ({ctx.spec('Assertion')})", "badge")
    props = _clean({
        "status": str(AssertionStatus.ACCEPTED), "issued_on": _epoch(a.issuedOn), "expires_on": _expiry_epoch(a.expires),
        "verification": vtypes[0], "evidence_urls": _evidence_urls(a.evidence), "narrative": a.narrative,
        "source": SOURCE, "source_url": a.id, "ob_version": "2.0",
    })
    assertion = OBAssertion(assertion_id(a.id), a.id, badge.id, badge.issuer_id, learner, props)
    return OBDocument(ctx.file, "2.0", "Assertion", a.id, organisations=orgs, badges=[badge],
                      assertions=[assertion])


