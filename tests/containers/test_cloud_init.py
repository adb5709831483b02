"""The real cloud-init (Debian's 22.4) provisioning VM containers, as on Azure (FACTS.md section 7).

First boots of provsim's cloud-init base image: generalized with provisioning
media, specialized (captured after a boot, a new instance id, no media), the
same VM again, cloud-init switched off by ``/etc/cloud/cloud-init.disabled``
(alone, and in a deprovisioned image: a provisioning timeout), and a build VM
captured without deprovision. About a minute and a half in all on a quiet
machine with the image built (each VM boot is about 5 s of cloud-init; building
the image once, about 90 s).
"""

from __future__ import annotations

from typing import Any

import pytest
from provsim.containers import base_image
from provsim.containers.boot import Boot, ContainerImage, boot
from provsim.containers.cloud_init import (
    SEED_FOLDER,
    RealCloudInit,
    VmHardware,
    forget_boot,
    image_has_cloud_init,
    read_facts,
)
from provsim.containers.stages import capture, waagent_deprovision
from provsim.guest.agent_config import CLOUD_INIT_DISABLED_FILE
from provsim.guest.cloud_init import WAAGENT_OVF_ENV
from provsim.model import OsState, OsType
from provsim.platform import Platform
from provsim.profile import OsProfile, generate_profile

pytestmark = pytest.mark.container


@pytest.fixture(scope="session")
def cloud_init_image(docker_engine: tuple[Any, str]) -> str:
    """The cloud-init base image's tag (built on first use)."""
    client, _ = docker_engine
    return base_image.ensure_cloud_init(client)


def _platform_image(tag: str) -> ContainerImage:
    return ContainerImage(tag, OsType.LINUX, OsState.GENERALIZED, None)


def _first_boot(run: Any, tag: str, seed: int) -> tuple[Boot, OsProfile]:
    profile = generate_profile(OsType.LINUX, seed, role="vm")
    return boot(run, Platform(seed=seed), _platform_image(tag), profile), profile


def test_the_cloud_init_image_is_a_variant_of_the_classic_one(docker_run: Any, cloud_init_image: str) -> None:
    assert image_has_cloud_init(docker_run, cloud_init_image)
    assert not image_has_cloud_init(docker_run, docker_run.base_image)
    assert base_image.cloud_init_recipe().tag == cloud_init_image
    assert base_image.machine_recipe().tag == docker_run.base_image


def test_generalized_image_is_provisioned_from_the_media(docker_run: Any, cloud_init_image: str) -> None:
    booted, profile = _first_boot(docker_run, cloud_init_image, 3)
    assert booted.outcome.succeeded, booted.outcome.reason
    assert booted.cloud_init is not None
    facts = read_facts(booted.machine.disk, profile.admin_username)
    assert facts.hostname == profile.computer_name
    assert facts.user_present and facts.sudoers_file and facts.sudo_rule
    assert facts.instance_id == booted.vm.instance_id
    assert facts.waagent_ovf_env and facts.ssh_host_keys
    saved = booted.machine.disk.read_text(WAAGENT_OVF_ENV) or ""
    # DataSourceAzure's write_files redacts the password in the copy it leaves for waagent.
    assert profile.computer_name in saved and profile.admin_password.reveal() not in saved
    assert all(booted.checks.values()), booted.checks
    assert [stage.exit_code for stage in booted.cloud_init.stages] == [0, 0, 0, 0], booted.cloud_init.status
    assert "status: done" in booted.cloud_init.status
    # The media left the host once cloud-init had read it, and the VM cannot write to its drive.
    assert not list(booted.cloud_init.hardware.media.iterdir())
    assert booted.machine.disk.glob(f"{SEED_FOLDER}/*") == []
    assert "provisioned from the provisioning media" in " ".join(booted.outcome.timeline.texts())


def test_specialized_capture_is_a_new_instance_that_keeps_the_old_vm(docker_run: Any, cloud_init_image: str) -> None:
    first, profile = _first_boot(docker_run, cloud_init_image, 4)
    assert first.outcome.succeeded, first.outcome.reason
    image, _ = capture(docker_run, first.machine, first.vm, OsState.SPECIALIZED)
    other = generate_profile(OsType.LINUX, 40, role="vm")
    second = boot(docker_run, Platform(seed=40), image, other)
    assert second.cloud_init is not None
    cloud = second.cloud_init
    facts = read_facts(second.machine.disk, profile.admin_username)
    assert second.outcome.succeeded, second.outcome.reason
    assert facts.instance_id == second.vm.instance_id != first.vm.instance_id
    # No media: the old VM's host name, user and sudo rule stay (its own ovf-env.xml copy is read again).
    assert facts.hostname == profile.computer_name
    assert facts.user_present and facts.sudo_rule and facts.waagent_ovf_env
    assert second.machine.disk.user(other.admin_username) is None
    assert [stage.exit_code for stage in cloud.stages] == [0, 0, 0, 0], cloud.status


