"""The evidence of a container's OS state, observed with testinfra.

The OS state is decided from what is on the disk, the way the guest agent
will decide at the next boot: no ``provisioned`` marker means generalized
(FACTS.md section 3). The other facts (build user and home, SSH host keys,
host name, the saved ovf-env.xml) are what a reviewer checks to see *why*.

:func:`evidence_from_disk` reads the same facts through the
:class:`~provsim.disk.GuestDisk` interface, so the fidelity test can hold an
in-memory disk and a container side by side, fact by fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..disk import GuestDisk
from ..errors import ProvsimError
from ..evidence import OsStateReading
from ..guest.linux import PROVISIONED_MARKER, SAVED_OVF_ENV, SSH_HOST_KEYS
from ..model import OsState
from .disk import OPERATION_TIMEOUT
from .faults import engine_fault, is_running
from .watchdog import Watchdog


@dataclass(frozen=True)
class DiskEvidence:
    """The facts of a Linux disk that say whether it is generalized."""

    marker: str | None
    saved_ovf_env: bool
    ssh_host_keys: bool
    hostname: str
    build_user: str | None = None
    build_user_present: bool = False
    build_home_present: bool = False

    @property
    def os_state(self) -> OsState:
        """Generalized exactly when the agent will provision at the next boot: no marker."""
        return OsState.GENERALIZED if self.marker is None else OsState.SPECIALIZED

    def facts(self) -> tuple[str, ...]:
        """The facts in words, in the order :func:`provsim.evidence.read_os_state` gives them."""
        marker = "absent" if self.marker is None else f"present (instance id {self.marker})"
        facts = [
            f"{PROVISIONED_MARKER} {marker}",
            f"{SAVED_OVF_ENV} " + ("present" if self.saved_ovf_env else "absent"),
            "SSH host keys " + ("present" if self.ssh_host_keys else "absent"),
            f"host name {self.hostname}",
        ]
        if self.build_user is not None:
            facts.append(f"build user '{self.build_user}' " + ("present" if self.build_user_present else "absent"))
            facts.append("its home " + ("present" if self.build_home_present else "absent"))
        return tuple(facts)

    def reading(self) -> OsStateReading:
        return OsStateReading(self.os_state, self.facts())

    def comparable(self) -> dict[str, object]:
        """The facts that do not depend on which machine ran (instance ids differ between any two VMs)."""
        return {
            "marker present": self.marker is not None,
            "saved ovf-env.xml": self.saved_ovf_env,
            "SSH host keys": self.ssh_host_keys,
            "host name": self.hostname,
            "build user": self.build_user_present,
            "build home": self.build_home_present,
        }


def observe(container: Any, build_user: str | None = None, timeout: float = OPERATION_TIMEOUT) -> DiskEvidence:
    """Look at a running container with testinfra and collect the evidence.

    testinfra runs the container's own ``cat`` and ``stat``, which a step may
    have replaced: a watchdog stops the container if looking takes longer
    than ``timeout``.
    """
    with Watchdog(container, timeout) as watch:
        try:
            return _observe(container, build_user)
        except Exception as error:
            if watch.fired:
                raise ProvsimError(
                    f"container {container.short_id}: reading the evidence took longer than {timeout:g} s, so the "
                    "container was stopped: a step may have replaced a system command"
                ) from None
            if not is_running(container):
                raise engine_fault(container, "reading the evidence with testinfra") from None
            raise error


def _observe(container: Any, build_user: str | None) -> DiskEvidence:
    import testinfra

    host = testinfra.get_host(f"docker://{container.id}")
    marker_file = host.file(PROVISIONED_MARKER)
    marker = marker_file.content_string.strip() if marker_file.is_file else None
    keys = host.run(f"ls {SSH_HOST_KEYS} 2>/dev/null").stdout.split()
    hostname_file = host.file("/etc/hostname")
    hostname = (hostname_file.content_string.strip() if hostname_file.is_file else "") or "localhost"
    user_present = home_present = False
    if build_user is not None:
        account = host.user(build_user)
        user_present = account.exists
        home = account.home if user_present else f"/home/{build_user}"
        home_present = host.file(home).is_directory
    return DiskEvidence(
        marker, host.file(SAVED_OVF_ENV).is_file, bool(keys), hostname, build_user, user_present, home_present
    )


def evidence_from_disk(disk: GuestDisk, build_user: str | None = None) -> DiskEvidence:
    """The same facts, read through the disk interface (any disk, in memory or in a container)."""
    marker = disk.read_text(PROVISIONED_MARKER)
    account = disk.user(build_user) if build_user is not None else None
    home = account.home if account is not None else f"/home/{build_user}"
    return DiskEvidence(
        marker.strip() if marker is not None else None,
        disk.exists(SAVED_OVF_ENV),
        bool(disk.glob(SSH_HOST_KEYS)),
        disk.hostname(),
        build_user,
        account is not None,
        build_user is not None and disk.exists(home),
    )
