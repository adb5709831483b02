"""Where disks come from: platform images, build VMs and on-premises disks.

A build VM is created the way Packer and Azure Image Builder create one: from a
generalized platform (Marketplace) image, with an OS profile, through the same
:meth:`Platform.create_vm` every other VM goes through. So its disk is
specialized until something deprovisions it.

An on-premises disk is an OS installed and configured by hand, for the upload
stage. provsim assumes it runs the Azure guest agent already configured for
that machine (Linux: the agent's ``provisioned`` marker under the on-premises
machine's id; Windows: Setup complete), i.e. specialized until generalized.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .deprovision import SysprepOptions, sysprep, waagent_deprovision
from .disk import Account, GuestDisk, MemoryDisk
from .errors import ProvsimError
from .guest import windows
from .guest.agent_config import CLOUD_INIT_BINARY, CLOUD_INIT_UNITS, WAAGENT_CONF, systemctl
from .guest.cloud_init import INSTANCE_ID_FILE
from .guest.linux import PROVISIONED_MARKER
from .marketplace import CLOUD_INIT, WAAGENT
from .model import OsState, OsType
from .platform import Image, Platform, VirtualMachine
from .profile import generate_profile

#: The shape of OpenSSH's stock sshd_config as distributions ship it (the lines templates edit).
STOCK_SSHD_CONFIG = """\
Include /etc/ssh/sshd_config.d/*.conf
#Port 22
#PermitRootLogin prohibit-password
#PubkeyAuthentication yes
#PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
ClientAliveInterval 120
"""


def platform_image(os_type: OsType, linux_agent: str = WAAGENT) -> Image:
    """A Marketplace image: generalized, the guest agents installed, nobody's identity on it.

    A Linux image provisions with ``linux_agent``: ``waagent`` alone
    (``Provisioning.Agent=waagent``, no cloud-init), or ``cloud-init`` with
    waagent handing over to it (``Provisioning.Agent=auto``, cloud-init's units
    enabled), as Ubuntu, RHEL and Debian images ship (:mod:`provsim.marketplace`).
    """
    # Each build starts from its own copy of the one disk each image has (a check of many templates makes many).
    name, disk = _platform_disk(os_type, linux_agent)
    return Image(name, os_type, disk.clone(), OsState.GENERALIZED)


@lru_cache(maxsize=8)
def _platform_disk(os_type: OsType, linux_agent: str) -> tuple[str, MemoryDisk]:
    disk = MemoryDisk(hostname="localhost.localdomain" if os_type is OsType.LINUX else "WIN-TEMPLATE")
    if os_type is OsType.LINUX:
        disk.write_text("/usr/sbin/waagent", "#!/usr/bin/python3\n# WALinuxAgent\n")
        # Stock files templates edit with sed -i: every Azure Linux image ships them.
        disk.write_text("/etc/ssh/sshd_config", STOCK_SSHD_CONFIG)
        disk.write_text("/etc/ssh/ssh_config", "Host *\n    SendEnv LANG LC_*\n")
        if linux_agent == CLOUD_INIT:
            _install_cloud_init(disk)
        else:
            disk.write_text(WAAGENT_CONF, "Provisioning.Agent=waagent\n")
    else:
        disk.write_text(windows.IMAGE_STATE, windows.GENERALIZE_RESEAL_TO_OOBE)
        disk.write_text("C:/WindowsAzure/GuestAgent/WindowsAzureGuestAgent.exe", "")
    name = "Canonical:ubuntu-24_04-lts:server" if os_type is OsType.LINUX else "MicrosoftWindowsServer:2022-datacenter"
    return name, disk


def _install_cloud_init(disk: MemoryDisk) -> None:
    """cloud-init as Ubuntu's and Debian's images ship it: enabled, with waagent set to hand over (``auto``)."""
    disk.write_text(WAAGENT_CONF, "Provisioning.Agent=auto\n")
    disk.write_text(CLOUD_INIT_BINARY, "#!/usr/bin/python3\n# cloud-init\n")
    systemctl(disk, "enable", list(CLOUD_INIT_UNITS))


def create_build_vm(
    platform: Platform, os_type: OsType, seed: int, linux_agent: str = WAAGENT, *, username: str | None = None
) -> VirtualMachine:
    """A provisioned build VM, as Packer's azure-arm builder or AIB would create it (as ``username``, when given)."""
    profile = generate_profile(os_type, seed, role="build")
    if username is not None:
        profile = replace(profile, admin_username=username)
    creation = platform.create_vm(platform_image(os_type, linux_agent), profile)
    if not creation.outcome.succeeded:  # pragma: no cover - a platform image always provisions
        raise ProvsimError(f"the build VM did not provision: {creation.outcome.reason}")
    return creation.vm


def on_premises_disk(os_type: OsType, seed: int, linux_agent: str = WAAGENT) -> MemoryDisk:
    """An OS installed and configured on-premises: specialized.

    With ``linux_agent="cloud-init"`` the OS also has cloud-init, which ran on
    the on-premises machine (its instance id is cached in ``/var/lib/cloud``).
    """
    profile = generate_profile(os_type, seed, role="onprem")
    if os_type is OsType.LINUX:
        disk = MemoryDisk(hostname=profile.computer_name)
        disk.add_user(Account(profile.admin_username))
        disk.write_text("/usr/sbin/waagent", "#!/usr/bin/python3\n# WALinuxAgent\n")
        if linux_agent == CLOUD_INIT:
            _install_cloud_init(disk)
            disk.write_text(INSTANCE_ID_FILE, f"on-premises-{seed}")
        disk.write_text(PROVISIONED_MARKER, f"on-premises-{seed}")
        for key_type in ("rsa", "ed25519"):
            disk.write_text(f"/etc/ssh/ssh_host_{key_type}_key", f"{key_type} host key")
    else:
        disk = MemoryDisk(hostname=profile.computer_name)
        disk.add_user(Account(profile.admin_username, home=f"C:/Users/{profile.admin_username}"))
        disk.write_text(windows.IMAGE_STATE, windows.COMPLETE)
    return disk


def generalize(disk: GuestDisk, os_type: OsType) -> list[str]:
    """The documented way to generalize: ``waagent -force -deprovision+user`` or ``sysprep /generalize /oobe``."""
    if os_type is OsType.LINUX:
        return waagent_deprovision(disk, delete_user=True)
    return sysprep(disk, SysprepOptions(generalize=True, oobe=True))
