"""A container that behaves like a VM, and that no step can use to reach the host.

**Its /etc files are its disk's.** Docker bind-mounts ``/etc/resolv.conf``,
``/etc/hosts`` and ``/etc/hostname`` into every container, and puts empty
placeholders for them in a hidden "init" layer. On a VM those are ordinary
files of the OS disk, and the real ``waagent -force -deprovision+user`` deletes
``/etc/resolv.conf`` and rewrites ``/etc/hostname``: in a plain container it
dies with EBUSY (FACTS.md section 3). So the three mounts are removed before
anything runs, and provsim puts back the content the disk had (kept in the
image's ``provsim.etc`` label when the image was built, captured or uploaded,
because the placeholders hide it).

**Why the machine itself holds no CAP_SYS_ADMIN.** Unmounting needs
CAP_SYS_ADMIN, and nothing narrower grants it. Earlier, the machine held it
for its whole life, and ``docker exec`` gives every process the container's
capability set: a template's step could ``mount``, ``unshare -m``, remount
``/proc/sys`` read-write and reach the host through a cgroup v1
``release_agent``. Dropping it in the first process does not help (each exec
gets it back), and wrapping each exec in a dropper does not either: a step can
replace any binary of the container, the dropper included, before provsim's
next exec runs it. So the capability never enters the machine at all:

- the **machine** runs with :data:`CAPABILITIES` only (what ``sudo``,
  ``useradd``, ``userdel`` and ``waagent`` need as root: no SYS_ADMIN,
  SYS_PTRACE, SYS_MODULE, NET_ADMIN, MKNOD or SYS_CHROOT), Docker's default
  seccomp profile (which refuses ``mount``, ``unshare`` and ``setns`` without
  SYS_ADMIN), no network, a pids and a memory limit (:class:`Limits`);
- a short-lived **releaser** container, started from the *base image* (built
  by provsim, never touched by a template), joins the machine's PID namespace
  and, from a Python process that has already loaded everything it needs,
  enters the machine's mount namespace and unmounts the three files
  (:data:`RELEASE_PROGRAM`). After ``setns`` it executes nothing from the
  machine's disk: no binary, no library, no Python module, so a booted image
  built by a hostile template cannot run code with its capability. It holds
  ``no-new-privileges``, has no network, and has exited before the machine
  runs anything else. The machine's processes cannot ptrace it (they lack
  SYS_PTRACE and hold fewer capabilities), so they cannot borrow its
  capability while it lives. The stopped container is removed with the
  run's containers.

``--privileged`` is never used: it would add every capability and device.
Without SYS_ADMIN the kernel's host name cannot be changed from inside, so a
machine starts with the host name its disk names (``/etc/hostname``), as a VM's
init sets it at boot; what the agents write later is in ``/etc/hostname``,
which is what the evidence reads.

Build machines keep the ``sudo`` the template's steps use, so they cannot set
``no-new-privileges``; VM machines, where only provsim's own commands run as
root, do.
"""

from __future__ import annotations

import base64
import json
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from ..errors import ProvsimError
from .disk import ContainerDisk
from .engine import labels
from .faults import container_state

DOCKER_ETC_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/hostname")
ETC_LABEL = "provsim.etc"
#: Everything a machine's root may do: Docker's defaults without MKNOD, NET_RAW, NET_BIND_SERVICE, SETFCAP,
#: SETPCAP and SYS_CHROOT, none of which a build step of an image pipeline needs in a container with no network.
CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID", "KILL", "AUDIT_WRITE")
#: The releaser needs SYS_ADMIN (umount2, setns) and SYS_CHROOT (setns into a mount namespace), and at least the
#: machine's capabilities: opening another process's namespace requires holding every capability it holds.
RELEASER_CAPABILITIES = (*CAPABILITIES, "SYS_ADMIN", "SYS_CHROOT")
#: The machine's first process: docker-init (``init=True``) reaps children; sleep idles like a booted system.
IDLE = ["/bin/sleep", "infinity"]

#: Run by the releaser's python3 with the target PID and the file names under /etc to unmount. Everything it calls is
#: bound before ``setns``: after it, the process's root is the machine's disk, which a template may have rewritten.
#: A hostile disk could also have swapped ``/etc`` for a symlink to steer the unmount elsewhere (a /proc mask, say),
#: so ``/etc`` is opened without following symlinks and the names are unmounted relative to it (UMOUNT_NOFOLLOW).
RELEASE_PROGRAM = r"""
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
setns, umount2, get_errno = libc.setns, libc.umount2, ctypes.get_errno
write, leave, open_at, fchdir = os.write, os._exit, os.open, os.fchdir
directory = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
names = [name.encode() for name in sys.argv[2:]]
namespace = os.open("/proc/%s/ns/mnt" % sys.argv[1], os.O_RDONLY)
if setns(namespace, 0x00020000) != 0:
    write(2, b"setns failed: errno %d\n" % get_errno())
    leave(3)
try:
    fchdir(open_at("etc", directory, dir_fd=open_at("/", directory)))
except OSError:
    write(2, b"/etc is not a plain directory on this disk\n")
    leave(5)
status = 0
for name in names:
    if umount2(name, 2 | 8) != 0:
        write(2, b"umount /etc/%s failed: errno %d\n" % (name, get_errno()))
        status = 4
leave(status)
"""

