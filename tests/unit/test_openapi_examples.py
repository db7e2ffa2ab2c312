"""Every request body in the OpenAPI document has an example, and each JSON example
is valid against the body's schema (as Swagger UI's "Try it out" sends it)."""

from __future__ import annotations

from pathlib import Path

from jsonschema import Draft202012Validator

from colearn.config import Settings
from colearn.service.app import create_app
from colearn.service.examples import BINARY


def test_every_body_has_a_valid_example(tmp_path: Path) -> None:
    doc = create_app(Settings(data_dir=tmp_path)).openapi()
    bodies = 0
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                bodies += 1
                if media in BINARY:
                    assert content["schema"]["description"], (method, path, media)
                    continue
                assert "example" in content, (method, path, media)
                schema = {**content["schema"], "components": doc["components"]}
                errors = list(Draft202012Validator(schema).iter_errors(content["example"]))
                assert not errors, (method, path, media, [e.message for e in errors])
    assert bodies >= 27
