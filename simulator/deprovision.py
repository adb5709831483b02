"""The deprovision actions, as changes to a guest disk.

``waagent -force -deprovision[+user]`` follows
``azurelinuxagent/pa/deprovision/default.py`` (FACTS.md section 3);
``sysprep`` follows the Sysprep command-line options (section 4). The
container backend runs the real waagent instead; the fidelity test holds the
two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from .disk import GuestDisk
from .guest import windows
from .guest.linux import SAVED_OVF_ENV, SSH_HOST_KEYS, WAAGENT_LIB
from .media import read_ovf_env

#: The host name waagent leaves behind.
DEPROVISIONED_HOSTNAME = "localhost.localdomain"
#: Files and folders waagent's deprovision always deletes.
WAAGENT_REMOVES = (
    WAAGENT_LIB,
    "/var/log/azure",
    "/root/.bash_history",
    "/var/log/waagent.log",
    "/etc/resolv.conf",
)
DHCP_LEASES = ("/var/lib/dhclient/*", "/var/lib/dhcp/*", "/var/lib/NetworkManager/dhclient-*")


def waagent_deprovision(disk: GuestDisk, *, delete_user: bool, remove_host_keys: bool = True) -> list[str]:
    """Generalize a Linux disk as ``waagent -force -deprovision[+user]`` does.

    Returns what was done, in the agent's order. With ``delete_user`` the
    account named in the saved ovf-env.xml goes, home included; it is read
    before ``/var/lib/waagent`` is removed, as the agent does.
    """
    done: list[str] = ["stop the agent"]
    saved = disk.read_text(SAVED_OVF_ENV)
    if remove_host_keys:
        for key in disk.glob(SSH_HOST_KEYS):
            disk.remove(key)
        done.append("remove SSH host keys")
    for pattern in DHCP_LEASES:
        for lease in disk.glob(pattern):
            disk.remove(lease)
    done.append("delete DHCP leases")
    disk.set_hostname(DEPROVISIONED_HOSTNAME)
    done.append(f"reset host name to {DEPROVISIONED_HOSTNAME}")
    if delete_user and saved is not None:
        username = read_ovf_env(saved).username
        if disk.user(username) is not None:
            disk.remove_user(username, remove_home=True)
            done.append(f"delete user '{username}' and its home")
    for path in WAAGENT_REMOVES:
        disk.remove(path)
    done.append("remove /var/lib/waagent (provisioned marker, saved ovf-env.xml) and logs")
    return done


def cloud_init_clean(disk: GuestDisk) -> list[str]:
    """``cloud-init clean``: forget that cloud-init ran, so it runs again on first boot."""
    disk.remove("/var/lib/cloud")
    return ["remove /var/lib/cloud"]


@dataclass(frozen=True)
class SysprepOptions:
    """The Sysprep.exe switches that matter for the next boot."""

    generalize: bool = True
    oobe: bool = True


def sysprep(disk: GuestDisk, options: SysprepOptions = SysprepOptions()) -> list[str]:
    """Run Sysprep to completion and leave the ImageState the next boot acts on."""
    if options.generalize:
        disk.write_text("C:/Windows/Panther/setupact.log", "Sysprep_Generalize: SID reset\n")
        state = windows.GENERALIZE_RESEAL_TO_OOBE if options.oobe else windows.GENERALIZE_RESEAL_TO_AUDIT
    else:
        state = windows.SPECIALIZE_RESEAL_TO_OOBE if options.oobe else windows.COMPLETE
    disk.write_text(windows.IMAGE_STATE, state)
    return [
        f"sysprep {'/generalize ' if options.generalize else ''}{'/oobe' if options.oobe else '/audit'}",
        f"ImageState {state}",
    ]
