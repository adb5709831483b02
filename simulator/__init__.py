"""provsim's library: a simulator of Azure VM creation from custom images.

The public API is what ``__all__`` lists; everything else is private to the
package and may change.

Each name is imported from its module the first time it is read
(``provsim.Platform``, ``from provsim import Platform``; PEP 562), not when
the package is: every ``provsim.<module>`` import runs this file first, and
pytest loads ``provsim.steps.plugin`` in every run of a repository that
installs provsim, used or not. Importing all of the library here cost each
of those starts and each ``provsim --help`` about 50 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import lazy_names

if TYPE_CHECKING:  # what a type checker and an editor see; at run time, __getattr__ below
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

#: Public name -> the module (under provsim) that defines it.
_HOMES: dict[str, str] = {
    **dict.fromkeys(("create_build_vm", "generalize", "on_premises_disk", "platform_image"), "build"),
    **dict.fromkeys(("Cell", "all_cells", "simulate"), "cells"),
    **dict.fromkeys(("Account", "GuestDisk", "MemoryDisk"), "disk"),
    "ProvsimError": "errors",
    **dict.fromkeys(("OsStateReading", "read_os_state"), "evidence"),
    **dict.fromkeys(("ErrorCode", "Event", "OsState", "OsType", "Stage", "Status", "Timeline"), "model"),
    **dict.fromkeys(("Outcome", "SourceVm"), "outcome"),
    **dict.fromkeys(("AllottedTime", "Image", "Platform", "VirtualMachine", "VmCreation"), "platform"),
    **dict.fromkeys(("OsProfile", "Secret", "generate_profile"), "profile"),
    **dict.fromkeys(("capture", "upload"), "stages"),
}

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


def __getattr__(name: str) -> Any:
    return lazy_names.load(globals(), _HOMES, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
