"""Every environment variable colearn reads is in the README's Configuration table: each
``Settings`` field (``COLEARN_`` + its name, or each of its alias choices) and each
command-line option read from the environment (``envvar=``). Before, the table left out
the variables the learner flows depend on (mail, sign-in and claim-link lifetimes, limits,
the token secret)."""

from __future__ import annotations

import re

from pydantic import AliasChoices

from colearn.config import Settings
from tests.conftest import REPO


def _table_variables() -> set[str]:
    """The variables named in the first column of the README's Configuration table."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}


def _settings_variables() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    out = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            out |= {str(choice) for choice in alias.choices}
        else:
            out.add(f"{prefix}{name}".upper())
    return out


def _cli_variables() -> set[str]:
    found = set()
    for path in (REPO / "colearn" / "cli").glob("*.py"):
        found |= set(re.findall(r'envvar="([A-Z0-9_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_variable_read_is_in_the_readme_table() -> None:
    read = _settings_variables() | _cli_variables()
    assert {"COLEARN_CLAIM_LINK_DAYS", "COLEARN_WORKERS", "NEO4J_URI"} <= read  # the readers are read
    missing = sorted(read - _table_variables())
    assert not missing, f"read but not in README's Configuration table: {missing}"


def test_the_table_names_nothing_that_is_not_read() -> None:
    extra = sorted(_table_variables() - _settings_variables() - _cli_variables())
    assert not extra, f"in README's Configuration table but read by nothing: {extra}"
