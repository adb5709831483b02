"""A container that behaves like a VM: its ``/etc`` files are its disk's, not Docker's.

Docker bind-mounts ``/etc/resolv.conf``, ``/etc/hosts`` and ``/etc/hostname``
into every container, and puts empty placeholders for them in a hidden "init"
layer. On a VM those are ordinary files of the OS disk, and the real
``waagent -force -deprovision+user`` deletes ``/etc/resolv.conf`` and rewrites
``/etc/hostname``: in a plain container it dies with EBUSY (FACTS.md section 3).

So a machine's first process unmounts the three files, and provsim puts back
the content the disk had (kept in the image's ``provsim.etc`` label when the
image was built, captured or uploaded, because the placeholders hide it).

Why CAP_SYS_ADMIN, and only that: ``umount`` needs it, and nothing narrower
grants it (there is no capability for unmounting alone; a user namespace
cannot unmount mounts it inherited, they are locked). ``--privileged`` would
add every capability, all devices and no seccomp or AppArmor confinement; the
machine keeps Docker's default seccomp profile, no devices, no network
(``network_mode="none"``). The capability also lets ``hostname`` set the
kernel's host name, which is what a VM's init does from ``/etc/hostname``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from ..errors import ProvsimError
from .disk import ContainerDisk
from .engine import labels

DOCKER_ETC_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/hostname")
ETC_LABEL = "provsim.etc"
#: The one capability a machine gets (see the module docstring for why).
CAPABILITIES = ["SYS_ADMIN"]
#: First process: free the three files, then idle like a booted system waiting for logins.
INIT = f"umount {' '.join(DOCKER_ETC_FILES)} && touch /run/provsim-unmounted && exec sleep infinity"

EtcState = dict[str, str | None]


@dataclass
class Machine:
    """A running VM-like container and its disk."""

    container: Any
    disk: ContainerDisk
    role: str

    @property
    def id(self) -> str:
        return str(self.container.id)


def encode_etc(state: EtcState) -> str:
    """The ``provsim.etc`` label value for these files' contents (None: the file is absent)."""
    return base64.b64encode(json.dumps(state, sort_keys=True).encode()).decode()


def decode_etc(value: str | None) -> EtcState:
    return dict(json.loads(base64.b64decode(value))) if value else {}


def read_etc(disk: ContainerDisk) -> EtcState:
    """What the disk holds in the files Docker would hide, read after the machine unmounted them."""
    return {path: disk.read_text(path) for path in DOCKER_ETC_FILES}


def start(
    client: Any,
    image: str,
    run_id: str,
    role: str,
    *,
    volumes: dict[str, dict[str, str]] | None = None,
) -> Machine:
    """Start a machine from ``image`` (labelled for cleanup) with its disk's own ``/etc`` files."""
    container = client.containers.run(
        image,
        ["/bin/sh", "-c", INIT],
        detach=True,
        network_mode="none",
        cap_add=CAPABILITIES,
        privileged=False,
        init=True,
        labels=labels(run_id, **{"provsim.role": role}),
        volumes=volumes or {},
        hostname="localhost",
        # /run is a tmpfs on a VM: nothing in it survives into a capture.
        tmpfs={"/run": "rw,nosuid,nodev,mode=755"},
    )
    disk = ContainerDisk(container)
    _wait_unmounted(container, disk)
    restore = decode_etc(client.images.get(image).labels.get(ETC_LABEL))
    for path, text in restore.items():
        if text is None:
            disk.remove(path)
        else:
            disk.write_text(path, text)
    name = disk.hostname()
    disk.run(f"hostname '{name}'")
    return Machine(container, disk, role)


def _wait_unmounted(container: Any, disk: ContainerDisk, budget: float = 20.0) -> None:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            logs = container.logs().decode("utf-8", "replace").strip()
            raise ProvsimError(
                f"the machine could not free Docker's /etc files ({logs or 'no output'}): "
                "the engine must allow CAP_SYS_ADMIN for unprivileged containers"
            )
        if disk.exists("/run/provsim-unmounted"):
            return
        time.sleep(0.05)
    raise ProvsimError(f"container {container.short_id} did not start within {budget:g} s")
