"""Running a pipeline's steps for real, in the build container.

Each step is executed the way its tool executes it on a build VM:

- Packer ``shell`` (and AIB ``Shell``): inline commands become a script that
  starts with ``inline_shebang`` (default ``/bin/sh -e``); ``script``/``scripts``
  are uploaded as they are; each runs through ``execute_command`` (default
  ``chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}``) as the SSH user, with
  ``{{ .Vars }}`` the ``environment_vars`` quoted the way Packer quotes them.
- Packer ``file`` (and AIB ``File`` with a local source): uploaded as the SSH user.
- AIB's hidden ``deprovision``: runs ``/tmp/DeprovisioningScript.sh`` if a
  customizer wrote one, else writes AIB's default commands there and runs them.

A step that cannot run in a Linux container is *skipped with its reason*,
never silently; so is a step the user asked to skip (``--skip-step N``: the
containers have no network, so a step that downloads packages cannot run).
A failing step stops the build: its output is kept, with a hint when it looks
like the missing network was the cause.

Template code is untrusted, so every step is bounded:

- in **time**: the provisioner's own ``timeout`` (Packer's ``timeout = "5m"``)
  or else :data:`DEFAULT_STEP_TIMEOUT` (``--step-timeout``); when it passes the
  build container is killed (:mod:`~provsim.containers.watchdog`), which ends
  everything the step started, and the step is reported as timed out;
- in **output**: only the last :data:`OUTPUT_TAIL` bytes are kept;
- in **what it shows**: the step's environment (``{{ .Vars }}``) is written to
  a file in the container, never put on a command line (``docker exec``'s
  arguments are on the host's process list and in ``docker events``), and the
  pipeline's sensitive values are masked in everything kept.
"""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from ..errors import ProvsimError
from ..masking import mask
from ..pipeline.aib import LINUX_DEPROVISION, LINUX_DEPROVISION_SCRIPT
from ..pipeline.model import Pipeline, Step
from .disk import ContainerDisk, Execution
from .faults import engine_fault, stopped_within
from .watchdog import Watchdog

DEFAULT_SHEBANG = "/bin/sh -e"
DEFAULT_EXECUTE = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
#: AIB's default Linux deprovision (FACTS.md section 5) and where AIB looks for a replacement.
AIB_DEPROVISION_SCRIPT = LINUX_DEPROVISION_SCRIPT
AIB_DEPROVISION_COMMANDS = (LINUX_DEPROVISION,)
#: Packer's remote folder for uploaded scripts.
REMOTE_FOLDER = "/tmp"
#: A step without a ``timeout`` of its own gets this many seconds. Packer sets none, and AIB bounds only the whole
#: build (``buildTimeoutInMinutes``, 4 hours by default); a CI gate cannot wait that long on a step that hangs, and
#: a container step has no network to wait for: 15 minutes fit a long compile and stop a ``sleep infinity``.
DEFAULT_STEP_TIMEOUT = 15 * 60.0
#: How much of a step's output is kept (its end, where the error is).
OUTPUT_TAIL = 64 * 1024
_PATH = re.compile(r"\{\{\s*\.Path\s*\}\}")
_VARS = re.compile(r"\{\{\s*\.Vars\s*\}\}")
_REBOOT = re.compile(r"^\s*(sudo\s+)?(reboot|shutdown\s+-r|systemctl\s+reboot|init\s+6)\b")
WINDOWS_ONLY = {"powershell", "windows-restart", "windows-update", "windows-shell"}
#: What apt, curl, wget and pip say without a network (the containers never get one).
_NO_NETWORK = re.compile(
    r"Temporary failure (resolving|in name resolution)|Could not resolve|Name or service not known|"
    r"Network is unreachable|Failed to fetch|Unable to locate package|Failed to establish a new connection",
    re.IGNORECASE,
)


