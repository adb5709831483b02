"""Steps and hooks for scenarios that run in Docker containers (the ``@container`` tag).

Scenarios tagged ``@container`` (pytest marker ``container``) need a Docker
engine. Without one they are skipped with the reason shown; with
``PROVSIM_REQUIRE_DOCKER=1`` they fail instead (CI sets it). The base image is
built on first use (progress on stderr). Every scenario gets its own run id,
and its containers and images are removed when it ends: on pass, on failure,
on Ctrl-C and on SIGTERM or SIGHUP (the session's runs are removed again at exit).

The in-memory sentences, told with containers
-----------------------------------------------
A feature module makes the cell sentences of ``steps.images``,
``steps.registration`` and ``steps.vm_creation`` use containers by calling
:func:`use_containers` at import; the Then steps of ``steps.outcomes`` are
shared unchanged::

    # features/containers/test_containers.py
    from pytest_bdd import scenarios
    from provsim.steps.containers import use_containers
    use_containers()
    scenarios("containers")

Then ``Given a Linux build VM whose OS is generalized`` starts a build
container, provisions it through the platform and runs the real
``waagent -force -deprovision+user``; ``When it is captured as specialized``
commits it; ``And a VM is created from it`` boots a VM container.

The pipeline sentences (``When it is built in a container`` and its Then
steps) are in :mod:`steps.container_builds`.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from provsim.containers.engine import docker_required, no_engine_message, unreachable_reason
from provsim.steps import words
from provsim.steps.fixtures import ScenarioContext
from pytest_bdd import given, parsers, when

if TYPE_CHECKING:  # the engine parts load only when a container scenario runs
    from provsim.containers.boot import Boot, ContainerImage
    from provsim.containers.cells import BuildVm
    from provsim.containers.check import ContainerCheck
    from provsim.containers.cleanup import Run
    from provsim.containers.evidence import DiskEvidence
    from provsim.containers.machine import Machine
    from provsim.pipeline.model import Pipeline

_ENGINE_KEY = pytest.StashKey[str | None]()
_RUNS_KEY = pytest.StashKey[list[str]]()
_SIGNALS_KEY = pytest.StashKey[dict[int, Any]]()


# -- the `container` marker: skip or fail without an engine ---------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    # Registered by the plugin, so a repository tagging scenarios @container needs no marker config of its own.
    config.addinivalue_line(
        "markers",
        "container: needs a Docker engine; skipped with the reason when none is reachable, "
        "failed when PROVSIM_REQUIRE_DOCKER=1",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("container") is None:
        return
    config = item.config
    if _ENGINE_KEY not in config.stash:
        config.stash[_ENGINE_KEY] = unreachable_reason()
    why = config.stash[_ENGINE_KEY]
    if why is None:
        return
    message = no_engine_message(why)
    if docker_required():
        pytest.fail(f"{message} (PROVSIM_REQUIRE_DOCKER=1: container scenarios must run)", pytrace=False)
    pytest.skip(message)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove what any scenario of the session left, also after Ctrl-C or SIGTERM."""
    from provsim.stopping import restore

    restore(config.stash.get(_SIGNALS_KEY, {}))
    runs = config.stash.get(_RUNS_KEY, [])
    if not runs:
        return
    from provsim.containers.cleanup import remove_run
    from provsim.containers.engine import connect

    client = connect()
    for run_id in runs:
        remove_run(client, run_id)


@pytest.fixture(scope="session")
def docker_engine(pytestconfig: pytest.Config) -> Generator[tuple[Any, str], None, None]:
    """The Docker client and the base image tag (built on first use, progress on stderr)."""
    from provsim.containers import base_image
    from provsim.containers.engine import connect
    from provsim.stopping import install

    # CI cancels with SIGTERM: like Ctrl-C, it must tear the scenarios' containers down (unless the suite handles
    # the signal itself). Only a session that makes containers takes the signals over; pytest_unconfigure
    # puts the previous handlers back.
    pytestconfig.stash[_SIGNALS_KEY] = install()
    client = connect()

    def progress(line: str) -> None:
        print(f"[provsim base-image] {line}", file=sys.__stderr__, flush=True)

    yield client, base_image.ensure(client, progress=progress)
    client.close()


