"""Capture and upload, done to containers.

- **capture**: ``docker commit`` of the build container, as Azure copies a
  VM's OS disk into an image. Capturing as generalized first marks the VM
  generalized; what becomes of the source VM is decided by the core's
  :func:`provsim.stages.source_vm_after_capture`, from that mark and from
  the container's disk. A source VM that is no longer usable is stopped
  (:func:`retire`) once every capture of it is done.
- **upload**: the container's disk is registered as a new image that keeps
  nothing of the container but its files, as a VHD is copied up and
  registered (:func:`upload`); a user's own rootfs tarball is imported
  (:func:`import_rootfs`).

Registration labels the copy; it never changes what is on it. Every image
records the disk's ``/etc`` files Docker would hide (see
:mod:`provsim.containers.machine`).
"""

from __future__ import annotations

import tarfile
from contextlib import nullcontext
from pathlib import Path

from ..disk import GuestDisk, MemoryDisk
from ..errors import ProvsimError
from ..model import OsState, OsType, Stage
from ..outcome import SourceVm
from ..platform import VirtualMachine
from ..stages import source_vm_after_capture
from .boot import ContainerImage
from .cleanup import Run
from .disk import ContainerDisk
from .engine import labels
from .machine import DOCKER_ETC_FILES, ETC_LABEL, EtcState, Machine, encode_etc, read_etc

WAAGENT_DEPROVISION = "waagent -force -deprovision+user"
#: An uploaded image's command, as ``docker import`` of a bare disk has none (machines start with their own).
UPLOADED_COMMAND = 'CMD ["/bin/sh"]'


def capture(run: Run, machine: Machine, vm: VirtualMachine, registered_as: OsState) -> tuple[ContainerImage, SourceVm]:
    """Commit the build container into an image registered as ``registered_as``; say what became of the VM."""
    etc = read_etc(machine.disk)
    if registered_as is OsState.GENERALIZED:
        vm.marked_generalized = True
    tag = run.image_name(f"captured-{registered_as.value}")
    repository, name = tag.split(":")
    machine.container.commit(repository=repository, tag=name, changes=_label_changes(run, etc))
    source_vm = source_vm_after_capture(vm)
    return ContainerImage(tag, vm.os_type, registered_as, Stage.CAPTURE), source_vm


def retire(machine: Machine, source_vm: SourceVm) -> None:
    """Stop a source VM that can no longer be used (after every capture of it is done)."""
    if not source_vm.usable:
        machine.container.kill()


def upload(run: Run, machine: Machine, registered_as: OsState, os_type: OsType = OsType.LINUX) -> ContainerImage:
    """Register the container's disk as an uploaded image: its files, nothing of the running container.

    A VHD carries the disk's bytes only. ``docker commit`` registers the
    container's files (its writable layer over the image's), never its
    processes or its mounts (the ``/run`` tmpfs, the media, Docker's
    ``/etc`` files): the same files ``docker export`` would write, without
    copying the whole disk through the host (an export and import were 27 s of
    the 8 container cells' 100, a commit is a tenth of a second). The container's
    command is replaced by the ``/bin/sh`` an import sets, so a VM starts from
    the disk alone; what the image's own configuration would add, the base
    image does not have (no environment, entry point or working folder).
    """
    etc = read_etc(machine.disk)
    tag = run.image_name(f"uploaded-{registered_as.value}")
    repository, name = tag.split(":")
    machine.container.commit(repository=repository, tag=name, changes=[*_label_changes(run, etc), UPLOADED_COMMAND])
    return ContainerImage(tag, os_type, registered_as, Stage.UPLOAD)


def import_rootfs(run: Run, tarball: Path, registered_as: OsState, os_type: OsType = OsType.LINUX) -> ContainerImage:
    """Register a user's own root filesystem tarball (``provsim check --rootfs disk.tar``) as an uploaded image."""
    if os_type is not OsType.LINUX:
        raise ProvsimError(f"{tarball}: the Docker backend imports Linux root filesystems only")
    if not tarball.is_file():
        raise ProvsimError(f"{tarball}: no such file; give a root filesystem tarball (e.g. from 'docker export')")
    return _import(run, tarball, _etc_in_tarball(tarball), registered_as, os_type)


def waagent_deprovision(machine: Machine) -> str:
    """Run the real ``waagent -force -deprovision+user`` in the container; returns its output."""
    status, output = machine.disk.run(WAAGENT_DEPROVISION)
    if status != 0:
        raise ProvsimError(f"'{WAAGENT_DEPROVISION}' failed in the container ({status}): {output.strip()[-300:]}")
    return output


def replay(source: MemoryDisk, disk: GuestDisk) -> None:
    """Write an in-memory disk's host name, accounts and files onto another disk (an on-premises install).

    Files the target already has stay: the in-memory disk holds stand-ins for
    installed programs (``/usr/sbin/waagent``), and the real ones must win. A
    container's disk (just started, nothing else running) is asked about
    every file in one exec and written in one.
    """
    paths = source.glob("*")
    container = disk if isinstance(disk, ContainerDisk) else None
    with container.remembering(paths) if container is not None else nullcontext():
        disk.set_hostname(source.hostname())
        for account in source.users():
            disk.add_user(account)
        missing = {path: source.read_text(path) or "" for path in paths if not disk.exists(path)}
        if container is not None:
            container.write_files(missing)
        else:
            for path, text in missing.items():
                disk.write_text(path, text)


def _import(run: Run, tarball: Path, etc: EtcState, registered_as: OsState, os_type: OsType) -> ContainerImage:
    tag = run.image_name(f"uploaded-{registered_as.value}")
    repository, name = tag.split(":")
    run.client.api.import_image_from_file(
        str(tarball), repository=repository, tag=name, changes=[*_label_changes(run, etc), UPLOADED_COMMAND]
    )
    return ContainerImage(tag, os_type, registered_as, Stage.UPLOAD)


def _label_changes(run: Run, etc: EtcState) -> list[str]:
    pairs = {**labels(run.run_id), ETC_LABEL: encode_etc(etc)}
    return ["LABEL " + " ".join(f'{key}="{value}"' for key, value in pairs.items())]


def _etc_in_tarball(tarball: Path) -> EtcState:
    wanted = {path.lstrip("/"): path for path in DOCKER_ETC_FILES}
    found: EtcState = dict.fromkeys(DOCKER_ETC_FILES)
    try:
        with tarfile.open(tarball) as tar:
            for member in tar:
                path = wanted.get(member.name.removeprefix("./"))
                if path is not None and member.isfile():
                    extracted = tar.extractfile(member)
                    found[path] = extracted.read().decode("utf-8", "replace") if extracted else None
    except tarfile.TarError:
        raise ProvsimError(
            f"{tarball}: not a tar archive; give a root filesystem tarball (for example tar -C rootfs -cf disk.tar .)"
        ) from None
    return found