def test_the_same_instance_again_does_nothing_new(docker_run: Any, cloud_init_image: str) -> None:
    first, profile = _first_boot(docker_run, cloud_init_image, 5)
    assert first.cloud_init is not None
    machine = first.machine
    keys = machine.disk.glob("/etc/ssh/ssh_host_*_key")
    host_key = machine.disk.read_text(keys[0])
    forget_boot(machine)
    again = RealCloudInit(machine, first.cloud_init.hardware)(machine.disk, first.vm.instance_id, None)
    assert (again.ran, again.new_instance, again.applied_profile) == (True, False, False)
    assert again.errors == []
    assert machine.disk.read_text(keys[0]) == host_key  # ssh_deletekeys is per instance: the keys stay
    assert read_facts(machine.disk, profile.admin_username).hostname == profile.computer_name


def test_cloud_init_disabled_by_its_file_does_not_run(docker_run: Any, cloud_init_image: str) -> None:
    hardware = VmHardware.for_run(docker_run)
    machine = docker_run.machine(cloud_init_image, "vm", hardware.volumes())
    machine.disk.write_text(CLOUD_INIT_DISABLED_FILE, "")
    profile = generate_profile(OsType.LINUX, 6, role="vm")
    from provsim.media import build_ovf_env

    runner = RealCloudInit(machine, hardware)
    result = runner(machine.disk, "0f0e0d0c-0b0a-4908-8706-050403020100", build_ovf_env(OsType.LINUX, profile))
    assert (result.ran, result.new_instance, result.applied_profile) == (False, False, False)
    assert "disabled" in result.log[0][1]
    assert runner.stages == []
    facts = read_facts(machine.disk, profile.admin_username)
    assert facts.hostname == "localhost.localdomain"
    assert not (facts.user_present or facts.sudoers_file or facts.waagent_ovf_env or facts.ssh_host_keys)
    assert facts.instance_id is None
    assert not list(hardware.media.iterdir())


def test_specialized_build_vm_captured_as_generalized_gets_the_new_profile(
    docker_run: Any, cloud_init_image: str
) -> None:
    """The cell that fails on a waagent-only image (OSProvisioningClientError) succeeds with cloud-init.

    cloud-init keys on the instance id, not on waagent's marker: the capture's
    new VM is a new instance, so it applies the new OS profile from the media;
    waagent sees its old marker, rewrites it and reports ready.
    """
    build_profile = generate_profile(OsType.LINUX, 14, role="build")
    platform = Platform(seed=14)
    build_vm = boot(docker_run, platform, _platform_image(cloud_init_image), build_profile, role="build")
    assert build_vm.outcome.succeeded, build_vm.outcome.reason
    image, _ = capture(docker_run, build_vm.machine, build_vm.vm, OsState.GENERALIZED)
    profile = generate_profile(OsType.LINUX, 15, role="vm")
    vm = boot(docker_run, platform, image, profile)
    assert vm.outcome.succeeded, vm.outcome.reason
    assert vm.cloud_init is not None
    facts = read_facts(vm.machine.disk, profile.admin_username)
    assert facts.hostname == profile.computer_name and facts.user_present and facts.sudo_rule
    # The build user is residue: still there, with its sudo rule.
    assert read_facts(vm.machine.disk, build_profile.admin_username).sudo_rule
    assert any("unique identifier has changed" in text for text in vm.outcome.timeline.texts())


def test_the_vm_cannot_change_its_firmware_or_media_and_holds_no_sys_admin(
    docker_run: Any, cloud_init_image: str
) -> None:
    hardware = VmHardware.for_run(docker_run)
    machine = docker_run.machine(cloud_init_image, "vm", hardware.volumes())
    hardware.set_instance_id("0f0e0d0c-0b0a-4908-8706-050403020100")
    disk = machine.disk
    assert disk.read_text("/sys/class/dmi/id/product_uuid") == "0f0e0d0c-0b0a-4908-8706-050403020100\n"
    for path in ("/sys/class/dmi/id/product_uuid", "/sys/class/dmi/id/new", f"{SEED_FOLDER}/ovf-env.xml"):
        assert disk.run(f"echo x > {path}")[0] != 0, path
    effective = int(disk.must("awk '/^CapEff/ {print $2}' /proc/self/status").strip(), 16)
    assert not effective & (1 << 21), "CAP_SYS_ADMIN"


def test_deprovisioned_image_with_cloud_init_switched_off_times_out(docker_run: Any, cloud_init_image: str) -> None:
    """waagent in cloud-init mode waits for the ovf-env.xml a disabled cloud-init never copies (WALinuxAgent #2144)."""
    build_profile = generate_profile(OsType.LINUX, 17, role="build")
    platform = Platform(seed=17)
    build_vm = boot(docker_run, platform, _platform_image(cloud_init_image), build_profile, role="build")
    assert build_vm.outcome.succeeded, build_vm.outcome.reason
    build_vm.machine.disk.write_text(CLOUD_INIT_DISABLED_FILE, "")
    waagent_deprovision(build_vm.machine)
    image, _ = capture(docker_run, build_vm.machine, build_vm.vm, OsState.GENERALIZED)
    vm = boot(docker_run, platform, image, generate_profile(OsType.LINUX, 18, role="vm"))
    assert vm.outcome.status.value == "provisioning_timeout", vm.outcome.reason
    assert vm.cloud_init is not None and vm.cloud_init.stages == []
    assert not vm.machine.disk.exists(WAAGENT_OVF_ENV)
