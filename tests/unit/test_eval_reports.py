"""``colearn eval``'s report and plot: the reports folder checked before any work, and the two
files written both or neither (``report.write_report``, ``write_suite_report``)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.perf.eval_output import check_reports, written
from colearn.recommender import report
from tests.recommender_builders import site_result, suite_result


@pytest.mark.parametrize("writer", ["suite", "site"])
def test_a_plot_that_cannot_be_written_leaves_no_report(tmp_path: Path, writer: str) -> None:
    """The tester's ``mkdir -p rep_half/eval-suite.png``: the markdown table used to be left behind."""
    (tmp_path / "eval-x.png").mkdir()

    def write() -> tuple[Path, Path]:
        if writer == "suite":
            return report.write_suite_report(suite_result(ai=(0.7, 0.6)), tmp_path, "eval-x", "t")
        return report.write_report(site_result(), tmp_path, "eval-x", "t", tail="\n## more\n")

    with pytest.raises(InvalidInput) as err:
        written(write)
    assert err.value.file == str(tmp_path / "eval-x.png") and "nothing of this run was written" in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == ["eval-x.png"]  # no eval-x.md, no temporary file


def test_a_plot_that_fails_keeps_the_last_report_and_plot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    md, png = report.write_suite_report(suite_result(ai=(0.7, 0.6)), tmp_path, "eval-suite", "first run")
    before = md.read_text(), png.read_bytes()

    def no_space(suite: object, path: object, title: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "suite_plot", no_space)
    with pytest.raises(InvalidInput, match="No space left on device") as err:
        written(lambda: report.write_suite_report(suite_result(ai=(0.5, 0.6)), tmp_path, "eval-suite", "second"))
    assert err.value.file == str(png)
    assert (md.read_text(), png.read_bytes()) == before and "first run" in before[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval-suite.md", "eval-suite.png"]


def test_both_files_land_with_the_tail_in_the_report(tmp_path: Path) -> None:
    md, png = report.write_report(site_result(), tmp_path / "new", "eval-ai", "title", tail="\n## Tail\n")
    assert md.read_text().endswith("\n## Tail\n") and "| recommender |" in md.read_text()
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_the_reports_folder_is_checked_before_any_work(tmp_path: Path) -> None:
    rep_file = tmp_path / "rep_file"
    rep_file.write_text("a file")
    with pytest.raises(InvalidInput) as err:
        check_reports(rep_file, "eval-suite")
    assert str(err.value) == f"{rep_file}: --reports must be a folder"
    with pytest.raises(InvalidInput, match="is a file"):
        check_reports(rep_file / "sub", "eval-suite")
    (tmp_path / "rep" / "eval-suite.md").mkdir(parents=True)
    with pytest.raises(InvalidInput, match="a folder has the report's name") as err:
        check_reports(tmp_path / "rep", "eval-suite")
    assert err.value.file == str(tmp_path / "rep" / "eval-suite.md")
    check_reports(tmp_path / "rep", "eval-ai")
    check_reports(tmp_path / "not" / "yet", "eval-suite")  # made when the report is written
    assert not (tmp_path / "not").exists()
