"""Open Badges 3.0 objects (``Profile``, ``Achievement``, ``OpenBadgeCredential`` /
``AchievementCredential``; OB3_SPEC) -> parsed shapes."""

from __future__ import annotations

from typing import Any

from colearn.graph.schema import AssertionStatus
from colearn.ingest.openbadges.fields import (
    _alignments,
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
    _validated,
    assertion_id,
    badge_id,
    organisation_id,
)
from colearn.ingest.openbadges.models import OB3Achievement, OB3Credential, OB3IdentityObject, OB3Profile, OB3Subject
from colearn.ingest.openbadges.results import SOURCE, OBAssertion, OBBadge, OBDocument, OBLearner, OBOrganisation
from colearn.openbadges.recognise import ob3_date_fields


def _ob3_profile(data: Any, ctx: _Ctx, *, where: str) -> OBOrganisation:
    if isinstance(data, str) and data:
        return _org_stub(data, "3.0")
    p = _validated(OB3Profile, data, ctx, cls="Profile", anchor="profile", where=where)
    _need_type(p.type, {"Profile"}, ctx, cls="Profile", anchor="profile", where=where)
    props = _clean({
        "name": p.name, "url": p.url, "description": p.description,
        "image": _image_url(p.image, ctx, where=_dotted(where, ("image",)), anchor="profile"),
        "source": SOURCE, "source_url": p.id, "ob_version": "3.0", "stub": False,
    })
    return OBOrganisation(organisation_id(p.id), p.id, props)


def _ob3_achievement(data: Any, ctx: _Ctx, *, where: str,
                     issuer: OBOrganisation | None) -> tuple[OBBadge, list[OBOrganisation]]:
    a = _validated(OB3Achievement, data, ctx, cls="Achievement", anchor="achievement", where=where)
    _need_type(a.type, {"Achievement"}, ctx, cls="Achievement", anchor="achievement", where=where)
    orgs: list[OBOrganisation] = []
    definer = issuer
    if a.creator is not None:
        definer = _ob3_profile(a.creator, ctx, where=_dotted(where, ("creator",)))
        orgs.append(definer)
    cells, align_props = _alignments(a.alignment, ctx, where=_dotted(where, ("alignment",)))
    props = _clean({
        "name": a.name, "description": a.description,
        "image": _image_url(a.image, ctx, where=_dotted(where, ("image",)), anchor="achievement"),
        **_criteria(a.criteria, ctx, where=_dotted(where, ("criteria",)), anchor="criteria"),
        "tags": [t for t in (a.tag or []) if t], "achievement_type": a.achievementType,
        **align_props,
        "source": SOURCE, "source_url": a.id, "ob_version": "3.0", "stub": False,
    })
    return OBBadge(badge_id(a.id), a.id, props, issuer_id=definer.id if definer else None, cells=cells), orgs


def _ob3_learner(s: OB3Subject, ctx: _Ctx) -> OBLearner:
    where = "credentialSubject"
    if s.id:
        return _learner(s.id, False, None, "id", ctx, where=f"{where}.id", anchor="achievementsubject")
    idents = s.identifier if isinstance(s.identifier, list) else [s.identifier] if s.identifier else []
    if not idents:
        raise ctx.refuse("incomplete AchievementSubject: it needs an 'id' or at least one 'identifier' "
                         f"({ctx.spec('achievementsubject')})", f"{where}.id")
    i = _validated(OB3IdentityObject, idents[0], ctx, cls="IdentityObject", anchor="identityobject",
                   where=f"{where}.identifier.0")
    return _learner(i.identityHash, i.hashed, i.salt, i.identityType, ctx,
                    where=f"{where}.identifier.0.identityHash", anchor="identityobject")


def _ob3_credential(data: dict[str, Any], ctx: _Ctx, types: list[str]) -> OBDocument:
    anchor = "achievementcredential"
    c = _validated(OB3Credential, data, ctx, cls="AchievementCredential", anchor=anchor)
    if "VerifiableCredential" not in types:
        raise ctx.refuse(f"AchievementCredential: 'type' {types} must include VerifiableCredential "
                         f"({ctx.spec(anchor)})", "type")
    issued = c.validFrom or c.issuanceDate
    if issued is None:
        raise ctx.refuse("incomplete AchievementCredential: missing required field 'validFrom' (or "
                         f"'issuanceDate' in credentials written for VCDM 1.1) ({ctx.spec(anchor)})", "validFrom")
    expires = c.validUntil or c.expirationDate
    _check_dates(ctx, issued, expires, *ob3_date_fields(data), "AchievementCredential")
    issuer = _ob3_profile(c.issuer, ctx, where="issuer")
    if isinstance(c.credentialSubject, list):
        raise ctx.refuse("AchievementCredential: 'credentialSubject' must be one AchievementSubject object, "
                         f"not a list ({ctx.spec(anchor)})", "credentialSubject")
    s = _validated(OB3Subject, c.credentialSubject, ctx, cls="AchievementSubject", anchor="achievementsubject",
                   where="credentialSubject")
    _need_type(s.type, {"AchievementSubject"}, ctx, cls="AchievementSubject", anchor="achievementsubject",
               where="credentialSubject")
    learner = _ob3_learner(s, ctx)
    badge, orgs = _ob3_achievement(s.achievement, ctx, where="credentialSubject.achievement", issuer=issuer)
    props = _clean({
        "status": str(AssertionStatus.ACCEPTED), "issued_on": _epoch(issued), "expires_on": _expiry_epoch(expires),
        "name": c.name, "evidence_urls": _evidence_urls(c.evidence),
        "source": SOURCE, "source_url": c.id, "ob_version": "3.0",
    })
    assertion = OBAssertion(assertion_id(c.id), c.id, badge.id, issuer.id, learner, props)
    kind = "OpenBadgeCredential" if "OpenBadgeCredential" in types else "AchievementCredential"
    return OBDocument(ctx.file, "3.0", kind, c.id, organisations=[issuer, *orgs], badges=[badge],
                      assertions=[assertion])


