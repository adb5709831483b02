"""The seed's Linux cells, told with containers and the real waagent.

The same story as :func:`provsim.cells.simulate`, with real tools:

- upload: an on-premises machine (the core's :func:`~provsim.build.on_premises_disk`
  replayed onto a container) is generalized, when the cell says so, with the
  real ``waagent -force -deprovision+user``, then exported and imported;
- capture: a build VM is a container from the base image, provisioned by the
  guest agent through the platform; generalized with the real waagent, then
  committed.

Nothing here knows the expected outcome; the OS state that is registered
comes from the evidence on the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..build import on_premises_disk
from ..cells import Cell
from ..errors import ProvsimError
from ..model import OsState, OsType, Stage
from ..outcome import SourceVm
from ..platform import AllottedTime, Platform, VirtualMachine
from ..profile import generate_profile
from .boot import DEFAULT_BUDGET, ContainerImage, CreatedVm, RealBudget, boot, create_vm
from .cleanup import BUILD_ROLE, Run
from .evidence import DiskEvidence, observe
from .machine import Machine
from .stages import capture, replay, retire, upload, waagent_deprovision


@dataclass
class BuildVm:
    """A provisioned build VM in a container, as Packer or AIB creates it."""

    machine: Machine
    vm: VirtualMachine
    user: str


@dataclass
class ContainerCell(CreatedVm):
    """A cell's result: the image's OS state read off the disk, and the final VM creation."""

    cell: Cell
    evidence: DiskEvidence


def platform_image(run: Run, tag: str | None = None) -> ContainerImage:
    """The base image (or its variant ``tag``), as the platform offers it: a generalized Marketplace image."""
    return ContainerImage(tag or run.base_image, OsType.LINUX, OsState.GENERALIZED, None)


def create_build_vm(
    run: Run,
    platform: Platform,
    seed: int,
    budget: RealBudget = DEFAULT_BUDGET,
    *,
    image: str | None = None,
    username: str | None = None,
) -> BuildVm:
    """A build VM: the base image (or ``image``) booted with a Faker OS profile (as ``username`` when given)."""
    profile = generate_profile(OsType.LINUX, seed, role="build")
    if username is not None:
        profile = replace(profile, admin_username=username)
    started = boot(run, platform, platform_image(run, image), profile, role=BUILD_ROLE, budget=budget)
    if not started.outcome.succeeded:
        raise ProvsimError(f"the build VM did not provision: {started.outcome.reason}")
    return BuildVm(started.machine, started.vm, profile.admin_username)


def on_premises_machine(run: Run, seed: int) -> tuple[Machine, str]:
    """A container holding the core's on-premises Linux install; returns it and its user."""
    source = on_premises_disk(OsType.LINUX, seed)
    machine = run.machine(run.base_image, role="onprem")
    replay(source, machine.disk)
    return machine, source.users()[0].name


def run_cell(
    run: Run, cell: Cell, seed: int = 0, allotted: AllottedTime | None = None, budget: RealBudget = DEFAULT_BUDGET
) -> ContainerCell:
    """Run one Linux cell in containers and return the outcome of the final VM creation."""
    if cell.os_type is not OsType.LINUX:
        raise ProvsimError("the Docker backend runs the Linux cells only")
    platform = Platform(allotted or AllottedTime(), seed)
    source_vm: SourceVm | None = None
    if cell.stage is Stage.UPLOAD:
        machine, user = on_premises_machine(run, seed)
        if cell.os_state is OsState.GENERALIZED:
            waagent_deprovision(machine)
        evidence = observe(machine.container, user)
        image = upload(run, machine, cell.registered_as)
    else:
        build_vm = create_build_vm(run, platform, seed, budget)
        if cell.os_state is OsState.GENERALIZED:
            waagent_deprovision(build_vm.machine)
        evidence = observe(build_vm.machine.container, build_vm.user)
        image, source_vm = capture(run, build_vm.machine, build_vm.vm, cell.registered_as)
        retire(build_vm.machine, source_vm)
    creation = create_vm(run, platform, image, seed, source_vm=source_vm, budget=budget)
    return ContainerCell(image, source_vm, creation, cell=cell, evidence=evidence)
