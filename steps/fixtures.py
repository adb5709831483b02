"""Fixtures and hooks shared by every provsim step.

``provsim`` is the scenario's context: what the Given steps prepared, what the
When steps registered and created, and the outcome the Then steps check.

Profiles are generated from a seed. Each test session picks one at random (or
takes ``--provsim-seed N`` / ``PROVSIM_SEED=N``); when a scenario fails, the
report shows the seed so the run can be replayed exactly.
"""

from __future__ import annotations

import os
import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # The library loads with the first scenario that needs it, not with the plugin: pytest imports the
    # plugin in every run of a repository that installs provsim, used or not.
    from provsim import (
        AllottedTime,
        Image,
        MemoryDisk,
        OsProfile,
        OsState,
        OsType,
        Outcome,
        Platform,
        SourceVm,
        VirtualMachine,
    )

SEED_KEY = pytest.StashKey[int]()
#: The key of the seed in an xdist worker's ``workerinput``.
WORKER_SEED = "provsim_seed"
USED_KEY = pytest.StashKey[bool]()


@dataclass
class ScenarioContext:
    """What one scenario has built so far."""

    seed: int
    allotted: AllottedTime = field(default_factory=lambda: _allotted_time())
    os_type: OsType | None = None
    os_state: OsState | None = None
    disk: MemoryDisk | None = None
    build_vm: VirtualMachine | None = None
    image: Image | None = None
    source_vm: SourceVm | None = None
    outcome: Outcome | None = None
    vm: VirtualMachine | None = None
    profile: OsProfile | None = None
    registrations: list[tuple[str, Outcome]] = field(default_factory=list)
    """Every registration of a pipeline built in a container: (how it was registered, what VM creation did)."""
    template_given: bool = False
    linux_agent: str | None = None
    """The agent the scenario's Linux platform image provisions with, when a sentence states it: ``waagent``
    alone or ``cloud-init`` (otherwise a cell's image has waagent alone, and a template's comes from its SKU)."""
    _platform: Platform | None = None

    @property
    def platform(self) -> Platform:
        if self._platform is None:
            from provsim.platform import Platform

            self._platform = Platform(self.allotted, self.seed)
        return self._platform

    def require_outcome(self) -> Outcome:
        """The one VM creation of the scenario; several registrations or a template need a sentence that names one."""
        if len(self.registrations) > 1:
            ways = ", ".join(label for label, _ in self.registrations)
            raise AssertionError(
                f"this build was registered {len(self.registrations)} ways ({ways}): say which with 'Then the VM "
                "from the capture as <generalized|specialized> ends in <outcome>', or 'Then every registration "
                "succeeds'"
            )
        if self.outcome is None and self.template_given:
            raise AssertionError(
                "this scenario checks a template: name the output, e.g. 'Then a VM created from the managed image "
                "ends in <outcome>', or say 'Then every registration succeeds'"
            )
        if self.outcome is None:
            raise AssertionError("no VM has been created yet: add 'When a VM is created from it' first")
        return self.outcome


def _allotted_time() -> AllottedTime:
    """The platform's default allotted time (a function, so that the plugin does not import the platform)."""
    from provsim.platform import AllottedTime

    return AllottedTime()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provsim")
    group.addoption(
        "--provsim-seed",
        type=int,
        default=None,
        help="seed for generated OS profiles (default: $PROVSIM_SEED or random); shown when a scenario fails",
    )


def pytest_configure(config: pytest.Config) -> None:
    # An xdist worker takes the seed its controller chose (see pytest_configure_node): drawing its own
    # would show one seed in the header and replay another from the failure.
    worker_input: dict[str, object] = getattr(config, "workerinput", {})
    seed = worker_input.get(WORKER_SEED)
    if seed is None:
        seed = config.getoption("--provsim-seed", default=None)
    if seed is None:
        seed = int(os.environ["PROVSIM_SEED"]) if os.environ.get("PROVSIM_SEED") else random.randrange(10**6)
    config.stash[SEED_KEY] = int(str(seed))


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent without xdist, and then never called
def pytest_configure_node(node: Any) -> None:
    """Hand the controller's seed to each xdist worker before it configures."""
    node.workerinput[WORKER_SEED] = node.config.stash[SEED_KEY]


def pytest_report_header(config: pytest.Config) -> str:
    return f"provsim seed: {config.stash[SEED_KEY]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report = outcome.get_result()
    # Steps ask for the context lazily, so the test's fixture names do not show it: the fixture marks the item.
    if report.failed and item.stash.get(USED_KEY, False):
        seed = item.config.stash[SEED_KEY]
        report.sections.append(("provsim", f"seed {seed}: replay with pytest --provsim-seed={seed}"))


@pytest.fixture
def provsim(request: pytest.FixtureRequest) -> ScenarioContext:
    """The scenario's context, seeded from the session's provsim seed."""
    request.node.stash[USED_KEY] = True
    return ScenarioContext(seed=request.config.stash[SEED_KEY])