@pytest.fixture
def docker_run(docker_engine: tuple[Any, str], pytestconfig: pytest.Config) -> Generator[Any, None, None]:
    """A run for one scenario; everything it labels is removed when the scenario ends, however it ends."""
    from provsim.containers.cleanup import Run

    client, tag = docker_engine
    run = Run(client, tag)
    pytestconfig.stash.setdefault(_RUNS_KEY, []).append(run.run_id)
    with run:
        yield run


@dataclass
class ContainerScenario:
    """What a container scenario built: machines, images and the check of a pipeline.

    ``check`` holds the pipeline to build until ``When it is built in a container``
    runs, then what the build showed.
    """

    run: Run
    machine: Machine | None = None
    build_vm: BuildVm | None = None
    user: str | None = None
    image: ContainerImage | None = None
    evidence: DiskEvidence | None = None
    creation: Boot | None = None
    check: Pipeline | ContainerCheck | None = None
    notes: list[str] = field(default_factory=list)
    skip: list[int] = field(default_factory=list)


@pytest.fixture
def containers(docker_run: Any) -> ContainerScenario:
    """The container side of the scenario (the ``provsim`` context keeps the outcome for the Then steps)."""
    return ContainerScenario(docker_run)


# -- the cell sentences, told with containers ------------------------------------------------------------------
def use_containers(stacklevel: int = 2) -> None:
    """Make the calling feature module's cell sentences run in containers (see the module docstring)."""

    @given(parsers.parse("a {os} image whose OS is {state}"), stacklevel=stacklevel)
    def an_image(provsim: ScenarioContext, os: str, state: str) -> None:
        """``Given a Linux image whose OS is <state>``: the stage that follows picks the source.

        Example: ``Given a Linux image whose OS is generalized``
        """
        provsim.os_type = words.os_type(os)
        provsim.os_state = words.os_state(state)

    @given(parsers.parse("an on-premises {os} disk whose OS is {state}"), stacklevel=stacklevel)
    def an_on_premises_disk(provsim: ScenarioContext, containers: ContainerScenario, os: str, state: str) -> None:
        """``Given an on-premises Linux disk whose OS is <state>``: a container with an on-premises install.

        Example: ``Given an on-premises Linux disk whose OS is specialized``
        """
        an_image(provsim, os, state)
        _on_premises(provsim, containers)

    @given(parsers.parse("a {os} build VM whose OS is {state}"), stacklevel=stacklevel)
    def a_build_vm(provsim: ScenarioContext, containers: ContainerScenario, os: str, state: str) -> None:
        """``Given a Linux build VM whose OS is <state>``: a build container, deprovisioned by the real waagent.

        Example: ``Given a Linux build VM whose OS is generalized``
        """
        an_image(provsim, os, state)
        _build_vm(provsim, containers)

    @given(parsers.parse('the build runs "{command}"'), stacklevel=stacklevel)
    def the_build_runs(provsim: ScenarioContext, containers: ContainerScenario, command: str) -> None:
        """``Given the build runs "<command>"``: the real shell runs it in the build container, as the build user.

        (As root once a deprovision has deleted the build user.)

        Example: ``Given the build runs "sudo touch /etc/cloud/cloud-init.disabled"``
        """
        if containers.build_vm is None:
            raise AssertionError("no build VM yet: start with 'Given a Linux build VM whose OS is <state>'")
        disk = containers.build_vm.machine.disk
        # After waagent -deprovision+user the build user is gone: the step then runs as root, as a later
        # provisioner with sudo would.
        user = containers.build_vm.user if disk.user(containers.build_vm.user) is not None else "root"
        status, output = disk.run(command, user=user)
        if status != 0:
            raise AssertionError(f"{command!r} fails in the build container (exit {status}): {output[-500:]}")

    @when(parsers.parse("it is uploaded as {state}"), stacklevel=stacklevel)
    def uploaded_as(provsim: ScenarioContext, containers: ContainerScenario, state: str) -> None:
        """``When it is uploaded as <state>``: register the container's disk (its files only) as an uploaded image.

        Example: ``When it is uploaded as specialized``
        """
        from provsim.containers.stages import upload

        if containers.machine is None:
            _on_premises(provsim, containers)
        containers.image = upload(containers.run, containers.machine, words.os_state(state))

    @when(parsers.parse("it is captured as {state}"), stacklevel=stacklevel)
    def captured_as(provsim: ScenarioContext, containers: ContainerScenario, state: str) -> None:
        """``When it is captured as <state>``: commit the build container.

        Example: ``When it is captured as generalized``
        """
        from provsim.containers.stages import capture, retire

        if containers.build_vm is None:
            _build_vm(provsim, containers)
        build_vm = containers.build_vm
        containers.image, provsim.source_vm = capture(
            containers.run, build_vm.machine, build_vm.vm, words.os_state(state)
        )
        retire(build_vm.machine, provsim.source_vm)

    @when("a VM is created from it", stacklevel=stacklevel)
    def a_vm_is_created(provsim: ScenarioContext, containers: ContainerScenario) -> None:
        """``When a VM is created from it``: boot a VM container from the registered image."""
        from provsim.containers.boot import boot
        from provsim.profile import generate_profile

        if containers.image is None:
            raise AssertionError("nothing registered yet: add 'When it is uploaded as ...' or '... captured as ...'")
        profile = generate_profile(containers.image.os_type, provsim.seed, role="vm")
        creation = boot(containers.run, provsim.platform, containers.image, profile, source_vm=provsim.source_vm)
        containers.creation = creation
        provsim.outcome, provsim.vm, provsim.profile = creation.outcome, creation.vm, profile

    # Under the plugin's one fixture name, as its own sentences are (provsim.steps.plugin): the module's
    # definitions still outrank the plugin's, and every step of the session asks pytest about 10 names fewer.
    from provsim.steps.plugin import under_one_name

    under_one_name(sys._getframe(stacklevel - 1).f_locals)


