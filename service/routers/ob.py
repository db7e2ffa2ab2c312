"""Open Badges documents at stable public URLs (no credentials: backpacks and verifiers fetch them).

OB 2.0 hosted verification (IMS Global Open Badges v2.0, "Hosted
Verification"): ``/ob/v2/issuers/{id}`` (Profile), ``.../key``
(CryptographicKey), ``.../revocations`` (RevocationList), ``/ob/v2/badges/{id}``
(BadgeClass) and its image (``image.svg``, ``image.png``: the artwork in use), ``/ob/v2/assertions/{id}`` (Assertion;
410 Gone with ``revoked`` and ``revocationReason`` once revoked) and baked
PNG / SVG downloads. OB 3.0: ``/ob/v3/issuers/{id}`` (Profile with the
Multikey verification method), ``.../status/{n}`` (the signed Bitstring
Status List), ``/ob/v3/achievements/{id}``, ``/ob/v3/credentials/{id}`` (Data
Integrity), ``.../jwt`` (VC-JWT) and baked downloads. ``/ob/spine/{cell}`` is
the page an alignment's ``targetUrl`` points to.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse, Response

from colearn.errors import NotFound
from colearn.graph import queries
from colearn.openbadges import images
from colearn.service.deps import StoreDep
from colearn.service.openbadges_deps import PublisherDep
from colearn.service.problems import problem_responses

router = APIRouter(prefix="/ob", tags=["open badges"])

LD_JSON = "application/ld+json"
VC_JWT = "application/vc+jwt"
Id = Annotated[str, Path(min_length=1, max_length=200)]
_404 = problem_responses(404)


class LDJSONResponse(JSONResponse):
    """JSON-LD (``application/ld+json``), as Open Badges documents are served and documented."""

    media_type = LD_JSON


def _ld(document: dict[str, Any], status: int = 200) -> JSONResponse:
    return LDJSONResponse(document, status_code=status, headers={"Cache-Control": "no-cache"})


@router.get("/v2/issuers/{org_id}", responses=_404, response_class=LDJSONResponse)
def issuer_v2(pub: PublisherDep, org_id: Id) -> JSONResponse:
    """OB 2.0 issuer Profile (id, type, name, url, email, publicKey, revocationList)."""
    return _ld(pub.issuer_v2(org_id))


@router.get("/v2/issuers/{org_id}/key", responses=_404, response_class=LDJSONResponse)
def issuer_key(pub: PublisherDep, org_id: Id) -> JSONResponse:
    """OB 2.0 CryptographicKey: the issuer's Ed25519 public key as PEM."""
    return _ld(pub.key_v2(org_id))


@router.get("/v2/issuers/{org_id}/revocations", responses=_404, response_class=LDJSONResponse)
def revocations(pub: PublisherDep, org_id: Id) -> JSONResponse:
    """OB 2.0 RevocationList of the issuer."""
    return _ld(pub.revocation_list(org_id))


@router.get("/v2/badges/{badge_id}", responses=_404, response_class=LDJSONResponse)
def badgeclass(pub: PublisherDep, badge_id: Id) -> JSONResponse:
    """OB 2.0 BadgeClass with spine alignments and theme tags."""
    return _ld(pub.badgeclass(badge_id))


def _badge_look(pub: PublisherDep, badge_id: str) -> tuple[str, str | None, str]:
    info = pub.badge_info(badge_id)
    first = info["cells"][0] if info["cells"] else {}
    return str(info["props"].get("name") or badge_id), first.get("layer"), str(first.get("name") or "")


#: The media type of each image kind.
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
#: An uploaded SVG is sanitised; opened on its own it may still run nothing and load
#: nothing but the ``data:`` PNG a PNG upload is shown through (``images.png_as_svg``).
IMAGE_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}


