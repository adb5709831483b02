"""A container's filesystem as a :class:`~provsim.disk.GuestDisk`.

The guest agents, the deprovision model and the evidence readers run on the
host in Python; this disk carries what they do into a running container
through the Docker SDK: ``exec`` for commands, ``put_archive`` to write files.
So ``LinuxAgent.boot(ContainerDisk(container), ...)`` provisions a real Debian
user with ``useradd``, writes the real ``provisioned`` marker, and the real
``waagent -deprovision`` sees exactly that.

Accounts are what a Linux VM calls login accounts: ``/etc/passwd`` entries
with a uid from 1000 up (``nobody`` excluded). Admin accounts get the sudo
rule waagent writes for them (``/etc/sudoers.d/waagent``), without a
password, as on an Azure VM provisioned with an SSH key.
"""

from __future__ import annotations

import io
import posixpath
import re
import shlex
import tarfile
import time
from dataclasses import dataclass
from typing import Any

from ..disk import Account
from ..errors import ProvsimError
from .faults import engine_fault, is_running
from .watchdog import Watchdog

#: waagent's sudo rules file (``conf_sudoer`` in ``azurelinuxagent/common/osutil/default.py``).
SUDOERS = "/etc/sudoers.d/waagent"
#: A glob pattern this disk accepts: it goes unquoted to /bin/sh so the shell expands it.
_SAFE_PATTERN = re.compile(r"^[A-Za-z0-9_./*?\[\]+-]+$")
#: Where written files wait before they are renamed into place (same filesystem as /etc, so a rename).
STAGING = "/var/tmp/.provsim-staging"
#: How long provsim's own commands in a container may take, and how much they may print, before it stops them.
OPERATION_TIMEOUT = 120.0
OUTPUT_LIMIT = 16 * 2**20
LOGIN_UID_MIN = 1000
NOBODY_UID = 65534


@dataclass(frozen=True)
class Execution:
    """A streamed command's end: its exit status (None: it never finished), the tail of its output, and its size."""

    exit_code: int | None
    output: str
    output_bytes: int
    timed_out_after: float | None = None
    """Set when a watchdog stopped the command at this many seconds."""


