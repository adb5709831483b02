"""Say where a suite's time goes: the container scenarios are the slow part.

A suite with container scenarios runs for minutes; dots alone do not say that
the Docker engine is where the time goes, or how to leave it out. After
collection, one line counts the container scenarios and names the engine::

    provsim: 83 of 1094 tests are container scenarios (Docker engine: the local socket (unix://...)); ...

and at the end one line says how long they took::

    provsim: container scenarios took 181.2 s of the 214.9 s the tests ran (84%)

Neither is printed when no container scenario was collected (``-m "not
container"`` deselects them all). Under pytest-xdist the controller counts
and sums the workers' reports.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # One object per session: a test report does not say which config it belongs to (pytester runs several).
    config.pluginmanager.register(ContainerTime(config), "provsim-container-time")


class ContainerTime:
    """Counts the container scenarios after collection and sums their time."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.container_seconds = 0.0
        self.total_seconds = 0.0

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        containers = sum(1 for item in session.items if item.get_closest_marker("container") is not None)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if not containers or reporter is None:
            return
        from provsim.containers.engine import where

        reporter.write_line(
            f"provsim: {containers} of {len(session.items)} tests are container scenarios "
            f'(Docker engine: {where()}); -m "not container" leaves them out'
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # An xdist controller sees every worker's reports here; their keywords carry the markers' names.
        self.total_seconds += report.duration
        if "container" in report.keywords:
            self.container_seconds += report.duration

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.container_seconds <= 0 or self.total_seconds <= 0:
            return
        share = self.container_seconds / self.total_seconds
        terminalreporter.write_line(
            f"provsim: container scenarios took {self.container_seconds:.1f} s "
            f"of the {self.total_seconds:.1f} s the tests ran ({share:.0%})"
        )