class StepStatus(StrEnum):
    """What became of one step."""

    RAN = "ran"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class StepRun:
    """One step's run: its status, the reason for a skip, exit status and output."""

    step: Step
    status: StepStatus
    reason: str = ""
    exit_code: int | None = None
    output: str = ""
    output_bytes: int = 0
    """How much the step printed; ``output`` keeps the last :data:`OUTPUT_TAIL` bytes of it."""
    timed_out: bool = False

    def describe(self) -> str:
        """One line: where the step is, what it is, what happened."""
        head = f"{self.step.location}: {self.step.kind} '{self.step.name}' {self.status.value}"
        if self.status is StepStatus.SKIPPED:
            return f"{head}: {self.reason}"
        if self.timed_out:
            return f"{head}: {self.reason}"
        if self.status is StepStatus.FAILED:
            return f"{head} (exit {self.exit_code}): {self.reason}"
        return head


def packer_vars(environment_vars: tuple[str, ...], pipeline: Pipeline) -> str:
    """``{{ .Vars }}``: Packer's own variables, then the step's, as ``KEY='value'`` with quotes escaped.

    >>> from provsim.model import OsType
    >>> from provsim.pipeline.model import Location, Tool
    >>> pipeline = Pipeline("t.pkr.hcl", Tool.PACKER, "azure-arm.x", OsType.LINUX, Location("t"))
    >>> print(packer_vars(("GREETING=it's",), pipeline))
    PACKER_BUILDER_TYPE='azure-arm' PACKER_BUILD_NAME='azure-arm.x' GREETING='it'"'"'s'
    """
    pairs = [("PACKER_BUILDER_TYPE", "azure-arm"), ("PACKER_BUILD_NAME", pipeline.name)]
    for assignment in environment_vars:
        key, _, value = assignment.partition("=")
        pairs.append((key, value))
    return " ".join(f"{key}={_quote(value)}" for key, value in pairs)


