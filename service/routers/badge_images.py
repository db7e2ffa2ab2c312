"""Badge images: an organisation uploads the image of a badge it defines; anyone fetches it.

``PUT /badges/{badge_id}/image`` takes the raw image as the body (``Content-Type:
image/png`` or ``image/svg+xml``, at most ``openbadges.images.MAX_UPLOAD_BYTES``):
PNGs are re-encoded, SVGs reduced to an allow-list (``openbadges.images.validate_upload``).
``GET /badges/{badge_id}/image`` answers the uploaded image, else the generated
one showing the badge's name; baked downloads (``/ob/.../baked.png|svg``) carry
the same picture.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.errors import InvalidInput, NotFound
from colearn.graph import badge_images, queries
from colearn.openbadges import images
from colearn.service.deps import PrincipalDep, StoreDep
from colearn.service.openbadges_deps import PublisherDep
from colearn.service.problems import problem_responses

router = APIRouter(tags=["badges"])
Id = Annotated[str, Path(min_length=1, max_length=200)]


class ImageStored(BaseModel):
    """An uploaded image, as kept."""

    badge_id: str
    media_type: str
    bytes: int
    url: str


@router.put("/badges/{badge_id}/image", response_model=ImageStored,
            responses=problem_responses(401, 403, 404, 422, 429),
            openapi_extra={"requestBody": {"required": True, "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload(request: Request, principal: PrincipalDep, store: StoreDep, pub: PublisherDep,
                 badge_id: Id) -> ImageStored:
    """Upload (or replace) a badge's image: PNG (re-encoded, at most 2048 px a side) or
    SVG (sanitised), at most 512 KB. Who: admin, or the organisation that defines the badge."""
    rows = await run_in_threadpool(store.read, queries.BADGE_ISSUER, {"id": badge_id})
    if not rows:
        raise NotFound(f"badge '{badge_id}' does not exist")
    issuer = rows[0]["issuer"]
    policy.require(principal, Action.CHANGE_OWN, Resource(f"badge '{badge_id}'", owners=(issuer,) if issuer else ()))
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > images.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the image has {int(declared):,} bytes; at most {images.MAX_UPLOAD_BYTES:,} are accepted")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > images.MAX_UPLOAD_BYTES:
            raise InvalidInput(f"the image is over {images.MAX_UPLOAD_BYTES:,} bytes")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    clean = await run_in_threadpool(images.validate_upload, bytes(body), media_type)
    await run_in_threadpool(badge_images.save_badge_image, store, badge_id, media_type,
                            base64.b64encode(clean).decode("ascii"))
    return ImageStored(badge_id=badge_id, media_type=media_type, bytes=len(clean),
                       url=f"{pub.urls.base}/badges/{badge_id}/image")


@router.get("/badges/{badge_id}/image", response_class=Response, responses={
    **problem_responses(404), 200: {"content": {"image/png": {}, "image/svg+xml": {}}}})
def image(pub: PublisherDep, badge_id: Id) -> Response:
    """The badge's image: the uploaded one, else the generated SVG with its name. Who: anyone."""
    stored = badge_images.badge_image(pub.store, badge_id)
    headers = {"Cache-Control": "max-age=300", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
               "X-Content-Type-Options": "nosniff"}
    if stored is not None:
        return Response(base64.b64decode(stored[1]), media_type=stored[0], headers=headers)
    info = pub.badge_info(badge_id)
    first = info["cells"][0] if info["cells"] else {}
    return Response(images.badge_svg(str(info["props"].get("name") or badge_id), first.get("layer"),
                                     str(first.get("name") or "")), media_type="image/svg+xml", headers=headers)