def _artwork(pub: PublisherDep, badge_id: str, kind: str) -> Response:
    art = images.artwork(pub.store, badge_id, *_badge_look(pub, badge_id), kind)
    return Response(art, media_type=MEDIA_TYPES[kind], headers=IMAGE_HEADERS)


@router.get("/v2/badges/{badge_id}/image.svg", responses=_404, response_class=Response)
def badge_image_svg(pub: PublisherDep, badge_id: Id) -> Response:
    """The badge's image as SVG (``images.artwork``): its uploaded SVG, its uploaded PNG
    shown in an SVG, else the generated disc in its spine layer's colour with its name."""
    return _artwork(pub, badge_id, "svg")


@router.get("/v2/badges/{badge_id}/image.png", responses=_404, response_class=Response)
def badge_image_png(pub: PublisherDep, badge_id: Id) -> Response:
    """The badge's image as PNG (``images.artwork``): its uploaded PNG, else the generated
    disc with its name (an uploaded SVG is published as ``image.svg``)."""
    return _artwork(pub, badge_id, "png")


_REVOKED = {410: {"description": "revoked", "content": {LD_JSON: {"schema": {"type": "object"}}}}}


@router.get("/v2/assertions/{assertion_id}", responses={**_404, **_REVOKED}, response_class=LDJSONResponse)
def assertion_v2(pub: PublisherDep, assertion_id: Id) -> JSONResponse:
    """OB 2.0 hosted Assertion; once revoked, 410 with ``revoked: true`` and the reason."""
    hosted = pub.assertion_v2(assertion_id)
    return _ld(hosted.document, hosted.status)


def _baked(pub: PublisherDep, assertion_id: str, ext: str, version: int) -> Response:
    """A baked download answers as the document it carries: OB 2.0 as the hosted
    assertion (410 with the revocation once revoked), OB 3.0 as the credential (a
    revoked one still served, its status list saying so; 404 once withdrawn)."""
    record = pub.issued(assertion_id)
    hosted = pub.assertion_v2(assertion_id)
    if version == 2 and hosted.status != 200:
        return _ld(hosted.document, hosted.status)
    token = pub.credential_jwt(assertion_id) if version == 3 else ""
    name, layer, caption = _badge_look(pub, record.badge_id or "")
    art = images.artwork(pub.store, record.badge_id or "", name, layer, caption, ext)  # uploaded, or named
    if version == 2:
        data = images.bake_ob2_svg(art, pub.urls.assertion(assertion_id)) \
            if ext == "svg" else images.bake_ob2_png(art, json.dumps(hosted.document))
    else:
        data = images.bake_ob3_svg(art, token) if ext == "svg" else images.bake_ob3_png(art, token)
    return Response(data, media_type=MEDIA_TYPES[ext],
                    headers={"Content-Disposition": f'attachment; filename="{assertion_id}.{ext}"'})


@router.get("/v2/assertions/{assertion_id}/baked.svg", responses=_404, response_class=Response)
def baked_v2_svg(pub: PublisherDep, assertion_id: Id) -> Response:
    """The badge image with the hosted assertion's URL baked in (OB 2.0 Baking)."""
    return _baked(pub, assertion_id, "svg", 2)


@router.get("/v2/assertions/{assertion_id}/baked.png", responses=_404, response_class=Response)
def baked_v2_png(pub: PublisherDep, assertion_id: Id) -> Response:
    """The badge PNG with the hosted assertion JSON baked in (OB 2.0 Baking)."""
    return _baked(pub, assertion_id, "png", 2)


@router.get("/v3/issuers/{org_id}", responses=_404, response_class=LDJSONResponse)
def issuer_v3(pub: PublisherDep, org_id: Id) -> JSONResponse:
    """OB 3.0 issuer Profile with its Ed25519 key as a Multikey verification method."""
    return _ld(pub.issuer_v3(org_id))


#: Media types for which the status list is served as JSON-LD (with a Data Integrity proof).
LD_TYPES = (LD_JSON, "application/vc+ld+json", "application/vc", "application/json")


