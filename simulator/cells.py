"""One VM creation for an OS state, a stage and a registration, end to end.

This is the simulated walk through the seed's table: prepare a disk whose OS
is in the asked state *by running the deprovision tools on it*, upload it or
capture it, then create a VM. Nothing here knows the expected outcome.

    >>> outcome = simulate(Cell(OsType.LINUX, OsState.GENERALIZED, Stage.CAPTURE, OsState.SPECIALIZED))
    >>> outcome.status.value, outcome.error_code.value
    ('provisioning_timeout', 'OSProvisioningTimedOut')
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .build import create_build_vm, generalize, on_premises_disk
from .model import OsState, OsType, Stage
from .outcome import Outcome
from .platform import AllottedTime, Platform
from .profile import generate_profile
from .stages import capture, upload


@dataclass(frozen=True)
class Cell:
    """A question of the table: an OS in ``os_state``, through ``stage``, registered as ``registered_as``."""

    os_type: OsType
    os_state: OsState
    stage: Stage
    registered_as: OsState


def all_cells() -> list[Cell]:
    """The 16 combinations, in the seed's order: OS, then OS state, then stage, then registration."""
    return [
        Cell(os_type, os_state, stage, registered_as)
        for os_type, os_state, stage, registered_as in itertools.product(
            (OsType.WINDOWS, OsType.LINUX), OsState, Stage, (OsState.SPECIALIZED, OsState.GENERALIZED)
        )
    ]


def simulate(cell: Cell, seed: int = 0, allotted: AllottedTime | None = None) -> Outcome:
    """Run the cell's story on in-memory disks and return the outcome of the final VM creation."""
    platform = Platform(allotted or AllottedTime(), seed)
    source_vm = None
    if cell.stage is Stage.UPLOAD:
        disk = on_premises_disk(cell.os_type, seed)
        if cell.os_state is OsState.GENERALIZED:
            generalize(disk, cell.os_type)
        image = upload(disk, cell.os_type, cell.registered_as)
    else:
        build_vm = create_build_vm(platform, cell.os_type, seed)
        if cell.os_state is OsState.GENERALIZED:
            generalize(build_vm.disk, cell.os_type)
        image, source_vm = capture(build_vm, cell.registered_as)
    profile = generate_profile(cell.os_type, seed, role="vm")
    return platform.create_vm(image, profile, source_vm=source_vm).outcome
