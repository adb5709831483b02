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

**Round trips.** Each exec is a round trip to the engine and a process in
the container (50-100 ms), so a file is written in one exec (its text on the
command line, ``printf`` being the shell's own), and while nothing but this
disk changes the container (a VM's first boot: the machine runs only its idle
process and the agents' commands), :meth:`ContainerDisk.remembering` keeps
what was read: the paths the caller expects to read are looked at together,
in one exec of the same ``test`` and ``cat`` commands, and what this disk
writes or removes is remembered as written and sent in front of its next
exec. Any other command forgets all of it, since it may change any file.
"""

from __future__ import annotations

import io
import posixpath
import re
import shlex
import tarfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
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
#: Texts up to this size are written in the command itself (Linux takes 128 KiB per argument); larger ones or texts
#: holding NUL go through an archive.
INLINE_WRITE_LIMIT = 64 * 2**10
#: Writes held back while remembering are sent with the next exec, or alone once they reach this size.
PENDING_LIMIT = 96 * 2**10
#: The exit status of an exec whose held-back writes failed (the command after them did not run).
WRITES_FAILED = 97


@dataclass(frozen=True)
class Execution:
    """A streamed command's end: its exit status (None: it never finished), the tail of its output, and its size."""

    exit_code: int | None
    output: str
    output_bytes: int
    timed_out_after: float | None = None
    """Set when a watchdog stopped the command at this many seconds."""


@dataclass(frozen=True)
class Seen:
    """What a look at one path found: whether something is there, and its text when it is a readable file.

    Something there without a text is a folder, a link to ``/dev/null`` (a
    masked unit) or a file ``cat`` could not read.
    """

    exists: bool
    text: str | None = None


ABSENT = Seen(False)


class ContainerDisk:
    """The OS disk of a running container, seen through the :class:`GuestDisk` interface."""

    def __init__(self, container: Any, *, host_folders: Iterable[str] = ()) -> None:
        """``host_folders``: where the container sees folders of the host (bind mounts), which change from outside."""
        self.container = container
        self._staged = 0
        self._host_folders = tuple(folder.rstrip("/") for folder in host_folders)
        self._known: dict[str, Seen] | None = None  # None: not remembering
        self._listed: dict[str, list[str]] = {}
        self._read_ahead: tuple[str, ...] = ()
        self._patterns_ahead: tuple[str, ...] = ()
        self._pending: list[str] = []  # commands of writes held back while remembering, in order

    # -- commands ---------------------------------------------------------------------------------
    def run(self, command: str, *, user: str = "root", timeout: float = OPERATION_TIMEOUT) -> tuple[int, str]:
        """Run ``command`` with ``/bin/sh -c`` in the container; returns the exit status and the output.

        After a template's step has run, ``/bin/sh`` and every tool are the
        template's to replace, so even provsim's own commands are bounded: in
        time (``timeout``, the container is killed when it passes) and in
        output (:data:`OUTPUT_LIMIT`). Any command may change any file, so
        what :meth:`remembering` kept is forgotten.
        """
        self._forget()
        return self._execute(command, user=user, timeout=timeout)

    def _execute(self, command: str, *, user: str = "root", timeout: float = OPERATION_TIMEOUT) -> tuple[int, str]:
        """:meth:`run` for this disk's own commands, whose effect on the files the caller accounts for.

        Writes held back (see :meth:`remembering`) go first, in the same exec:
        if one fails, the command does not run and this raises.
        """
        writes = self._take_pending()
        if writes and len(writes) + len(command) > PENDING_LIMIT + INLINE_WRITE_LIMIT:
            self._send_writes(writes)
            writes = ""
        if not writes:
            return self._execute_alone(command, user=user, timeout=timeout)
        failed = f"@@provsim-writes-failed-{uuid.uuid4().hex}@@"
        status, output = self._execute_alone(
            # The writes' own output (none, unless they fail) must not mix with the command's.
            f"written=$({{ {writes}; }} 2>&1) || {{ printf '%s %s\\n' {failed} \"$written\"; exit {WRITES_FAILED}; }}\n"
            f"{command}",
            user=user,
            timeout=timeout,
        )
        if status == WRITES_FAILED and failed in output:
            raise ProvsimError(
                f"in container {self.container.short_id}: writing files failed: {output.replace(failed, '').strip()}"
            )
        return status, output

    def _send_writes(self, writes: str) -> None:
        status, output = self._execute_alone(writes)
        if status != 0:
            raise ProvsimError(f"in container {self.container.short_id}: writing files failed ({status}): {output}")

    def _take_pending(self) -> str:
        writes = " && ".join(self._pending)
        self._pending.clear()
        return writes

    def _flush(self) -> None:
        """Send the writes held back, if any (before anything that does not go through :meth:`_execute`)."""
        writes = self._take_pending()
        if writes:
            self._send_writes(writes)

    def _execute_alone(
        self, command: str, *, user: str = "root", timeout: float = OPERATION_TIMEOUT
    ) -> tuple[int, str]:
        with Watchdog(self.container, timeout) as watch:
            try:
                execution = self._stream(["/bin/sh", "-c", command], user=user, keep=OUTPUT_LIMIT + 1)
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
        self._flush()
        self._forget()
        return self._stream(argv, user=user, keep=keep)

    def _stream(self, argv: list[str], *, user: str, keep: int) -> Execution:
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
        self._forget()
        return self._must(command)

    def _must(self, command: str) -> str:
        status, output = self._execute(command)
        if status != 0:
            raise ProvsimError(
                f"in container {self.container.short_id}: '{command}' failed ({status}): {output.strip()}"
            )
        return output

    # -- files ------------------------------------------------------------------------------------
    def read_text(self, path: str) -> str | None:
        return self._seen(path).text

    def read_files(self, paths: Iterable[str]) -> dict[str, str | None]:
        """The texts of several files (None: not a readable file), read in one exec (none when all are kept)."""
        wanted = list(dict.fromkeys(paths))
        known = self._known if self._known is not None else {}
        missing = [path for path in wanted if path not in known]
        seen = self._look(missing, [])[0] if missing else {}
        return {path: (known[path] if path in known else seen[path]).text for path in wanted}

    def write_text(self, path: str, text: str, *, mode: int = 0o644) -> None:
        self.write_files({path: text}, mode=mode)

    def write_files(self, files: Mapping[str, str | None], *, mode: int = 0o644) -> None:
        """Write several files (None: remove that path), creating their folders, in one exec where they fit.

        A text goes on the command line to the shell's own ``printf`` (never a
        program of the disk), so a write is one exec where an archive and a
        rename were two; a large text, or one holding NUL, goes by archive.
        """
        commands = []
        for path, text in files.items():
            target = shlex.quote(path)
            if text is None:
                commands.append(f"rm -rf -- {target}")
            elif len(data := text.encode()) <= INLINE_WRITE_LIMIT and b"\0" not in data:
                folder = shlex.quote(posixpath.dirname(path))
                commands.append(
                    f"mkdir -p {folder} && rm -rf {target} && printf '%s' {shlex.quote(text)} > {target} "
                    f"&& chmod {mode:o} {target}"
                )
            else:
                self._write_by_archive(path, data, mode)
        if commands and self._known is not None:
            self._hold(" && ".join(commands))
        elif commands:
            self._must(" && ".join(commands))
        for path, text in files.items():
            self._remember(path, ABSENT if text is None else Seen(True, text))

    def _hold(self, command: str) -> None:
        """Keep a write's command for the next exec (while remembering: what it writes is known already)."""
        if sum(map(len, self._pending)) + len(command) > PENDING_LIMIT:
            self._flush()
        self._pending.append(command)

    def _write_by_archive(self, path: str, data: bytes, mode: int) -> None:
        # The engine unpacks archives in its own view of the container, where Docker's /etc files are still
        # mounted; so the file is staged beside them and renamed in the container's own view.
        import docker

        self._flush()  # what was written before lands first

        self._staged += 1
        staged = f"{STAGING}/{self._staged}"
        try:
            self._put_archive(STAGING, str(self._staged), data, mode=mode)
        except docker.errors.NotFound:
            # Made on first need rather than before every write: each exec is a round trip (~50 ms).
            self._must(f"mkdir -p {STAGING}")
            self._put_archive(STAGING, str(self._staged), data, mode=mode)
        target = shlex.quote(path)
        self._must(f"mkdir -p {shlex.quote(posixpath.dirname(path))} && rm -rf {target} && mv -f {staged} {target}")

    def put_file(self, folder: str, name: str, content: bytes, *, mode: int = 0o644, owner: int = 0) -> None:
        """Upload one file into an existing folder."""
        self._flush()
        self._forget()
        self._put_archive(folder, name, content, mode=mode, owner=owner)

    def _put_archive(self, folder: str, name: str, content: bytes, *, mode: int = 0o644, owner: int = 0) -> None:
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
        return self._seen(path).exists

    def remove(self, path: str) -> None:
        self.write_files({path: None})

    def glob(self, pattern: str) -> list[str]:
        if not _SAFE_PATTERN.match(pattern):
            raise ValueError(f"glob pattern {pattern!r} has characters the container disk does not pass to a shell")
        if self._known is not None and pattern in self._listed:
            return list(self._listed[pattern])
        _, listed = self._look([], [pattern])
        return list(listed[pattern])

    # -- host name --------------------------------------------------------------------------------
    def hostname(self) -> str:
        return (self.read_text("/etc/hostname") or "").strip() or "localhost"

    def set_hostname(self, name: str) -> None:
        # /etc/hostname is what the OS comes up with; the running kernel's name follows when allowed.
        self.write_text("/etc/hostname", name + "\n")
        # The kernel's name (refused without CAP_SYS_ADMIN, which is fine): no file, nothing to forget.
        kernel_name = f"hostname {shlex.quote(name)}"
        if self._known is not None:
            self._hold(f"{{ {kernel_name} >/dev/null 2>&1 || true; }}")
        else:
            self._execute(kernel_name)

    # -- accounts ---------------------------------------------------------------------------------
    def user(self, name: str) -> Account | None:
        return next((account for account in self.users() if account.name == name), None)

    def users(self) -> list[Account]:
        texts = self.read_files(["/etc/passwd", SUDOERS])
        passwd, sudoers = texts["/etc/passwd"] or "", texts[SUDOERS] or ""
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

    # -- remembering ------------------------------------------------------------------------------
    @contextmanager
    def remembering(self, read_ahead: Iterable[str] = (), patterns: Iterable[str] = ()) -> Iterator[None]:
        """Keep what is read from the disk while the block runs; only for a block in which nothing else changes it.

        The first read looks at every path of ``read_ahead`` and every glob of
        ``patterns`` too, in the same exec, and so does the first read after a
        command made the disk forget. Paths in a host folder are never kept:
        the host changes them. Writes are held back and sent in front of the
        next exec (a failed one raises there), the last ones when the block ends;
        if the block raises, the writes still held back are dropped.
        """
        self._flush()
        saved = (self._known, self._listed, self._read_ahead, self._patterns_ahead)
        self._known, self._listed = {}, {}
        self._read_ahead, self._patterns_ahead = tuple(dict.fromkeys(read_ahead)), tuple(dict.fromkeys(patterns))
        try:
            yield
        except BaseException:
            self._pending.clear()  # the block failed: its writes would only hide why (a stopped container, say)
            raise
        else:
            self._flush()
        finally:
            self._known, self._listed, self._read_ahead, self._patterns_ahead = saved

    def _forget(self) -> None:
        if self._known is not None:
            self._known.clear()
            self._listed.clear()

    def _kept(self, path: str) -> bool:
        return self._known is not None and not any(
            path == folder or path.startswith(folder + "/") for folder in self._host_folders
        )

    def _remember(self, path: str, seen: Seen) -> None:
        """What this disk itself just wrote (or removed): the path is ``seen``; its folders and contents, unknown."""
        if self._known is None:
            return
        self._listed.clear()
        for other in [known for known in self._known if _related(known, path)]:
            del self._known[other]
        if self._kept(path):
            self._known[path] = seen

    def _seen(self, path: str) -> Seen:
        if self._known is not None and path in self._known:
            return self._known[path]
        seen, _ = self._look([path], [])
        return seen[path]

    def _look(self, paths: list[str], patterns: list[str]) -> tuple[dict[str, Seen], dict[str, list[str]]]:
        """Look at ``paths`` and ``patterns`` (and, when remembering, what is read ahead) in one exec."""
        if self._known is not None:
            paths = [*paths, *(path for path in self._read_ahead if path not in self._known and path not in paths)]
            patterns = [*patterns, *(p for p in self._patterns_ahead if p not in self._listed and p not in patterns)]
        boundary = f"@@provsim-{uuid.uuid4().hex}@@"
        status, output = self._execute(_look_script(paths, patterns, boundary))
        parts = output.split(f"\n{boundary} ")
        if status != 0 or len(parts) != len(paths) + len(patterns) + 1:
            raise ProvsimError(
                f"container {self.container.short_id}: a look at {len(paths) + len(patterns)} paths printed "
                f"{len(parts) - 1} answers (exit code {status}): a step may have replaced /bin/sh or a system command"
            )
        texts = [parts[0]]
        answers = []
        for part in parts[1:]:
            answer, _, text = part.partition("\n")
            answers.append(answer)
            texts.append(text)
        seen = {
            path: Seen(True, texts[index]) if answer == "f 0" else ABSENT if answer == "n" else Seen(True)
            for index, (path, answer) in enumerate(zip(paths, answers, strict=False))
        }
        listed = {
            pattern: sorted(line for line in texts[len(paths) + index].splitlines() if line)
            for index, pattern in enumerate(patterns)
        }
        if self._known is not None:
            self._known.update((path, found) for path, found in seen.items() if self._kept(path))
            self._listed.update((pattern, found) for pattern, found in listed.items() if self._kept(pattern))
        return seen, listed


def _look_script(paths: list[str], patterns: list[str], boundary: str) -> str:
    """One script answering for each path and glob, each answer after ``boundary`` on a line of its own.

    The commands are the disk's single reads: ``test -f`` and ``cat`` for a
    file's text, ``test -e || test -L`` for whether something is there, the
    shell's own ``for`` and ``[ -f ]`` for a glob.
    """
    lines = []
    for path in paths:
        quoted = shlex.quote(path)
        lines.append(
            f"if test -f {quoted}; then cat {quoted}; printf '\\n%s f %d\\n' {boundary} $?; "
            f"elif test -e {quoted} || test -L {quoted}; then printf '\\n%s e\\n' {boundary}; "
            f"else printf '\\n%s n\\n' {boundary}; fi"
        )
    for pattern in patterns:
        if not _SAFE_PATTERN.match(pattern):
            raise ValueError(f"glob pattern {pattern!r} has characters the container disk does not pass to a shell")
        lines.append(
            f"for f in {pattern}; do [ -f \"$f\" ] && printf '%s\\n' \"$f\"; done; printf '\\n%s g\\n' {boundary}"
        )
    return "\n".join(lines) + "\ntrue\n"


def _related(one: str, other: str) -> bool:
    """One path is the other, or holds it."""
    return one == other or one.startswith(other.rstrip("/") + "/") or other.startswith(one.rstrip("/") + "/")


def _short(command: str, width: int = 60) -> str:
    return command if len(command) <= width else command[: width - 3] + "..."
