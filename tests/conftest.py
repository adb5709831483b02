"""Shared test fixtures: pytester for plugin tests, and the CLI run in process."""

import tempfile
from collections.abc import Callable

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from provsim.cli import main

pytest_plugins = ["pytester"]

# Hypothesis keeps caches (constants, unicode data) in ./.hypothesis even without a database: in a folder
# of its own that goes away with the run, so nothing lands in the tree, whichever test file runs first.
_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="provsim-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)

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