class ContainerDisk:
    """The OS disk of a running container, seen through the :class:`GuestDisk` interface."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self._staged = 0

    # -- commands ---------------------------------------------------------------------------------
    def run(self, command: str, *, user: str = "root", timeout: float = OPERATION_TIMEOUT) -> tuple[int, str]:
        """Run ``command`` with ``/bin/sh -c`` in the container; returns the exit status and the output.

        After a template's step has run, ``/bin/sh`` and every tool are the
        template's to replace, so even provsim's own commands are bounded: in
        time (``timeout``, the container is killed when it passes) and in
        output (:data:`OUTPUT_LIMIT`).
        """
        with Watchdog(self.container, timeout) as watch:
            try:
                execution = self.stream(["/bin/sh", "-c", command], user=user, keep=OUTPUT_LIMIT + 1)
            except Exception as error:
                raise self._fault(error, f"running '{_short(command)}'") from None
        if watch.fired:
            raise ProvsimError(
                f"container {self.container.short_id}: '{_short(command)}' did not finish within {timeout:g} s, "
                "so the container was stopped: a step may have replaced a system command"
            )
        if execution.exit_code is None:
            raise engine_fault(self.container, f"running '{_short(command)}'")
        if execution.output_bytes > OUTPUT_LIMIT:
            raise ProvsimError(
                f"container {self.container.short_id}: '{_short(command)}' printed more than "
                f"{OUTPUT_LIMIT // 2**20} MiB: a step may have replaced a system command"
            )
        return execution.exit_code, execution.output

    def _fault(self, error: Exception, doing: str) -> ProvsimError:
        import docker

        if isinstance(error, docker.errors.DockerException) or not is_running(self.container):
            return engine_fault(self.container, doing)
        raise error

    def stream(self, argv: list[str], *, user: str, keep: int) -> Execution:
        """Run ``argv`` as ``user``, reading its output as it comes and keeping only the last ``keep`` bytes.

        A template's step may print without end: memory stays bounded. There
        is no deadline here; a :class:`~provsim.containers.watchdog.Watchdog`
        around the call ends it (and the container) when time is up.
        """
        api = self.container.client.api
        execution = api.exec_create(self.container.id, argv, user=user)["Id"]
        tail = bytearray()
        size = 0
        try:
            for chunk in api.exec_start(execution, stream=True):
                size += len(chunk)
                tail.extend(chunk)
                del tail[:-keep]
        except Exception:  # the connection closes when the container is killed: that is the end of the output
            pass
        output = bytes(tail).decode("utf-8", "replace")
        try:
            exit_code = api.exec_inspect(execution).get("ExitCode")
        except Exception:  # the container is gone with its execs: the caller asks the engine why
            exit_code = None
        return Execution(int(exit_code) if exit_code is not None else None, output, size)

    def must(self, command: str) -> str:
        """Run a command that has to succeed (a broken disk operation is a bug, not a guest decision)."""
        status, output = self.run(command)
        if status != 0:
            raise ProvsimError(
                f"in container {self.container.short_id}: '{command}' failed ({status}): {output.strip()}"
            )
        return output

    # -- files ------------------------------------------------------------------------------------
    def read_text(self, path: str) -> str | None:
        status, output = self.run(f"test -f {shlex.quote(path)} && cat {shlex.quote(path)}")
        return output if status == 0 else None

    def write_text(self, path: str, text: str, *, mode: int = 0o644) -> None:
        # The engine unpacks archives in its own view of the container, where Docker's /etc files are still
        # mounted; so the file is staged beside them and renamed in the container's own view.
        import docker

        self._staged += 1
        staged = f"{STAGING}/{self._staged}"
        try:
            self.put_file(STAGING, str(self._staged), text.encode(), mode=mode)
        except docker.errors.NotFound:
            # Made on first need rather than before every write: each exec is a round trip (~50 ms).
            self.must(f"mkdir -p {STAGING}")
            self.put_file(STAGING, str(self._staged), text.encode(), mode=mode)
        target = shlex.quote(path)
        self.must(f"mkdir -p {shlex.quote(posixpath.dirname(path))} && rm -rf {target} && mv -f {staged} {target}")

    def put_file(self, folder: str, name: str, content: bytes, *, mode: int = 0o644, owner: int = 0) -> None:
        """Upload one file into an existing folder."""
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), mode, int(time.time())
            info.uid = info.gid = owner
            tar.addfile(info, io.BytesIO(content))
        import docker

        try:
            written = self.container.put_archive(folder, archive.getvalue())
        except docker.errors.NotFound:
            if is_running(self.container):
                raise  # the folder does not exist (callers that expect this make it and retry)
            raise engine_fault(self.container, f"writing {posixpath.join(folder, name)}") from None
        except docker.errors.APIError:
            raise engine_fault(self.container, f"writing {posixpath.join(folder, name)}") from None
        if not written:
            raise ProvsimError(f"could not write {posixpath.join(folder, name)} in container {self.container.short_id}")

    def exists(self, path: str) -> bool:
        return self.run(f"test -e {shlex.quote(path)} || test -L {shlex.quote(path)}")[0] == 0

    def remove(self, path: str) -> None:
        self.must(f"rm -rf -- {shlex.quote(path)}")

    def glob(self, pattern: str) -> list[str]:
        if not _SAFE_PATTERN.match(pattern):
            raise ValueError(f"glob pattern {pattern!r} has characters the container disk does not pass to a shell")
        _, output = self.run(f'for f in {pattern}; do [ -f "$f" ] && printf \'%s\\n\' "$f"; done; true')
        return sorted(line for line in output.splitlines() if line)

    # -- host name --------------------------------------------------------------------------------
    def hostname(self) -> str:
        return (self.read_text("/etc/hostname") or "").strip() or "localhost"

    def set_hostname(self, name: str) -> None:
        # /etc/hostname is what the OS comes up with; the running kernel's name follows when allowed.
        self.write_text("/etc/hostname", name + "\n")
        self.run(f"hostname {shlex.quote(name)}")

    # -- accounts ---------------------------------------------------------------------------------
    def user(self, name: str) -> Account | None:
        return next((account for account in self.users() if account.name == name), None)

    def users(self) -> list[Account]:
        passwd = self.read_text("/etc/passwd") or ""
        sudoers = self.read_text(SUDOERS) or ""
        admins = {line.split()[0] for line in sudoers.splitlines() if line.strip() and not line.startswith("#")}
        accounts = []
        for line in passwd.splitlines():
            fields = line.split(":")
            if len(fields) < 7 or not fields[2].isdigit():
                continue
            uid = int(fields[2])
            if uid >= LOGIN_UID_MIN and uid != NOBODY_UID:
                accounts.append(Account(fields[0], fields[5], fields[0] in admins))
        return sorted(accounts, key=lambda account: account.name)

    def add_user(self, account: Account) -> None:
        name = shlex.quote(account.name)
        self.must(f"id -u {name} >/dev/null 2>&1 || useradd -m -d {shlex.quote(account.home)} -s /bin/bash {name}")
        if account.admin:
            rule = f"{account.name} ALL=(ALL) NOPASSWD: ALL\n"
            current = self.read_text(SUDOERS) or ""
            if rule not in current:
                self.write_text(SUDOERS, current + rule, mode=0o440)

    def remove_user(self, name: str, *, remove_home: bool) -> None:
        # userdel exits 6 for an unknown user (fine: idempotent) and 12 when there is no mail spool.
        status, output = self.run(f"userdel -f {'-r ' if remove_home else ''}{shlex.quote(name)}")
        if status not in (0, 6, 12):
            raise ProvsimError(f"userdel {name} failed ({status}): {output.strip()}")
        sudoers = self.read_text(SUDOERS)
        if sudoers is not None:
            kept = "".join(line + "\n" for line in sudoers.splitlines() if line.split()[:1] != [name])
            self.write_text(SUDOERS, kept, mode=0o440)


def _short(command: str, width: int = 60) -> str:
    return command if len(command) <= width else command[: width - 3] + "..."
