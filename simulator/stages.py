"""The two process stages that turn a disk into a registered image.

- **upload**: a disk from on-premises is copied up as a VHD and registered;
  nothing happens to the OS on it.
- **capture**: a VM's OS disk is copied into an image. Capturing as
  generalized first marks the VM generalized (``az vm generalize``; Packer
  does this unless a gallery destination says ``specialized = true``), and a
  VM marked generalized can never be started again.

Registration labels the copy; it never changes what is on it.
"""

from __future__ import annotations

from .disk import MemoryDisk
from .evidence import read_os_state
from .model import OsState, OsType, Stage
from .outcome import SourceVm
from .platform import Image, VirtualMachine


def upload(disk: MemoryDisk, os_type: OsType, registered_as: OsState, name: str = "uploaded-vhd") -> Image:
    """Register a copy of an on-premises disk as ``registered_as``."""
    return Image(name, os_type, disk.clone(), registered_as, Stage.UPLOAD)


def capture(vm: VirtualMachine, registered_as: OsState, name: str = "captured-image") -> tuple[Image, SourceVm]:
    """Capture ``vm`` into an image registered as ``registered_as``; also say what became of the VM."""
    if registered_as is OsState.GENERALIZED:
        vm.marked_generalized = True
    if not isinstance(vm.disk, MemoryDisk):
        raise TypeError("the in-memory capture copies a MemoryDisk; containers capture by commit")
    disk = vm.disk.clone()
    return Image(name, vm.os_type, disk, registered_as, Stage.CAPTURE), source_vm_after_capture(vm)


def source_vm_after_capture(vm: VirtualMachine) -> SourceVm:
    """Whether the original VM can still be used, from its platform mark and its disk."""
    if vm.marked_generalized:
        return SourceVm(
            False,
            f"the platform marked VM '{vm.name}' generalized for the capture, and a "
            "generalized VM cannot be started again.",
        )
    reading = read_os_state(vm.disk, vm.os_type)
    if reading.os_state is OsState.GENERALIZED:
        how = (
            "sysprep resealed it to OOBE"
            if vm.os_type is OsType.WINDOWS
            else "waagent -deprovision removed its agent state and build account"
        )
        return SourceVm(False, f"its OS is generalized ({how}), so it no longer boots as the machine it was.")
    return SourceVm(
        True,
        f"VM '{vm.name}' still boots as itself: its OS is specialized and the platform did not mark it generalized.",
    )