def _wants_ld(accept: str | None) -> bool:
    """Whether ``Accept`` prefers a JSON-LD form to the VC-JWT (RFC 9110 q-values)."""
    best: tuple[float, bool] = (0.0, False)
    for part in (accept or "").split(","):
        kind, *params = [p.strip() for p in part.split(";")]
        q = next((float(v) for k, _, v in (p.partition("=") for p in params) if k.strip() == "q"
                  and v.replace(".", "", 1).isdigit()), 1.0)
        ld = kind.lower() in LD_TYPES
        if ld or kind.lower() in (VC_JWT, "application/jwt"):
            best = max(best, (q, ld))
    return best[1]


@router.get("/v3/issuers/{org_id}/status/{n}", responses=_404, response_class=Response)
def status_list(pub: PublisherDep, org_id: Id, n: Annotated[int, Path(ge=0, le=100_000)],
                accept: Annotated[str | None, Header()] = None) -> Response:
    """The issuer's n-th revocation list (a BitstringStatusListCredential valid for a
    day): a VC-JWT by default; with ``Accept: application/ld+json`` (or
    ``application/vc+ld+json``, ``application/vc``) the JSON-LD credential with a
    Data Integrity proof (``eddsa-rdfc-2022``)."""
    headers = {"Cache-Control": "max-age=300", "Vary": "Accept"}
    if _wants_ld(accept):
        return LDJSONResponse(pub.status_list_ld(org_id, n), headers=headers)
    return Response(pub.status_list_jwt(org_id, n), media_type=VC_JWT, headers=headers)


@router.get("/v3/achievements/{badge_id}", responses=_404, response_class=LDJSONResponse)
def achievement(pub: PublisherDep, badge_id: Id) -> JSONResponse:
    """OB 3.0 Achievement of a badge."""
    return _ld(pub.achievement_v3(badge_id))


@router.get("/v3/credentials/{assertion_id}", responses=_404, response_class=LDJSONResponse)
def credential(pub: PublisherDep, assertion_id: Id) -> JSONResponse:
    """The award as an OB 3.0 OpenBadgeCredential with a Data Integrity proof
    (eddsa-rdfc-2022); a revoked one is still served (its status list says so)."""
    return _ld(pub.credential_di(assertion_id))


@router.get("/v3/credentials/{assertion_id}/jwt", responses=_404, response_class=Response)
def credential_jwt(pub: PublisherDep, assertion_id: Id) -> Response:
    """The award as an OB 3.0 VC-JWT (EdDSA)."""
    return Response(pub.credential_jwt(assertion_id), media_type=VC_JWT)


@router.get("/v3/credentials/{assertion_id}/baked.svg", responses=_404, response_class=Response)
def baked_v3_svg(pub: PublisherDep, assertion_id: Id) -> Response:
    """The badge image with the VC-JWT baked in (OB 3.0 Baking)."""
    return _baked(pub, assertion_id, "svg", 3)


@router.get("/v3/credentials/{assertion_id}/baked.png", responses=_404, response_class=Response)
def baked_v3_png(pub: PublisherDep, assertion_id: Id) -> Response:
    """The badge PNG with the VC-JWT baked in (OB 3.0 Baking)."""
    return _baked(pub, assertion_id, "png", 3)


@router.get("/spine/{cell_id}", responses=_404)
def spine_cell(store: StoreDep, pub: PublisherDep, cell_id: Id) -> JSONResponse:
    """A spine cell: what an alignment's targetUrl points to."""
    cell = next((c for c in store.read(queries.SPINE_CELLS) if c["id"] == cell_id), None)
    if cell is None:
        raise NotFound(f"spine cell '{cell_id}' does not exist")
    return JSONResponse({"id": pub.urls.spine_cell(cell_id), "code": cell_id, "name": cell["name"],
                         "layer": cell["layer"], "domain": cell["domain"], "framework": pub.framework})
