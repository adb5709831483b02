"""Windows Setup at first boot, driven by the ``ImageState`` registry value.

``HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State\\ImageState``
says what the next boot does (FACTS.md section 4):

- ``IMAGE_STATE_COMPLETE``: an installed, specialized OS boots to the desktop
  with its old computer name and accounts; the guest agent reports ready;
- ``IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE``: the specialize pass and OOBE run;
  the answers come from the provisioning media, and without media Windows waits
  at the OOBE screen for ever, so the guest agent never starts;
- ``IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE``: OOBE without the specialize pass
  (sysprep without /generalize): accounts are created but the computer name,
  set in specialize, stays;
- anything else (audit mode, an unfinished sysprep): no ready report.
"""

from __future__ import annotations

from ..disk import Account, GuestDisk
from ..media import read_ovf_env
from .base import Boot

IMAGE_STATE = "/registry/HKLM/SOFTWARE/Microsoft/Windows/CurrentVersion/Setup/State/ImageState"
COMPLETE = "IMAGE_STATE_COMPLETE"
UNDEPLOYABLE = "IMAGE_STATE_UNDEPLOYABLE"
GENERALIZE_RESEAL_TO_OOBE = "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
GENERALIZE_RESEAL_TO_AUDIT = "IMAGE_STATE_GENERALIZE_RESEAL_TO_AUDIT"
SPECIALIZE_RESEAL_TO_OOBE = "IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE"

#: Guest seconds: boot to desktop, specialize pass, OOBE with answers.
BOOT_SECONDS = 90.0
SPECIALIZE_SECONDS = 120.0
OOBE_SECONDS = 60.0


def image_state(disk: GuestDisk) -> str:
    """The ImageState value; a disk without one is an installed OS."""
    return (disk.read_text(IMAGE_STATE) or COMPLETE).strip()


class WindowsSetup:
    """Windows Setup plus the Windows guest agent (WindowsAzureGuestAgent)."""

    name = "windows"

    def boot(self, disk: GuestDisk, instance_id: str, ovf_env: str | None) -> Boot:
        boot = Boot()
        state = image_state(disk)
        boot.say(BOOT_SECONDS, f"Windows booting, ImageState {state}")
        if state == COMPLETE:
            boot.say(0, f"booted to the desktop as '{disk.hostname()}'")
            return _agent_reports_ready(boot)
        if state not in (GENERALIZE_RESEAL_TO_OOBE, SPECIALIZE_RESEAL_TO_OOBE):
            boot.say(0, f"Setup cannot continue from {state}; the guest agent never starts")
            return boot
        if state == GENERALIZE_RESEAL_TO_OOBE:
            boot.say(SPECIALIZE_SECONDS, "specialize pass: new SID, hardware detected")
        if ovf_env is None:
            boot.say(0, "waiting at the OOBE screen: no answers from provisioning media")
            return boot
        settings = read_ovf_env(ovf_env)
        if state == GENERALIZE_RESEAL_TO_OOBE:
            disk.set_hostname(settings.hostname)
        disk.add_user(Account(settings.username, home=f"C:/Users/{settings.username}"))
        disk.write_text(IMAGE_STATE, COMPLETE)
        boot.say(OOBE_SECONDS, f"OOBE completed: computer name '{disk.hostname()}', admin '{settings.username}'")
        return _agent_reports_ready(boot)


def _agent_reports_ready(boot: Boot) -> Boot:
    boot.ready = True
    boot.say(5, "WindowsAzureGuestAgent reported ready")
    return boot
