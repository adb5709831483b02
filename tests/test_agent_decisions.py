"""The agents' decisions from the disk: waagent's handler, cloud-init's instance, the platform image's agent."""

from __future__ import annotations

from pathlib import Path

import pytest
from provsim import MemoryDisk, OsType, Platform, create_build_vm, generalize
from provsim.guest.agent_config import (
    CLOUD_INIT_DISABLED_FILE,
    WAAGENT_CONF,
    cloud_init_unit_state,
    provisioning_agent,
    udf_blocked,
)
from provsim.guest.cloud_init import INSTANCE_ID_FILE, SUDOERS_FILE, run_cloud_init
from provsim.guest.linux import handler_mode
from provsim.hygiene import inspect_image
from provsim.marketplace import agent_of
from provsim.pipeline.model import Location
from provsim.pipeline.scripts.shell import Context
from provsim.pipeline.scripts.steps import run_command

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def cloud_init_build_vm(seed: int = 3) -> MemoryDisk:
    vm = create_build_vm(Platform(seed=seed), OsType.LINUX, seed, "cloud-init")
    assert isinstance(vm.disk, MemoryDisk)
    return vm.disk


def run(disk: MemoryDisk, command: str) -> int | None:
    return run_command(command, Context(disk, "packer"), Location("test")).status


@pytest.mark.parametrize(
    ("publisher", "offer", "sku", "agent", "known"),
    [
        ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "cloud-init", True),
        ("Canonical", "ubuntu-24_04-lts", "server", "cloud-init", True),
        ("RedHat", "RHEL", "8-LVM", "cloud-init", True),
        ("RedHat", "RHEL", "7.6", "waagent", True),
        ("OpenLogic", "CentOS", "7_9-gen2", "cloud-init", True),
        ("OpenLogic", "CentOS", "6.10", "waagent", True),
        ("Debian", "debian-12", "12-gen2", "cloud-init", True),
        ("Debian", "debian-10", "10", "waagent", True),
        ("MicrosoftCBLMariner", "azure-linux-3", "azure-linux-3", "cloud-init", True),
        ("RedHat", "RHEL", "76-gen2", "waagent", True),
        ("Oracle", "Oracle-Linux", "ol76-gen2", "waagent", True),
        ("RedHat", "RHEL", "7lvm-gen2", "cloud-init", True),
        ("RedHat", "RHEL", "7-RAW", "cloud-init", True),
        ("RedHat", "rhel-byos", "rhel-lvm91-gen2", "cloud-init", True),
        ("SUSE", "sles-15-sp5", "gen2", "waagent", False),
        ("RedHat", "RHEL", "latest", "waagent", False),
    ],
)
def test_the_platform_image_table(publisher: str, offer: str, sku: str, agent: str, known: bool) -> None:
    choice = agent_of(publisher, offer, sku)
    assert (choice.agent, choice.known) == (agent, known)
    assert (choice.known) or "--linux-agent" in choice.why


def test_the_last_provisioning_agent_setting_wins_and_comments_do_not_count() -> None:
    disk = MemoryDisk()
    assert provisioning_agent(disk) == "auto"
    disk.write_text(
        WAAGENT_CONF, "Provisioning.Agent=cloud-init\n# Provisioning.Agent=disabled\nProvisioning.Agent=waagent\n"
    )
    assert provisioning_agent(disk) == "waagent"


def test_handler_mode_follows_the_unit_state_not_the_disabled_file() -> None:
    disk = cloud_init_build_vm()
    assert handler_mode(disk) == "cloud-init"
    assert run(disk, f"sudo touch {CLOUD_INIT_DISABLED_FILE}") == 0
    assert cloud_init_unit_state(disk) == "enabled" and handler_mode(disk) == "cloud-init"
    assert run(disk, "sudo systemctl mask cloud-init-local.service") == 0
    assert cloud_init_unit_state(disk) == "masked" and handler_mode(disk) == "waagent"
    assert run(disk, "sudo systemctl unmask cloud-init-local") == 0 and handler_mode(disk) == "cloud-init"


def test_systemctl_and_apt_need_root_as_on_a_build_vm() -> None:
    disk = cloud_init_build_vm()
    assert run(disk, "systemctl disable cloud-init-local") != 0
    assert run(disk, "apt-get remove -y cloud-init") != 0
    assert handler_mode(disk) == "cloud-init"
    assert run(disk, "sudo apt-get remove -y cloud-init") == 0
    assert cloud_init_unit_state(disk) == "not-found" and handler_mode(disk) == "waagent"


