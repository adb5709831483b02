"""The agents decide from the disk and the media, and from nothing else."""

from provsim import Account, MemoryDisk, OsType, generate_profile
from provsim.deprovision import SysprepOptions, sysprep, waagent_deprovision
from provsim.guest import LinuxAgent, WindowsSetup, windows
from provsim.guest.linux import PROVISIONED_MARKER, SAVED_OVF_ENV
from provsim.media import build_ovf_env

PROFILE = generate_profile(OsType.LINUX, 3)
MEDIA = build_ovf_env(OsType.LINUX, PROFILE)


def provisioned_linux_disk() -> MemoryDisk:
    disk = MemoryDisk()
    assert LinuxAgent().boot(disk, "build-id", build_ovf_env(OsType.LINUX, generate_profile(OsType.LINUX, 9))).ready
    return disk


def test_linux_agent_provisions_from_media_and_masks_the_password() -> None:
    disk = MemoryDisk()
    boot = LinuxAgent().boot(disk, "id-1", MEDIA)
    assert boot.ready
    assert disk.hostname() == PROFILE.computer_name
    assert disk.user(PROFILE.admin_username) is not None
    assert disk.read_text(PROVISIONED_MARKER) == "id-1"
    saved = disk.read_text(SAVED_OVF_ENV) or ""
    assert PROFILE.admin_password.reveal() not in saved and "********" in saved


def test_linux_agent_without_marker_or_media_never_reports_ready() -> None:
    boot = LinuxAgent().boot(MemoryDisk(), "id-1", None)
    assert not boot.ready
    assert "Provisioning failed" in boot.log[-1][1]


def test_linux_agent_with_a_foreign_marker_reports_ready_without_applying_the_profile() -> None:
    disk = provisioned_linux_disk()
    old_name = disk.hostname()
    boot = LinuxAgent().boot(disk, "new-id", MEDIA)
    assert boot.ready
    assert disk.hostname() == old_name and disk.user(PROFILE.admin_username) is None
    assert disk.read_text(PROVISIONED_MARKER) == "new-id"


def test_linux_agent_same_instance_skips() -> None:
    disk = provisioned_linux_disk()
    boot = LinuxAgent().boot(disk, "build-id", None)
    assert boot.ready and any("already completed" in text for _, text in boot.log)


def test_deprovision_plus_user_removes_the_build_identity() -> None:
    disk = provisioned_linux_disk()
    build_user = disk.users()[0].name
    disk.write_text("/etc/resolv.conf", "nameserver 127.0.0.1")
    waagent_deprovision(disk, delete_user=True)
    assert not disk.exists("/var/lib/waagent")
    assert disk.user(build_user) is None and not disk.exists(f"/home/{build_user}")
    assert disk.glob("/etc/ssh/ssh_host_*") == []
    assert disk.hostname() == "localhost.localdomain"
    assert not disk.exists("/etc/resolv.conf")


def test_deprovision_without_user_keeps_the_build_account() -> None:
    disk = provisioned_linux_disk()
    build_user = disk.users()[0].name
    waagent_deprovision(disk, delete_user=False)
    assert disk.user(build_user) is not None
    assert not disk.exists(PROVISIONED_MARKER)


def windows_disk(state: str) -> MemoryDisk:
    disk = MemoryDisk(hostname="OLD-NAME")
    disk.add_user(Account("olduser", home="C:/Users/olduser"))
    disk.write_text(windows.IMAGE_STATE, state)
    return disk


def test_windows_generalized_without_media_waits_at_oobe() -> None:
    boot = WindowsSetup().boot(windows_disk(windows.GENERALIZE_RESEAL_TO_OOBE), "id", None)
    assert not boot.ready and "OOBE" in boot.log[-1][1]


def test_windows_generalized_with_media_applies_the_profile() -> None:
    profile = generate_profile(OsType.WINDOWS, 5)
    disk = windows_disk(windows.GENERALIZE_RESEAL_TO_OOBE)
    assert WindowsSetup().boot(disk, "id", build_ovf_env(OsType.WINDOWS, profile)).ready
    assert disk.hostname() == profile.computer_name
    assert windows.image_state(disk) == windows.COMPLETE


def test_windows_specialized_ignores_media() -> None:
    profile = generate_profile(OsType.WINDOWS, 5)
    disk = windows_disk(windows.COMPLETE)
    assert WindowsSetup().boot(disk, "id", build_ovf_env(OsType.WINDOWS, profile)).ready
    assert disk.hostname() == "OLD-NAME"


def test_sysprep_without_generalize_keeps_the_computer_name() -> None:
    profile = generate_profile(OsType.WINDOWS, 5)
    disk = windows_disk(windows.COMPLETE)
    sysprep(disk, SysprepOptions(generalize=False, oobe=True))
    assert WindowsSetup().boot(disk, "id", build_ovf_env(OsType.WINDOWS, profile)).ready
    assert disk.hostname() == "OLD-NAME" and disk.user(profile.admin_username) is not None


def test_sysprep_to_audit_never_reports_ready() -> None:
    disk = windows_disk(windows.COMPLETE)
    sysprep(disk, SysprepOptions(generalize=True, oobe=False))
    assert not WindowsSetup().boot(disk, "id", None).ready
