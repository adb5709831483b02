"""The guest agents, written once against :class:`provsim.disk.GuestDisk`.

Each agent boots an OS disk and decides, from what is on that disk and whether
provisioning media is attached, whether to provision and whether to report
ready. They do not know how the image was registered: only the platform does.
"""

from __future__ import annotations

from ..model import OsType
from .base import Boot, GuestAgent
from .linux import LinuxAgent
from .windows import WindowsSetup

#: One agent per OS type, found by name like testinfra's backends.
AGENTS: dict[OsType, GuestAgent] = {OsType.LINUX: LinuxAgent(), OsType.WINDOWS: WindowsSetup()}


def agent_for(os_type: OsType) -> GuestAgent:
    """The guest agent that runs on a VM of this OS type."""
    return AGENTS[os_type]


__all__ = ["AGENTS", "Boot", "GuestAgent", "LinuxAgent", "WindowsSetup", "agent_for"]
