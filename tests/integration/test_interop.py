"""Interoperability: colearn's OB 3.0 credentials checked by verifiers colearn does not use.

A credential is issued through the API; what the service publishes (the Data
Integrity credential, the VC-JWT, the issuer Profile, the status list as
JSON-LD) is handed to ``tests/interop/verify.mjs``, which verifies it with
Digital Bazaar's ``@digitalbazaar/vc`` + ``data-integrity`` +
``eddsa-rdfc-2022-cryptosuite`` (signature, the key authorised by the
Profile as controller document, the Bitstring Status List entry) and the
VC-JWT with ``jose`` (signature, ``iss``, ``sub``). A tampered copy must fail
on its signature and a revoked one on its status. The npm packages are
installed by this test's setup (``npm ci`` in ``tests/interop``, from the
committed lock file); nothing is fetched at verification time.

Node and npm come from the machine: without them the test is skipped, except
under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.openbadges_builders import BASE, seed_issuing_city

INTEROP = Path(__file__).resolve().parents[1] / "interop"
EMAIL = "ada@example.org"


@pytest.fixture(scope="module")
def node_verifier() -> Path:
    """``tests/interop`` with its npm packages installed (``npm ci``)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        message = "node and npm are needed for the interoperability test"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: not skipped)")
        pytest.skip(message)
    stamp = INTEROP / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < (INTEROP / "package-lock.json").stat().st_mtime:
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INTEROP, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    return INTEROP


def _run(verifier: Path, bundle: dict, tmp_path: Path) -> dict:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), "utf-8")
    done = subprocess.run(["node", str(verifier / "verify.mjs"), str(path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_independent_verifiers_accept_colearn_credentials(store: GraphStore, tmp_path: Path, node_verifier: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path / "data", base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        college = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}

        def award(badge: str) -> str:
            r = client.post(f"/organisations/college/badges/{badge}/assertions", headers=college,
                            json={"recipient": {"type": "email", "identity": EMAIL}})
            assert r.status_code == 201, r.text
            return r.json()["id"]

        good, gone = award("web"), award("app")
        assert client.post(f"/assertions/{gone}/revoke", headers=college,
                           json={"reason": "awarded in error"}).status_code == 200
        cred = client.get(f"/ob/v3/credentials/{good}").json()
        revoked = client.get(f"/ob/v3/credentials/{gone}").json()
        token = client.get(f"/ob/v3/credentials/{good}/jwt").text
        profile_url = cred["issuer"]["id"]
        profile = client.get(profile_url.removeprefix(BASE), headers={"Accept": "application/ld+json"}).json()
        status_url = cred["credentialStatus"]["statusListCredential"]
        status = client.get(status_url.removeprefix(BASE), headers={"Accept": "application/ld+json"})
        assert status.headers["content-type"].startswith("application/ld+json")
        assert client.get(status_url.removeprefix(BASE)).headers["content-type"].startswith("application/vc+jwt")

    tampered = copy.deepcopy(cred)
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    head, body, sig = token.split(".")
    forged_body = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "jti": "urn:x"}, "k" * 32,
                             algorithm="HS256").split(".")[1]
    bundle = {"documents": {profile_url: profile, status_url: status.json()}, "profile": profile_url,
              "dataIntegrity": {"good": cred, "tampered": tampered, "revoked": revoked},
              "jwt": {"good": token, "tampered": ".".join([head, forged_body, sig])}}
    out = _run(node_verifier, bundle, tmp_path)
    with capsys.disabled():
        print("\ninteroperability verifiers:", json.dumps(out["versions"]))
    di, jw = out["dataIntegrity"], out["jwt"]
    assert di["good"]["verified"] is True and di["good"]["revoked"] is False, di["good"]
    assert di["tampered"]["verified"] is False and di["tampered"]["signature"] is False, di["tampered"]
    assert di["revoked"]["signature"] is True and di["revoked"]["revoked"] is True, di["revoked"]
    subject = cred["credentialSubject"]["id"]
    assert subject.startswith("urn:uuid:") and EMAIL not in json.dumps(cred)
    assert jw["good"]["verified"] is True and jw["good"]["sub"] == subject == jw["good"]["subjectId"], jw["good"]
    assert jw["good"]["iss"] == profile_url and jw["good"]["jti"] == cred["id"]
    assert jw["tampered"]["verified"] is False and "signature" in jw["tampered"]["error"].lower()
