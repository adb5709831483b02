"""provsim's library: a simulator of Azure VM creation from custom images.

The public API is what ``__all__`` lists; everything else is private to the
package and may change.
"""

from .build import create_build_vm, generalize, on_premises_disk, platform_image
from .cells import Cell, all_cells, simulate
from .disk import Account, GuestDisk, MemoryDisk
from .errors import ProvsimError
from .evidence import OsStateReading, read_os_state
from .model import ErrorCode, Event, OsState, OsType, Stage, Status, Timeline
from .outcome import Outcome, SourceVm
from .platform import AllottedTime, Image, Platform, VirtualMachine, VmCreation
from .profile import OsProfile, Secret, generate_profile
from .stages import capture, upload

__all__ = [
    "Account",
    "AllottedTime",
    "Cell",
    "ErrorCode",
    "Event",
    "GuestDisk",
    "Image",
    "MemoryDisk",
    "OsProfile",
    "OsState",
    "OsStateReading",
    "OsType",
    "Outcome",
    "Platform",
    "ProvsimError",
    "Secret",
    "SourceVm",
    "Stage",
    "Status",
    "Timeline",
    "VirtualMachine",
    "VmCreation",
    "all_cells",
    "capture",
    "create_build_vm",
    "generalize",
    "generate_profile",
    "on_premises_disk",
    "platform_image",
    "read_os_state",
    "simulate",
    "upload",
]
