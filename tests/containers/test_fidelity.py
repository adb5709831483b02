"""Fidelity: the in-memory model of ``waagent -force -deprovision+user`` and the real waagent agree.

The same story runs on both disks: a build VM provisioned by the platform
from the same OS profile, then deprovisioned (in memory by
:func:`provsim.deprovision.waagent_deprovision`, in the container by the
Debian ``waagent`` package). Every fact the evidence checks must match.
"""

from __future__ import annotations

from typing import Any

import pytest
from provsim.build import create_build_vm, on_premises_disk
from provsim.containers.cells import create_build_vm as create_build_container
from provsim.containers.cells import on_premises_machine
from provsim.containers.evidence import evidence_from_disk, observe
from provsim.containers.stages import waagent_deprovision as real_waagent
from provsim.deprovision import waagent_deprovision as modelled_waagent
from provsim.model import OsType
from provsim.platform import Platform

pytestmark = pytest.mark.container


@pytest.mark.parametrize("seed", [1, 2])
def test_build_vm_deprovision_agrees(docker_run: Any, seed: int) -> None:
    memory_vm = create_build_vm(Platform(seed=seed), OsType.LINUX, seed)
    build = create_build_container(docker_run, Platform(seed=seed), seed)
    user = build.user
    before_model = evidence_from_disk(memory_vm.disk, user)
    before_real = observe(build.machine.container, user)
    assert before_model.comparable() == before_real.comparable()

    modelled_waagent(memory_vm.disk, delete_user=True)
    real_waagent(build.machine)

    model, real = evidence_from_disk(memory_vm.disk, user), observe(build.machine.container, user)
    assert model.comparable() == real.comparable(), f"model {model.facts()}\nreal  {real.facts()}"
    # The disk interface sees the container exactly as testinfra does.
    assert evidence_from_disk(build.machine.disk, user) == real
    assert real.os_state.value == "generalized"


def test_on_premises_deprovision_agrees(docker_run: Any) -> None:
    memory = on_premises_disk(OsType.LINUX, 5)
    machine, user = on_premises_machine(docker_run, 5)
    modelled_waagent(memory, delete_user=True)
    real_waagent(machine)
    model, real = evidence_from_disk(memory, user), observe(machine.container, user)
    # No saved ovf-env.xml on an on-premises install: +user has nobody to delete, in both.
    assert model.comparable() == real.comparable(), f"model {model.facts()}\nreal  {real.facts()}"
    assert real.build_user_present
