"""``colearn ingest catalogue`` keeps a city on MiniLM: the texts it adds are embedded
when the city keeps vectors (one text without a vector put the whole city's text
similarity back on TF-IDF)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import get_settings
from colearn.graph import queries
from colearn.graph.falkordb_store import EmbeddedFalkorDB
from colearn.graph.store import open_store
from colearn.recommender.text import MINILM, minilm_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not minilm_available(), reason="the text extra is not installed")]


def _without_vectors(data_dir: Path) -> dict[str, int]:
    s = open_store(get_settings())
    try:
        return dict(s.read(queries.NODES_WITHOUT_VECTORS, {"model": MINILM})[0])
    finally:
        s.close()


def test_a_catalogue_ingest_embeds_the_texts_it_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLEARN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["ingest", "demo"]).exit_code == 0
        extra = tmp_path / "extra.yaml"
        badge = {"id": "pottery-starter", "name": "Pottery Starter", "issuer": "brackenford-college",
                 "description": "Throws a first pot on the wheel.", "cells": ["skills.engagement"]}
        extra.write_text(yaml.safe_dump({"badges": [badge]}), encoding="utf-8")
        # a city that never stored vectors stays on TF-IDF by choice: nothing is embedded
        first = runner.invoke(app, ["ingest", "catalogue", str(extra)])
        assert first.exit_code == 0, first.output
        assert "embedded" not in first.stdout and _without_vectors(tmp_path)["badges"] > 1
        assert runner.invoke(app, ["ingest", "embeddings"]).exit_code == 0
        assert _without_vectors(tmp_path) == {"badges": 0, "opportunities": 0}
        badge2 = {**badge, "id": "pottery-maker", "name": "Pottery Maker", "description": "Glazes and fires a set."}
        extra.write_text(yaml.safe_dump({"badges": [badge2]}), encoding="utf-8")
        second = runner.invoke(app, ["ingest", "catalogue", str(extra)])
        assert second.exit_code == 0, second.output
        assert "embedded 1 new or edited" in " ".join(second.stdout.split())
        assert _without_vectors(tmp_path) == {"badges": 0, "opportunities": 0}
        # a badge earned elsewhere, loaded with its award, is new text too
        doc = tmp_path / "assertion.json"
        doc.write_text(json.dumps({
            "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
            "id": "https://elsewhere.example/assertions/1", "issuedOn": "2025-05-01T10:00:00Z",
            "verification": {"type": "HostedBadge"},
            "recipient": {"type": "email", "hashed": False, "identity": "ana@example.org"},
            "badge": {"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
                      "id": "https://elsewhere.example/badges/kayak", "name": "Kayak Safety",
                      "description": "Rights a capsized kayak.", "criteria": {"narrative": "A pool session."},
                      "image": "https://elsewhere.example/kayak.png", "issuer": {
                          "@context": "https://w3id.org/openbadges/v2", "type": "Profile",
                          "id": "https://elsewhere.example/issuer", "name": "Elsewhere",
                          "url": "https://elsewhere.example", "email": "badges@elsewhere.example"}}}),
            encoding="utf-8")
        third = runner.invoke(app, ["ingest", "openbadges", str(doc)])
        assert third.exit_code == 0, third.output
        assert _without_vectors(tmp_path) == {"badges": 0, "opportunities": 0}
    finally:
        EmbeddedFalkorDB.for_data_dir(tmp_path).stop()
        get_settings.cache_clear()