class StepRunner:
    """Runs a pipeline's steps on a build container as ``user`` (the build VM's SSH user)."""

    def __init__(
        self,
        disk: ContainerDisk,
        pipeline: Pipeline,
        user: str,
        skip: Collection[int] = (),
        step_timeout: float = DEFAULT_STEP_TIMEOUT,
    ) -> None:
        if step_timeout <= 0:
            raise ProvsimError(f"--step-timeout {step_timeout:g}: give a number of seconds greater than 0")
        self.disk = disk
        self.pipeline = pipeline
        self.user = user
        self.step_timeout = step_timeout
        # Steps are told apart by identity: two steps with the same text are still two steps.
        self._numbers = {id(step): number for number, step in enumerate(pipeline.steps, start=1)}
        self._skip = frozenset(skip)
        self._uploads = 0
        self._uids: dict[str, int] = {}

    def run_all(
        self, progress: Callable[[StepRun], None] | None = None, starting: Callable[[Step], None] | None = None
    ) -> list[StepRun]:
        """Run every step in order, telling ``starting`` and ``progress`` of each; stop after the first failure."""
        runs: list[StepRun] = []
        for step in self.pipeline.steps:
            if starting is not None and self.cannot_run(step) is None:
                starting(step)
            run = self.run(step)
            runs.append(run)
            if progress is not None:
                progress(run)
            if run.status is StepStatus.FAILED:
                break
        return runs

    def run(self, step: Step) -> StepRun:
        """Run one step, or say why it cannot run here."""
        reason = self.cannot_run(step)
        if reason is not None:
            return StepRun(step, StepStatus.SKIPPED, reason)
        if step.kind == "deprovision":
            result = self._aib_deprovision(step)
        elif step.kind == "file":
            result = self._file(step)
        else:
            result = self._shell(step)
        if (
            result.status is StepStatus.FAILED
            and not result.timed_out
            and _NO_NETWORK.search(_without_sudo_noise(result.output))
        ):
            number = self._numbers.get(id(step), "N")
            hint = f"; provsim's containers have no network: if this step downloads, pass --skip-step {number}"
            result = replace(result, reason=result.reason + hint)
        secrets = self.pipeline.sensitive
        return replace(result, reason=mask(result.reason, secrets), output=mask(result.output, secrets))

    def timeout_of(self, step: Step) -> float:
        """The step's own ``timeout`` when the template sets one, else the runner's default."""
        return step.timeout if step.timeout else self.step_timeout

    def cannot_run(self, step: Step) -> str | None:
        """Why ``step`` cannot run in a Linux container, or None when it can."""
        if self._numbers.get(id(step)) in self._skip:
            return "on request (--skip-step); its effects are not part of this verdict"
        if step.kind in WINDOWS_ONLY:
            return f"a '{step.kind}' step runs on Windows only"
        if step.kind == "shell-local":
            return "a 'shell-local' step runs on the machine running Packer, not on the build VM"
        if step.kind not in ("shell", "file", "deprovision"):
            return f"provsim does not run '{step.kind}' steps in a container"
        if step.remote:
            return f"needs {', '.join(step.remote)}, which provsim does not download (no network)"
        if any(script.text is None for script in step.scripts):
            missing = ", ".join(s.path for s in step.scripts if s.text is None)
            return f"script {missing} could not be read"
        for line, location in step.texts():
            if _REBOOT.match(line):
                return f"{location}: '{line.strip()}' reboots the VM, which a container cannot do"
        return None

    # -- shell ---------------------------------------------------------------------------------
    def _shell(self, step: Step) -> StepRun:
        scripts: list[str] = []
        if step.inline:
            shebang = step.inline_shebang or DEFAULT_SHEBANG
            scripts.append(f"#!{shebang}\n" + "".join(f"{command}\n" for command in step.inline))
        scripts.extend(script.text or "" for script in step.scripts)
        runs = []
        for text in scripts:
            self._uploads += 1
            path = f"{REMOTE_FOLDER}/script_{self._uploads}.sh"
            self.disk.put_file(REMOTE_FOLDER, posixpath.basename(path), text.encode(), mode=0o755, owner=self._uid())
            command = _PATH.sub(path, step.execute_command or DEFAULT_EXECUTE)
            command = _VARS.sub(packer_vars(step.environment_vars, self.pipeline), command)
            runs.append(self._execute(step, command, self.user))
            if runs[-1].exit_code != 0:
                break
        return _step_run(step, runs)

    def _execute(self, step: Step, command: str, user: str) -> Execution:
        """Run one command of ``step`` as ``user``, bounded in time and output.

        The command (with the step's environment in it) goes into a file that
        the shell deletes first thing; only ``/bin/sh <file>`` is on the
        command line.
        """
        self._uploads += 1
        name = f".provsim-command-{self._uploads}"
        wrapper = f'rm -f -- "$0"\n{command}\n'
        self.disk.put_file(REMOTE_FOLDER, name, wrapper.encode(), mode=0o600, owner=self._uid(user))
        seconds = self.timeout_of(step)
        with Watchdog(self.disk.container, seconds) as watch:
            try:
                execution = self.disk.stream(["/bin/sh", f"{REMOTE_FOLDER}/{name}"], user=user, keep=OUTPUT_TAIL)
            except Exception:
                raise engine_fault(self.disk.container, f"running {step.location} {step.name}") from None
        if watch.fired:
            return Execution(None, execution.output, execution.output_bytes, timed_out_after=seconds)
        if execution.exit_code is None or (execution.exit_code >= 128 and stopped_within(self.disk.container)):
            raise engine_fault(self.disk.container, f"running {step.location} {step.name}")
        return execution

    # -- file ----------------------------------------------------------------------------------
    def _file(self, step: Step) -> StepRun:
        if not step.source or not step.destination:
            return StepRun(step, StepStatus.SKIPPED, "a file step needs both a source and a destination")
        source = Path(self.pipeline.path).parent / step.source
        if not source.exists():
            return StepRun(step, StepStatus.FAILED, f"{source} does not exist", 1)
        destination = step.destination
        if destination.endswith("/") or (source.is_dir() and step.source.endswith("/")):
            folder, name = destination.rstrip("/") or "/", source.name
        else:
            folder, name = posixpath.split(destination)
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            if source.is_dir() and step.source.endswith("/"):
                for child in sorted(source.iterdir()):
                    tar.add(child, arcname=child.name, filter=self._owned)
            else:
                tar.add(source, arcname=name, filter=self._owned)
        status, _output = self.disk.run(f"test -d {_quote(folder)} && test -w {_quote(folder)}", user=self.user)
        if status != 0:
            return StepRun(step, StepStatus.FAILED, f"{folder} does not exist or is not writable by {self.user}", 1)
        self.disk.container.put_archive(folder, archive.getvalue())
        return StepRun(step, StepStatus.RAN, exit_code=0, output=f"uploaded {source} to {destination}\n")

    def _owned(self, info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = self._uid()
        info.uname = info.gname = ""
        return info

    def _uid(self, user: str | None = None) -> int:
        user = user or self.user
        if user not in self._uids:
            status, output = self.disk.run(f"id -u {_quote(user)}")
            self._uids[user] = int(output.strip()) if status == 0 and output.strip().isdigit() else 0
        return self._uids[user]

    # -- AIB's hidden deprovision ---------------------------------------------------------------------------
    def _aib_deprovision(self, step: Step) -> StepRun:
        if not self.disk.exists(AIB_DEPROVISION_SCRIPT):
            commands = step.inline or AIB_DEPROVISION_COMMANDS
            self.disk.write_text(AIB_DEPROVISION_SCRIPT, "".join(f"{line}\n" for line in commands), mode=0o755)
            how = "AIB's default commands"
        else:
            how = f"the customizer's {AIB_DEPROVISION_SCRIPT}"
        execution = self._execute(step, f"sudo sh {AIB_DEPROVISION_SCRIPT}", self.user)
        note = f"[provsim] ran {how}\n"
        execution = replace(execution, output=note + execution.output, output_bytes=execution.output_bytes + len(note))
        return _step_run(step, [execution])


def _step_run(step: Step, executions: list[Execution]) -> StepRun:
    """One step's result from the commands it ran (the last one decides)."""
    output = "".join(execution.output for execution in executions)[-OUTPUT_TAIL:]
    size = sum(execution.output_bytes for execution in executions)
    last = executions[-1]
    if last.timed_out_after is not None:
        reason = (
            f"timed out after {_duration(last.timed_out_after)} and was stopped (set the provisioner's "
            f"'timeout', or pass --step-timeout SECONDS); last output: {_last_lines(output)}"
        )
        return StepRun(step, StepStatus.FAILED, reason, None, output, size, timed_out=True)
    if last.exit_code == 137:
        reason = f"killed (SIGKILL): the step may have exceeded the machine's memory limit; {_last_lines(output)}"
        return StepRun(step, StepStatus.FAILED, reason, last.exit_code, output, size)
    if last.exit_code != 0:
        return StepRun(step, StepStatus.FAILED, _last_lines(output), last.exit_code, output, size)
    return StepRun(step, StepStatus.RAN, exit_code=0, output=output, output_bytes=size)


def _duration(seconds: float) -> str:
    """
    >>> _duration(900), _duration(2.5), _duration(5400)
    ('15 min', '2.5 s', '90 min')
    """
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


def _without_sudo_noise(output: str) -> str:
    """The output without sudo's "unable to resolve host" (no DNS here): it is not the step's own failure.

    >>> _without_sudo_noise("sudo: unable to resolve host vm-1: Temporary failure in name resolution\\nboom\\n")
    'boom'
    """
    return "\n".join(line for line in output.splitlines() if not line.startswith("sudo: unable to resolve host"))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _last_lines(output: str, count: int = 5) -> str:
    lines = [line for line in _without_sudo_noise(output).splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no output"
