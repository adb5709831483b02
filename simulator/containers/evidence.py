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

import shlex
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


#: Ends each fact in the output of :func:`look_script`; no file or command prints it.
FACT_END = "@@provsim-fact@@"


def look_script(build_user: str | None) -> str:
    """One shell script that prints every fact of a look, each ended by :data:`FACT_END`.

    It runs the same commands testinfra's ``file`` and ``user`` modules run,
    one per fact (``test -f``, ``cat --``, ``ls``, ``id``, ``getent passwd``,
    ``test -d``), so it trusts the container's programs exactly as they did;
    only the transport changes: one ``docker exec`` for the look instead of one
    per fact (each a ``docker`` CLI process, a quarter of the container cells'
    time before).
    """
    end = f"printf '\\n%s\\n' {FACT_END}"
    marker, saved = shlex.quote(PROVISIONED_MARKER), shlex.quote(SAVED_OVF_ENV)
    lines = [
        f"if test -f {marker}; then echo yes; cat -- {marker}; else echo no; fi; {end}",
        f"if test -f {saved}; then echo yes; else echo no; fi; {end}",
        f"ls {SSH_HOST_KEYS} 2>/dev/null; {end}",  # unquoted: the shell expands the glob, as before
        f"if test -f /etc/hostname; then echo yes; cat -- /etc/hostname; else echo no; fi; {end}",
    ]
    if build_user is not None:
        user = shlex.quote(build_user)
        lines += [
            f"if id {user} >/dev/null 2>&1; then echo yes; home=$(getent passwd {user} | "
            f'{{ IFS=: read -r _n _p _u _g _c h _s; echo "$h"; }}); '
            f"else echo no; home={shlex.quote(f'/home/{build_user}')}; fi; {end}",
            f'if test -d "$home"; then echo yes; else echo no; fi; {end}',
        ]
    return "\n".join(lines) + "\n"


def _observe(container: Any, build_user: str | None) -> DiskEvidence:
    import testinfra

    host = testinfra.get_host(f"docker://{container.id}")
    look = host.run(look_script(build_user))
    facts = look.stdout.split(f"\n{FACT_END}\n")
    expected = 6 if build_user is not None else 4
    if look.rc != 0 or len(facts) < expected:
        raise ProvsimError(
            f"container {container.short_id}: the look at the disk printed {len(facts) - 1} of {expected} facts "
            f"(exit code {look.rc}): {look.stderr.strip()[:200]}"
        )

    def present(fact: str) -> tuple[bool, str]:
        answer, _, content = fact.lstrip("\n").partition("\n")
        return answer == "yes", content

    marker_present, marker_text = present(facts[0])
    marker = marker_text.strip() if marker_present else None
    saved_ovf_env, _ = present(facts[1])
    keys = facts[2].split()
    hostname_present, hostname_text = present(facts[3])
    hostname = (hostname_text.strip() if hostname_present else "") or "localhost"
    user_present = home_present = False
    if build_user is not None:
        user_present, _ = present(facts[4])
        home_present, _ = present(facts[5])
    return DiskEvidence(marker, saved_ovf_env, bool(keys), hostname, build_user, user_present, home_present)


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
