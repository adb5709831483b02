"""The Linux first boot: cloud-init (when it runs), then WALinuxAgent's provisioning handler.

waagent picks its handler from the disk (``azurelinuxagent/pa/provision/factory.py``,
see :mod:`provsim.guest.agent_config`): ``Provisioning.Agent=auto`` with
cloud-init enabled, or ``=cloud-init``, is **cloud-init mode**; ``auto``
without cloud-init, or ``=waagent``, is **waagent mode**; any other value
(``disabled``) provisions nothing. Both handlers first look at one file, the
``provisioned`` marker holding the VM's instance id (``check_provisioned_file``):

- marker with this VM's id: provisioning already completed, report ready;
- marker with another id: the disk was copied from a VM that was never
  deprovisioned; warn, rewrite the marker, report ready *without* applying
  anything (on a waagent-only image, the failure cell);
- no marker, waagent mode (``pa/provision/default.py``): with cloud-init
  enabled it refuses ("cloud-init appears to be installed and enabled") and
  reports ``ProvisioningFailed``; otherwise it provisions from the media
  (``ovf-env.xml`` on the DVD), or, with none, fails and never reports ready
  (the timeout cell);
- no marker, cloud-init mode (``pa/provision/cloudinit.py``): it waits up to
  30 minutes for cloud-init to copy ``ovf-env.xml`` into ``/var/lib/waagent``,
  then for an SSH host key, writes the marker and reports ready. If cloud-init
  never copies it (no media, cloud-init switched off, the DVD unmountable),
  the platform gives up first.

cloud-init runs before waagent whenever it runs at boot, whatever waagent's
mode (it is started by systemd, not by waagent): :mod:`provsim.guest.cloud_init`.
"""

from __future__ import annotations

from ..disk import Account, GuestDisk
from ..media import mask_password, read_ovf_env
from .agent_config import agents_summary, cloud_init_looks_enabled, provisioning_agent, udf_blocked
from .base import Boot
from .cloud_init import SSH_HOST_KEY_TYPES, WAAGENT_OVF_ENV, CloudInitBoot, CloudInitRunner, run_cloud_init

WAAGENT_LIB = "/var/lib/waagent"
PROVISIONED_MARKER = f"{WAAGENT_LIB}/provisioned"
SAVED_OVF_ENV = WAAGENT_OVF_ENV
SSH_HOST_KEYS = "/etc/ssh/ssh_host_*_key*"

#: Guest seconds for the steps of a Linux first boot (kernel to agent, provisioning).
BOOT_SECONDS = 40.0
PROVISION_SECONDS = 25.0
#: How long waagent waits for cloud-init's copy of ovf-env.xml (1800 tries, 1 s apart).
CLOUD_INIT_WAIT_SECONDS = 1800.0


def handler_mode(disk: GuestDisk) -> str:
    """waagent's provisioning handler for this disk: ``cloud-init``, ``waagent`` or ``disabled``.

    ``factory.py`` picks the cloud-init handler for ``cloud-init``, or ``auto``
    with cloud-init enabled; the default handler provisions only when
    ``get_provision_enabled()``, i.e. the value is ``auto`` or ``waagent``
    (``common/conf.py``): anything else, an empty value included, is disabled.
    """
    setting = provisioning_agent(disk)
    if setting == "cloud-init" or (setting == "auto" and cloud_init_looks_enabled(disk)):
        return "cloud-init"
    return "waagent" if setting in ("auto", "waagent") else "disabled"


class LinuxAgent:
    """The Linux guest agents at first boot: cloud-init's run (``cloud_init``), then WALinuxAgent's handler."""

    name = "waagent"

    def __init__(self, cloud_init: CloudInitRunner = run_cloud_init) -> None:
        self.cloud_init = cloud_init

    def boot(self, disk: GuestDisk, instance_id: str, ovf_env: str | None) -> Boot:
        boot = Boot()
        mode = handler_mode(disk)
        boot.say(BOOT_SECONDS, f"kernel booted ({agents_summary(disk)})")
        cloud = self.cloud_init(disk, instance_id, ovf_env)
        for seconds, text in cloud.log:
            boot.say(seconds, text)
        boot.say(0, f"walinuxagent started, provisioning handler: {mode} mode")
        if mode == "disabled":
            disk.write_text(PROVISIONED_MARKER, instance_id)
            boot.say(0, "Provisioning is disabled, skipping; reported ready")
            boot.ready = True
            return boot
        if self._already_provisioned(disk, instance_id, ovf_env, boot, cloud.applied_profile):
            return boot
        if mode == "cloud-init":
            return self._cloud_init_mode(disk, instance_id, boot, cloud)
        if cloud_init_looks_enabled(disk):
            boot.failure = "cloud-init appears to be installed and enabled, this is not expected, cannot continue"
            boot.say(0, f"ProvisioningFailed: {boot.failure}")
            return boot
        if ovf_env is None:
            boot.say(0, "Provisioning failed: no provisioning media (ovf-env.xml) found; not reporting ready")
            return boot
        blocker = udf_blocked(disk)
        if blocker is not None:
            boot.failure = f"Error mounting dvd: the udf module is blocked by {blocker}"
            boot.say(0, f"ProvisioningFailed: {boot.failure}")
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
        return _ready(boot)

    @staticmethod
    def _already_provisioned(
        disk: GuestDisk, instance_id: str, ovf_env: str | None, boot: Boot, cloud_init_applied: bool
    ) -> bool:
        """``check_provisioned_file``: a marker means provisioning is over, for this VM or (wrongly) another."""
        marker = disk.read_text(PROVISIONED_MARKER)
        if marker is None:
            return False
        if marker.strip() == instance_id:
            boot.say(0, "Provisioning already completed, skipping.")
        else:
            boot.say(
                0,
                "VM is provisioned, but the VM unique identifier has changed; the image may "
                "have been created from a VM that was not properly deprovisioned or generalized",
            )
            disk.write_text(PROVISIONED_MARKER, instance_id)
            if ovf_env is not None and not cloud_init_applied:
                boot.say(0, "provisioning media ignored: host name and user not applied")
        _ready(boot)
        return True

    @staticmethod
    def _cloud_init_mode(disk: GuestDisk, instance_id: str, boot: Boot, cloud: CloudInitBoot) -> Boot:
        if disk.read_text(WAAGENT_OVF_ENV) is None:
            if not cloud.ran:
                why = " (cloud-init does not appear to be running)"
            elif cloud.errors:
                why = f" (cloud-init: {cloud.errors[0]})"
            else:
                why = " (cloud-init found no provisioning media)"
            boot.say(
                CLOUD_INIT_WAIT_SECONDS,
                f"Waiting for cloud-init to copy ovf-env.xml to {WAAGENT_OVF_ENV}{why}: it never came",
            )
            return boot
        if not disk.glob(SSH_HOST_KEYS):
            boot.say(CLOUD_INIT_WAIT_SECONDS, "Waiting for the SSH host key: none was generated")
            return boot
        disk.write_text(PROVISIONED_MARKER, instance_id)
        boot.say(1, "cloud-init provisioned the VM; provisioned marker written")
        return _ready(boot)


def _ready(boot: Boot) -> Boot:
    boot.ready = True
    boot.say(1, "reported ready")
    return boot
