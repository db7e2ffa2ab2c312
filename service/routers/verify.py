"""``POST /verify``: is this Open Badge real, current and theirs? (No credentials needed.)"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from colearn.errors import InvalidInput, UnsupportedMediaType
from colearn.openbadges.verify import Verifier
from colearn.service.assertion_schemas import VerificationPublic, VerifyIn
from colearn.service.bodies import media_type, read_body
from colearn.service.catalogue import validation_error
from colearn.service.openbadges_deps import PublisherDep
from colearn.service.problems import problem_responses

router = APIRouter(tags=["verification"])

#: The largest body accepted (a baked PNG with its credential).
MAX_BODY = 5 * 1024 * 1024


@router.post(
    "/verify", response_model=VerificationPublic,
    responses=problem_responses(413, 415, 422, 429),
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": VerifyIn.model_json_schema()},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
        "application/vc+jwt": {"schema": {"type": "string"}}}}},
)
async def verify(request: Request, pub: PublisherDep,
                 identity: Annotated[str | None, Query(max_length=500)] = None) -> VerificationPublic:
    """Verify an OB 2.0 assertion (JSON), an OB 3.0 credential (JSON with a Data
    Integrity proof, or a VC-JWT) or a baked PNG/SVG, or any of them by its URL under
    this service (every URL of an award's ``links``).

    JSON body: exactly one of ``document``, ``jwt``, ``url``, and optionally
    ``identity``. Otherwise send the image (``image/png``, ``image/svg+xml``) or
    the VC-JWT (``application/vc+jwt``) as the body, with ``?identity=``.

    The answer is always a report (200): ``valid``, and each check (signature,
    expiry, revocation, issuer, recipient, ...) with its outcome and, where a
    caller tells outcomes apart, a ``code`` (``revoked``,
    ``unsupported-cryptosuite``, ``tampered``, ...). An OB 2.0 hosted assertion of
    this service, given by value or baked in a PNG, must say what its hosted copy
    says in every top-level member: ``hosted`` fails with ``tampered`` naming those
    that differ. A body over 5 MiB is 413; a form upload (``multipart/*``,
    ``application/x-www-form-urlencoded``) is 415.
    No credentials are needed; requests are rate-limited per client address.
    """
    limiter = getattr(request.app.state, "limiter", None)
    if limiter is not None:  # public, and a proof check costs CPU: limit by client address
        limiter.take(f"verify:{request.client.host if request.client else 'unknown'}")
    raw = await read_body(request, MAX_BODY)
    kind, _ = media_type(request)
    data: bytes | str | dict
    if kind in ("application/json", ""):
        try:
            body = VerifyIn.model_validate(json.loads(raw or b"null"))
        except ValidationError as exc:  # each field named, as a body FastAPI validates is (``errors``)
            raise validation_error(exc) from exc
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise InvalidInput(f"expected JSON {{document | jwt | url, identity?}}: {exc}", field="body") from exc
        data = body.document if body.document is not None else (body.jwt or body.url or "")
        identity = body.identity or identity
    elif kind.startswith("multipart/") or kind == "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(f"a form upload ({kind}) is not read: send the image, the JWT or the JSON itself "
                                   "as the body, with its own Content-Type (image/png, image/svg+xml, "
                                   "application/vc+jwt, application/json)")
    else:
        data = raw
    report = await run_in_threadpool(Verifier(pub).verify, data, identity=identity)
    return VerificationPublic(**report.to_dict())