def _on_premises(provsim: ScenarioContext, containers: ContainerScenario) -> None:
    from provsim.containers.cells import on_premises_machine
    from provsim.containers.evidence import observe
    from provsim.containers.stages import waagent_deprovision

    _linux_only(provsim)
    containers.machine, containers.user = on_premises_machine(containers.run, provsim.seed)
    if provsim.os_state is not None and provsim.os_state.value == "generalized":
        waagent_deprovision(containers.machine)
    containers.evidence = observe(containers.machine.container, containers.user)


def _build_vm(provsim: ScenarioContext, containers: ContainerScenario) -> None:
    from provsim.containers.cells import create_build_vm
    from provsim.containers.evidence import observe
    from provsim.containers.stages import waagent_deprovision

    _linux_only(provsim)
    image = None
    if provsim.linux_agent == "cloud-init":
        from provsim.containers.base_image import ensure_cloud_init

        image = ensure_cloud_init(containers.run.client)
    containers.build_vm = create_build_vm(containers.run, provsim.platform, provsim.seed, image=image)
    provsim.build_vm = containers.build_vm.vm
    if provsim.os_state is not None and provsim.os_state.value == "generalized":
        waagent_deprovision(containers.build_vm.machine)
    containers.evidence = observe(containers.build_vm.machine.container, containers.build_vm.user)


def _linux_only(provsim: ScenarioContext) -> None:
    if provsim.os_type is not None and provsim.os_type.value != "linux":
        raise AssertionError("containers run Linux images only: tag Windows scenarios without @container")
