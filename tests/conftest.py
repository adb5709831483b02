"""Shared test fixtures: pytester for plugin tests, and the CLI run in process."""

from collections.abc import Callable

import pytest
from provsim.cli import main

pytest_plugins = ["pytester"]

CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def provsim_cli(capsys: pytest.CaptureFixture[str]) -> CliRun:
    """``provsim_cli("matrix", "--format", "json")`` -> (exit status, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            status = main(list(argv))
        except SystemExit as leave:
            status = int(leave.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run
