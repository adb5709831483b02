"""Image hygiene: what a captured image still carries of the VM it was captured from.

Microsoft's own checks of Linux Marketplace images (the LISA test suite,
``microsoft/lisa`` ``testsuites/core/azure_image_standard.py``:
``verify_no_pre_exist_users``, ``verify_bash_history_is_empty``, the DHCP and
cloud-init checks) look for the same things: a generalized image must not
carry the build VM's users, history, agent state or keys, because every VM
created from it inherits them. A cloud-init image that was never deprovisioned
still provisions (cloud-init sees a new instance), so this residue is all that
shows the mistake, and the reason provsim names it.

Each finding has a stable id (``hygiene.<what>``) that reports and baselines
can key on. Read through the disk interface, so both backends use it.

    >>> from provsim.disk import Account, MemoryDisk
    >>> disk = MemoryDisk()
    >>> disk.add_user(Account("packer"))
    >>> [residue.id for residue in inspect_image(disk)]
    ['hygiene.leftover-user']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .deprovision import DHCP_LEASES
from .disk import GuestDisk
from .guest.agent_config import cloud_init_runs_at_boot
from .guest.cloud_init import INSTANCE_ID_FILE, INSTANCES_FOLDER, SUDOERS_FILE
from .guest.linux import PROVISIONED_MARKER, SAVED_OVF_ENV, SSH_HOST_KEYS

_SUDO_RULE = re.compile(r"^\s*([A-Za-z0-9_.][A-Za-z0-9_.-]*)\s+ALL\s*=", re.MULTILINE)


@dataclass(frozen=True)
class Residue:
    """One thing a captured image should not carry: a stable id and what was found."""

    id: str
    message: str
    inherited: bool = True
    """Every VM created from the image gets it; False for what the agents renew per instance (shown as info)."""


def inspect_image(disk: GuestDisk, *, keep_users: Iterable[str] = ()) -> list[Residue]:
    """Everything on a Linux image's disk that belongs to the VM it came from (``keep_users`` are expected).

    Where cloud-init runs at boot, the host keys and its own instance state are
    renewed for every new VM (``ssh_deletekeys``, a new instance id), so they are
    residue of the image but not of the VMs: ``inherited`` is False for them.
    """
    renewed = cloud_init_runs_at_boot(disk)
    found: list[Residue] = []
    kept = set(keep_users)
    users = [account for account in disk.users() if account.name not in kept]
    if users:
        names = ", ".join(f"'{account.name}' ({account.home})" for account in users)
        found.append(
            Residue(
                "hygiene.leftover-user",
                f"login accounts of the source VM remain: {names}; 'waagent -force -deprovision+user' as the last "
                "step deletes the build user",
            )
        )
    histories = disk.glob("/root/.bash_history") + disk.glob("/home/*/.bash_history")
    if histories:
        found.append(Residue("hygiene.bash-history", f"shell history remains: {', '.join(histories)}"))
    agent_state = [path for path in (PROVISIONED_MARKER, SAVED_OVF_ENV) if disk.exists(path)]
    if agent_state:
        found.append(
            Residue(
                "hygiene.waagent-state",
                f"waagent's provisioning state remains: {', '.join(agent_state)}"
                + (": cloud-init's new instance replaces it" if renewed else ""),
                inherited=not renewed,
            )
        )
    if disk.exists(INSTANCE_ID_FILE) or disk.glob(f"{INSTANCES_FOLDER}/*"):
        cached = (disk.read_text(INSTANCE_ID_FILE) or "").strip()
        found.append(
            Residue(
                "hygiene.cloud-init-instance",
                "cloud-init's state of the source VM remains in /var/lib/cloud"
                + (f" (instance {cached})" if cached else "")
                + ": run 'cloud-init clean' before capture",
                inherited=False,
            )
        )
    rules = _SUDO_RULE.findall(disk.read_text(SUDOERS_FILE) or "")
    stale = [name for name in rules if name not in kept]
    if stale:
        found.append(
            Residue(
                "hygiene.sudoers-residue",
                f"{SUDOERS_FILE} still grants sudo to {', '.join(repr(n) for n in stale)}: neither waagent "
                "-deprovision+user nor cloud-init clean removes it",
            )
        )
    keys = disk.glob(SSH_HOST_KEYS)
    if keys:
        found.append(
            Residue(
                "hygiene.ssh-host-keys",
                f"SSH host keys remain ({len(keys)} files under /etc/ssh)"
                + (": cloud-init replaces them on every new VM" if renewed else ": every VM will share them"),
                inherited=not renewed,
            )
        )
    leases = [lease for pattern in DHCP_LEASES for lease in disk.glob(pattern)]
    if leases:
        found.append(Residue("hygiene.dhcp-leases", f"DHCP leases remain: {', '.join(leases)}"))
    return found
