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

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from ..build import on_premises_disk
from ..cells import Cell
from ..errors import ProvsimError
from ..model import OsState, OsType, Stage
from ..outcome import SourceVm
from ..platform import AllottedTime, Platform, VirtualMachine
from ..profile import generate_profile
from ..stopping import held
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


#: Cells run side by side by :func:`run_cells`: a cell mostly waits on the engine (starting, committing, exec round
#: trips), so a few at a time keep two cores busy; more only queue up in the engine.
CELLS_AT_ONCE = 4


def run_cells(
    run: Run,
    cells: Sequence[Cell],
    seed: int = 0,
    allotted: AllottedTime | None = None,
    budget: RealBudget = DEFAULT_BUDGET,
    *,
    at_once: int = CELLS_AT_ONCE,
) -> list[ContainerCell]:
    """Run Linux cells side by side in one run (``at_once`` at a time); their results in the cells' order.

    Each cell has its own machines, images (:meth:`Run.image_name` never gives
    a name twice) and platform, so the cells share nothing but the engine. If
    one fails, or Ctrl-C or a stop signal arrives, the cells still running
    fail at their next machine or image (:meth:`Run.stop`), and this returns
    only when every one has ended, so that leaving the run removes all they made.
    """
    for role in ("onprem", "build", "vm"):
        # Faker is one instance, seeded per profile: profiles are made here, before the threads share it.
        generate_profile(OsType.LINUX, seed, role=role)
    if at_once <= 1 or len(cells) <= 1:
        return [run_cell(run, cell, seed, allotted, budget) for cell in cells]
    pool = ThreadPoolExecutor(min(at_once, len(cells)), thread_name_prefix="provsim-cell")
    try:
        running = [pool.submit(run_cell, run, cell, seed, allotted, budget) for cell in cells]
        return [cell.result() for cell in running]
    except BaseException:
        run.stop()
        raise
    finally:
        with held():  # a second Ctrl-C must not leave cells creating containers after the run removed its own
            pool.shutdown(wait=True, cancel_futures=True)