EtcState = dict[str, str | None]


@dataclass(frozen=True)
class Limits:
    """What one machine may use: a runaway or hostile step hits these, never the host.

    1024 processes are plenty for a build step and stop a fork bomb; 2 GiB of
    memory (swap included) is what a small build VM has.
    """

    pids: int = 1024
    memory: str = "2g"


DEFAULT_LIMITS = Limits()


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
    """What the disk holds in the files Docker would hide, read after the machine was released."""
    return disk.read_files(DOCKER_ETC_FILES)


def start(
    client: Any,
    image: str,
    run_id: str,
    role: str,
    *,
    releaser_image: str,
    volumes: dict[str, dict[str, str]] | None = None,
    runs_template_steps: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Machine:
    """Start a machine from ``image`` (labelled for cleanup) with its disk's own ``/etc`` files.

    ``releaser_image`` is provsim's base image (see the module docstring);
    ``runs_template_steps`` keeps ``sudo`` working for a build machine.
    """
    import docker

    try:
        restore = decode_etc(client.images.get(image).labels.get(ETC_LABEL))
    except docker.errors.ImageNotFound:
        raise ProvsimError(
            f"image {image} was removed from the engine before a machine could start from it: "
            "removed from outside the pipeline (another process or a cleanup), not by the template"
        ) from None
    hostname = (restore.get("/etc/hostname") or "").strip() or "localhost"
    security = [] if runs_template_steps else ["no-new-privileges"]
    container = client.containers.run(
        image,
        IDLE,
        detach=True,
        network_mode="none",
        cap_drop=["ALL"],
        cap_add=list(CAPABILITIES),
        privileged=False,
        security_opt=security,
        pids_limit=limits.pids,
        mem_limit=limits.memory,
        memswap_limit=limits.memory,
        init=True,
        labels=labels(run_id, **{"provsim.role": role}),
        volumes=volumes or {},
        hostname=hostname[:63],
        # /run is a tmpfs on a VM: nothing in it survives into a capture.
        tmpfs={"/run": "rw,nosuid,nodev,mode=755"},
    )
    release(client, container, releaser_image, run_id)
    disk = ContainerDisk(container, host_folders=[mount["bind"] for mount in (volumes or {}).values()])
    disk.write_files(restore)  # None: the disk has no such file
    return Machine(container, disk, role)


def release(client: Any, container: Any, releaser_image: str, run_id: str, timeout: float = 60.0) -> None:
    """Unmount Docker's three ``/etc`` files in ``container``'s mount namespace, from a releaser container."""
    import docker

    try:
        releaser = _start_releaser(client, container, releaser_image, run_id)
    except docker.errors.APIError:
        logs = container.logs(tail=3).decode("utf-8", "replace").strip().replace("\n", " | ")
        raise ProvsimError(
            f"container {container.short_id} {container_state(container)} as it started (its output: "
            f"{logs or 'none'}): the disk does not boot as a machine; a step may have broken /bin/sleep"
        ) from None
    try:
        try:
            status = int(releaser.wait(timeout=timeout).get("StatusCode", -1))
        except Exception as error:  # the SDK raises requests' ReadTimeout or ConnectionError here
            raise ProvsimError(
                f"container {container.short_id}: Docker's /etc files were not released within {timeout:g} s "
                f"({type(error).__name__}): the engine is overloaded or stopped"
            ) from None
        if status != 0:
            logs = releaser.logs().decode("utf-8", "replace").strip().replace("\n", "; ")
            raise ProvsimError(
                f"container {container.short_id}: Docker's /etc files could not be released ({logs or status}): "
                "the engine must allow SYS_ADMIN for an unprivileged container and joining another's PID namespace"
            )
    except BaseException:
        with suppress(docker.errors.NotFound):
            releaser.remove(force=True)  # it may still run: it must not outlive the failed start
        raise
    # Its process has exited (wait returned): the stopped container, labelled with the run, goes with the run's
    # containers, all at once, rather than one round trip now.


def _start_releaser(client: Any, container: Any, releaser_image: str, run_id: str) -> Any:
    return client.containers.run(
        releaser_image,
        ["python3", "-c", RELEASE_PROGRAM, "1", *(path.removeprefix("/etc/") for path in DOCKER_ETC_FILES)],
        detach=True,
        network_mode="none",
        pid_mode=f"container:{container.id}",
        cap_drop=["ALL"],
        cap_add=list(RELEASER_CAPABILITIES),
        security_opt=["no-new-privileges"],
        pids_limit=16,
        labels=labels(run_id, **{"provsim.role": "releaser"}),
    )
