"""The container setup keeps its secrets: docker-compose.yml puts the API's data
directory (issuer keys, recipient pepper, token secret) on a named volume, and
.dockerignore keeps local secrets and a developer's tools out of the image.
Docker itself cannot run on the test machines; these check the files."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO


def test_compose_keeps_the_api_data_dir_on_a_volume() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    api = compose["services"]["api"]
    data_dir = api["environment"]["COLEARN_DATA_DIR"]
    mounts = dict(v.split(":")[:2][::-1] for v in api["volumes"])
    assert data_dir in mounts, f"no volume is mounted at the API's data dir {data_dir}"
    assert mounts[data_dir] in compose["volumes"], "the data dir must be a named volume, not the container's layer"
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(rf"COLEARN_DATA_DIR={re.escape(data_dir)}\b", dockerfile)


def test_dockerignore_keeps_secrets_and_tools_out() -> None:
    ignored = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", ".colearn", ".git", "reports"} <= ignored