def test_a_sed_edit_of_waagent_conf_changes_the_handler() -> None:
    disk = cloud_init_build_vm()
    assert run(disk, "sudo sed -i 's/^#\\?Provisioning.Agent=.*/Provisioning.Agent=disabled/' /etc/waagent.conf") == 0
    assert handler_mode(disk) == "disabled"


def test_udf_blocked_by_install_or_blacklist() -> None:
    disk = MemoryDisk()
    disk.write_text("/etc/modprobe.d/cis.conf", "install cramfs /bin/true\n# install udf /bin/true\n")
    assert udf_blocked(disk) is None
    disk.write_text("/etc/modprobe.d/cis.conf", "install udf /bin/false\n")
    assert udf_blocked(disk) == "/etc/modprobe.d/cis.conf"


def test_cloud_init_provisions_a_new_instance_and_leaves_the_old_rule() -> None:
    disk = cloud_init_build_vm()
    (build_user,) = [account.name for account in disk.users()]
    from provsim.media import build_ovf_env
    from provsim.profile import generate_profile

    profile = generate_profile(OsType.LINUX, 9, role="vm")
    boot = run_cloud_init(disk, "new-vm", build_ovf_env(OsType.LINUX, profile))
    assert boot.ran and boot.new_instance and boot.applied_profile
    assert disk.hostname() == profile.computer_name and disk.read_text(INSTANCE_ID_FILE) == "new-vm"
    rules = disk.read_text(SUDOERS_FILE) or ""
    assert build_user in rules and profile.admin_username in rules
    again = run_cloud_init(disk, "new-vm", None)
    assert again.ran and not again.new_instance and not again.applied_profile


def test_hygiene_of_a_deprovisioned_cloud_init_image() -> None:
    disk = cloud_init_build_vm()
    generalize(disk, OsType.LINUX)
    found = {residue.id: residue for residue in inspect_image(disk)}
    assert set(found) == {"hygiene.cloud-init-instance", "hygiene.sudoers-residue"}
    assert not found["hygiene.cloud-init-instance"].inherited and found["hygiene.sudoers-residue"].inherited
    assert run(disk, "sudo cloud-init clean") == 0 and run(disk, f"sudo rm -f {SUDOERS_FILE}") == 0
    assert inspect_image(disk) == []


@pytest.mark.parametrize(
    ("setting", "mode"),
    [
        ("Provisioning.Agent=waagent#no cloud-init", "waagent"),
        ('Provisioning.Agent="waagent"', "waagent"),
        ("Provisioning.Agent=Waagent", "disabled"),
        ("Provisioning.Agent=", "disabled"),
        ("Provisioning.Agent=None", "cloud-init"),
        ("Provisioning.Agent=auto\nProvisioning.Agent=cloud-init", "cloud-init"),
    ],
)
def test_waagent_conf_is_read_as_waagent_reads_it(setting: str, mode: str) -> None:
    """``common/conf.py``: cut at '#', quotes stripped, case kept, 'None' is unset, the last line wins."""
    disk = cloud_init_build_vm()
    disk.write_text(WAAGENT_CONF, setting + "\n")
    assert handler_mode(disk) == mode


def test_package_globs_and_a_mask_by_hand() -> None:
    disk = cloud_init_build_vm()
    assert run(disk, "sudo apt-get -y remove 'cloud-init*'") == 0 and cloud_init_unit_state(disk) == "not-found"
    disk = cloud_init_build_vm()
    assert run(disk, "sudo ln -sf /dev/null /etc/systemd/system/cloud-init-local.service") == 0
    assert cloud_init_unit_state(disk) == "masked"


def test_stock_ssh_config_is_on_every_image_and_the_build_user_is_packers() -> None:
    vm = create_build_vm(Platform(seed=1), OsType.LINUX, 1, "cloud-init", username="packer")
    assert isinstance(vm.disk, MemoryDisk) and vm.disk.user("packer") is not None
    sed = "sudo sed -i 's/^#PasswordAuthentication.*/PasswordAuthentication no/' /etc/ssh/sshd_config"
    assert run(vm.disk, sed) == 0
    assert "PasswordAuthentication no" in (vm.disk.read_text("/etc/ssh/sshd_config") or "")


def test_a_build_that_fails_registers_nothing_and_fails_ci(tmp_path: Path) -> None:
    from provsim.pipeline.check import check_path

    template = (FIXTURES / "rules" / "PSIM008.pkr.hcl").read_text()
    (tmp_path / "t.pkr.hcl").write_text(template)
    (report,) = check_path(tmp_path / "t.pkr.hcl")
    assert report.build_failed and not report.registrations and not report.succeeded
    assert report.to_dict()["os_state"] is None
