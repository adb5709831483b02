"""WALinuxAgent's provisioning decision (``azurelinuxagent/pa/provision/default.py``).

The agent keys everything off one file, the ``provisioned`` marker holding the
VM's instance id:

- marker with this VM's id: provisioning already completed, report ready;
- marker with another id: the disk was copied from a VM that was never
  deprovisioned; warn, rewrite the marker, report ready *without* applying the
  new host name or user (the failure cell);
- no marker and media: provision from ovf-env.xml, report ready;
- no marker and no media: "Provisioning failed", no ready report (the timeout
  cell).
"""

from __future__ import annotations

from ..disk import Account, GuestDisk
from ..media import mask_password, read_ovf_env
from .base import Boot

WAAGENT_LIB = "/var/lib/waagent"
PROVISIONED_MARKER = f"{WAAGENT_LIB}/provisioned"
SAVED_OVF_ENV = f"{WAAGENT_LIB}/ovf-env.xml"
SSH_HOST_KEYS = "/etc/ssh/ssh_host_*_key*"
SSH_HOST_KEY_TYPES = ("rsa", "ecdsa", "ed25519")

#: Guest seconds for the steps of a Linux first boot (kernel to agent, provisioning).
BOOT_SECONDS = 40.0
PROVISION_SECONDS = 25.0


class LinuxAgent:
    """The Linux guest agent (WALinuxAgent) at first boot."""

    name = "waagent"

    def boot(self, disk: GuestDisk, instance_id: str, ovf_env: str | None) -> Boot:
        boot = Boot()
        boot.say(BOOT_SECONDS, "kernel booted, walinuxagent started")
        marker = disk.read_text(PROVISIONED_MARKER)
        if marker is not None:
            if marker.strip() == instance_id:
                boot.say(0, "Provisioning already completed, skipping.")
            else:
                boot.say(
                    0,
                    "VM is provisioned, but the VM unique identifier has changed; the image may "
                    "have been created from a VM that was not properly deprovisioned or generalized",
                )
                disk.write_text(PROVISIONED_MARKER, instance_id)
                if ovf_env is not None:
                    boot.say(0, "provisioning media ignored: host name and user not applied")
            boot.ready = True
            boot.say(1, "reported ready")
            return boot
        if ovf_env is None:
            boot.say(0, "Provisioning failed: no provisioning media (ovf-env.xml) found; not reporting ready")
            return boot
        settings = read_ovf_env(ovf_env)
        disk.write_text(SAVED_OVF_ENV, mask_password(ovf_env))
        disk.set_hostname(settings.hostname)
        disk.add_user(Account(settings.username))
        for key_type in SSH_HOST_KEY_TYPES:
            path = f"/etc/ssh/ssh_host_{key_type}_key"
            if not disk.exists(path):
                disk.write_text(path, f"{key_type} host key of {instance_id}")
        disk.write_text(PROVISIONED_MARKER, instance_id)
        boot.say(PROVISION_SECONDS, f"provisioned: host name '{settings.hostname}', user '{settings.username}'")
        boot.ready = True
        boot.say(1, "reported ready")
        return boot
