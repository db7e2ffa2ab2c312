"""A badge's tier when only some rows of a dump give ``Class`` (older rows without it): a stated
class wins over a missing one; several stated classes keep the most common.

Every dump is a few hundred rows cut from the real bundled AI dump (``data/stackexchange``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from colearn.ingest.stackexchange import plan_stackexchange

AI = Path(__file__).resolve().parents[2] / "data" / "stackexchange" / "ai" / "Badges.xml"


def small_ai(rows: int) -> str:
    """The AI dump's declaration and its first ``rows`` rows."""
    lines = AI.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[:2 + rows]) + "</badges>\n"


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _without_class(text: str, name: str, share: float) -> str:
    """``text`` with ``Class`` and ``TagBased`` taken off the first ``share`` of the rows of badge ``name``."""
    lines = text.splitlines(keepends=True)
    mine = [i for i, line in enumerate(lines) if f'Name="{name}"' in line]
    for i in mine[:round(share * len(mine))]:
        lines[i] = re.sub(r' (Class|TagBased)="[^"]*"', "", lines[i])
    return "".join(lines)


def _tier(tmp_path: Path, name: str, text: str) -> str:
    rows = [r for r in plan_stackexchange(put(tmp_path / "ai" / "Badges.xml", text), "ai").badge_rows
            if r["props"]["name"] == name]
    assert len(rows) == 1
    return str(rows[0]["props"]["tier"])


def test_a_stated_class_wins_over_rows_without_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The real AI rows of Autobiographer (bronze), most of them without ``Class`` as in an older dump:
    bronze, as the rows that state a class say; and with no row stating one, unknown."""
    text = small_ai(400)
    assert text.count('Name="Autobiographer"') > 20
    with caplog.at_level(logging.WARNING):
        assert _tier(tmp_path, "Autobiographer", _without_class(text, "Autobiographer", 0.6)) == "bronze"
    assert "several classes" not in caplog.text
    assert _tier(tmp_path, "Autobiographer", _without_class(text, "Autobiographer", 1.0)) == "unknown"


def test_several_stated_classes_keep_the_most_common_and_warn(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Two classes stated, and more rows without one: the most common stated class, with a warning."""
    text = _without_class(small_ai(400), "Autobiographer", 0.6)
    lines = text.splitlines(keepends=True)
    stated = [i for i, line in enumerate(lines) if 'Name="Autobiographer"' in line and "Class=" in line]
    for i in stated[:2]:
        lines[i] = lines[i].replace('Class="3"', 'Class="1"')
    with caplog.at_level(logging.WARNING):
        assert _tier(tmp_path, "Autobiographer", "".join(lines)) == "bronze"
    warned = caplog.text
    assert "several classes {" in warned and "1: 2" in warned and f"3: {len(stated) - 2}" in warned
    assert "None" not in warned and "using bronze" in warned
