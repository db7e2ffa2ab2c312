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


def test_every_json_body_refuses_fields_it_does_not_read(tmp_path: Path) -> None:
    """A field the route does not read is refused (422 naming it), never silently
    dropped: ``PATCH /me {"learner_id": ...}`` or a misspelt field once read as done."""
    doc = create_app(Settings(data_dir=tmp_path)).openapi()
    schemas = doc["components"]["schemas"]

    def named(schema: dict) -> list[str]:
        found = [schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else []
        for key in ("anyOf", "oneOf", "allOf"):
            for part in schema.get(key, []):
                found += named(part)
        return found + (named(schema["items"]) if isinstance(schema.get("items"), dict) else [])

    bodies = {(name, method.upper(), path)
              for path, ops in doc["paths"].items() for method, op in ops.items()
              for content in op.get("requestBody", {}).get("content", {}).values()
              for name in named(content.get("schema", {})) if schemas[name].get("type") == "object"}
    assert len(bodies) > 20
    lax = sorted(b for b in bodies if schemas[b[0]].get("additionalProperties") is not False)
    assert lax == [], f"bodies that ignore unknown fields: {lax}"
