"""Reading an OS state off a disk, with the evidence for it.

The OS state is what the guest agent will conclude at the next boot, so the
readers ask exactly what the agents ask: the waagent ``provisioned`` marker on
Linux, Setup's ``ImageState`` on Windows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .disk import GuestDisk
from .guest import windows
from .guest.linux import PROVISIONED_MARKER, SAVED_OVF_ENV, SSH_HOST_KEYS
from .model import OsState, OsType


@dataclass(frozen=True)
class OsStateReading:
    """An OS state and the facts on the disk it was read from."""

    os_state: OsState
    evidence: tuple[str, ...]


def read_os_state(disk: GuestDisk, os_type: OsType, build_user: str | None = None) -> OsStateReading:
    """Decide generalized or specialized from what is on the disk."""
    if os_type is OsType.WINDOWS:
        state = windows.image_state(disk)
        generalized = state == windows.GENERALIZE_RESEAL_TO_OOBE
        return OsStateReading(OsState.GENERALIZED if generalized else OsState.SPECIALIZED, (f"ImageState is {state}",))
    marker = disk.read_text(PROVISIONED_MARKER)
    facts = [
        f"{PROVISIONED_MARKER} " + ("absent" if marker is None else f"present (instance id {marker.strip()})"),
        f"{SAVED_OVF_ENV} " + ("present" if disk.exists(SAVED_OVF_ENV) else "absent"),
        "SSH host keys " + ("present" if disk.glob(SSH_HOST_KEYS) else "absent"),
        f"host name {disk.hostname()}",
    ]
    if build_user is not None:
        facts.append(f"build user '{build_user}' " + ("present" if disk.user(build_user) else "absent"))
    return OsStateReading(OsState.GENERALIZED if marker is None else OsState.SPECIALIZED, tuple(facts))
