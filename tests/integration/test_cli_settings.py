"""A wrong setting ends a command with one line per problem naming what to change, exit status 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _keys_list(env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["keys", "list"], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("COLEARN_PORT", "abc", "must be a valid integer, unable to parse string as an integer"),
    ("COLEARN_PORT", "70000", "must be less than or equal to 65535"),  # was a traceback from bind(), exit 1
    ("COLEARN_FSYNC", "sometimes", "must be 'always' or 'everysec'"),
    ("COLEARN_INSIGHTS_MIN_LEARNERS", "0", "must be greater than or equal to 1"),
])
def test_a_bad_environment_value_is_one_line_naming_the_variable(
        tmp_path: Path, name: str, value: str, allowed: str) -> None:
    code, output = _keys_list({"COLEARN_DATA_DIR": str(tmp_path), name: value})
    assert code == 2
    assert output.strip() == f"error: {name}='{value}': {allowed}"
    assert "Traceback" not in output and "port\n" not in output


def test_every_bad_value_is_named_at_once(tmp_path: Path) -> None:
    code, output = _keys_list({"COLEARN_DATA_DIR": str(tmp_path), "COLEARN_PORT": "abc",
                               "COLEARN_FSYNC": "sometimes"})
    assert code == 2
    assert sorted(line.split("=")[0] for line in output.splitlines()) == ["error: COLEARN_FSYNC",
                                                                            "error: COLEARN_PORT"]


def test_a_data_dir_that_is_a_file_is_named(tmp_path: Path) -> None:
    file = tmp_path / "not-a-folder"
    file.write_text("")
    code, output = _keys_list({"COLEARN_DATA_DIR": str(file)})
    assert (code, output.strip()) == (2, f"error: COLEARN_DATA_DIR='{file}': must be a folder, and {file} is a file")
    code, output = _keys_list({"COLEARN_DATA_DIR": str(file / "below")})
    assert code == 2 and output.startswith(f"error: COLEARN_DATA_DIR='{file / 'below'}': must be a folder, and {file}")


def test_a_file_of_the_data_dir_that_cannot_be_used_names_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / "falkordb.lock").mkdir()  # where the store's lock file goes
    code, output = _keys_list({"COLEARN_DATA_DIR": str(tmp_path)})
    assert code == 2
    assert output.strip() == (f"error: COLEARN_DATA_DIR='{tmp_path}': cannot use {tmp_path / 'falkordb.lock'}: "
                              "Is a directory")


def test_serve_on_a_port_in_use_names_the_address_and_the_variable(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = {**os.environ, "COLEARN_DATA_DIR": str(tmp_path), "COLEARN_PORT": str(port)}
        done = subprocess.run([sys.executable, "-m", "colearn.cli", "serve"], env=env, capture_output=True,
                              text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: cannot serve on 127.0.0.1:{port}: Address already in use; choose another port with "
        "COLEARN_PORT or --port (or the address with COLEARN_HOST or --host)")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "falkordb.json").exists()  # the store it started is stopped


def test_serve_refuses_a_port_out_of_range_before_starting_anything(tmp_path: Path) -> None:
    """``COLEARN_PORT=70000 colearn serve`` ended in ``OverflowError: bind(): port must be
    0-65535`` (a 74-line traceback, exit 1); now exit 2 naming the variable and the range."""
    result = CliRunner().invoke(app, ["serve"], env={"COLEARN_DATA_DIR": str(tmp_path), "COLEARN_PORT": "70000"})
    assert result.exit_code == 2 and "COLEARN_PORT" in result.output and "65535" in result.output
    assert not (tmp_path / "falkordb.json").exists()


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("COLEARN_PORT", "abc", "must be a valid integer, unable to parse string as an integer"),
    ("COLEARN_WORKERS", "0", "must be greater than or equal to 1"),
])
def test_serve_names_a_bad_environment_value_in_one_line(tmp_path: Path, name: str, value: str, allowed: str) -> None:
    """``COLEARN_PORT=abc colearn serve`` ended in Typer's box naming only the variable (the
    options read the environment themselves); now the one line every other command gives."""
    result = CliRunner().invoke(app, ["serve"], env={"COLEARN_DATA_DIR": str(tmp_path), name: value})
    assert (result.exit_code, result.output.strip()) == (2, f"error: {name}='{value}': {allowed}")
    assert not (tmp_path / "falkordb.json").exists()

