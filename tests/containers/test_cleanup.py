"""Nothing is left behind: after a failing scenario, an exception, or Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from provsim.containers.cleanup import Run, leftovers
from provsim.containers.engine import SESSION_ENV

pytestmark = pytest.mark.container

FAILING_FEATURE = """\
@container
Feature: a failing container scenario
  Scenario: the build VM is captured, then the check fails
    Given a Linux build VM whose OS is specialized
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in success
"""

TEST_MODULE = """\
from pytest_bdd import scenarios
from provsim.steps.containers import use_containers
use_containers()
scenarios("failing.feature")
"""


def inner_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, what: str) -> str:
    """A suite of one failing container scenario, labelled with a session of its own; returns the session."""
    session = f"{what}-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv(SESSION_ENV, session)
    pytester.makefile(".feature", failing=FAILING_FEATURE)
    pytester.makepyfile(test_failing=TEST_MODULE)
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\n")
    return session


def test_nothing_left_after_a_failing_scenario(
    pytester: pytest.Pytester, docker_engine: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted by the inner suite's own session label: other suites may share the engine meanwhile."""
    client, _ = docker_engine
    session = inner_suite(pytester, monkeypatch, "failing")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected succeeded, got provisioning_failure*"])
    assert leftovers(client, session=session) == ([], [])


def test_sigterm_to_pytest_tears_the_scenario_down(
    pytester: pytest.Pytester, docker_engine: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI cancels a job with SIGTERM: the running scenario's containers go, as on Ctrl-C."""
    client, _ = docker_engine
    session = inner_suite(pytester, monkeypatch, "sigterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s"],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while leftovers(client, session=session) == ([], []) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers(client, session=session) != ([], []), "the scenario started a container"
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert b"Traceback" not in output or b"KeyboardInterrupt" in output
    assert leftovers(client, session=session) == ([], [])


def test_run_removes_its_objects_on_an_exception(docker_engine: tuple[Any, str]) -> None:
    client, tag = docker_engine
    run = Run(client, tag)
    with pytest.raises(RuntimeError), run:
        machine = run.machine(tag, role="doomed")
        machine.container.commit(repository="provsim-doomed", tag=run.run_id)
        assert run.leftovers() != ([], [])
        raise RuntimeError("the scenario failed")
    assert run.leftovers() == ([], [])


def test_run_removes_its_objects_on_ctrl_c(docker_engine: tuple[Any, str]) -> None:
    client, tag = docker_engine
    run = Run(client, tag)
    with pytest.raises(KeyboardInterrupt), run:
        run.machine(tag, role="interrupted")
        raise KeyboardInterrupt
    assert run.leftovers() == ([], [])
