"""The simulated build: a pipeline's steps applied to a build VM's disk.

The build VM is created exactly as the simulator creates one (from a
generalized platform image, with an OS profile), so it starts specialized.
Each step's effects (deprovision, sysprep, cloud-init clean, file writes) are
applied to its disk in order, and the OS state is then *read off the disk*,
with the evidence, the way the guest agent will read it. A Linux step's scripts
are run by provsim's shell interpreter (:mod:`provsim.pipeline.scripts`), so
only what the shell would run counts; a step that would fail stops the build,
as it stops Packer and AIB.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..build import create_build_vm
from ..deprovision import SysprepOptions, cloud_init_clean, sysprep, waagent_deprovision
from ..disk import MemoryDisk
from ..errors import ProvsimError
from ..evidence import OsStateReading, read_os_state
from ..guest.agent_config import CLOUD_INIT_DISABLED_FILE, MODPROBE_FOLDER, WAAGENT_CONF, agents_summary
from ..marketplace import AGENTS, WAAGENT, AgentChoice, agent_of
from ..model import OsType
from ..platform import Platform, VirtualMachine
from .aib import LINUX_DEPROVISION_SCRIPT, WINDOWS_DEPROVISION_SCRIPT
from .build_end_rules import cleanup_findings
from .findings import Finding, Severity
from .model import Location, Pipeline, Step
from .packer_steps import KNOWN_PROVISIONERS
from .recognise import (
    CloudInitClean,
    Sysprep,
    WaagentDeprovision,
    WaagentMistyped,
    recognise_line,
    waits_for_image_state,
)
from .scripts.effects import AgentChange, Effect, FileWrite, Place, Undecided
from .scripts.shell import MODELLED_FOLDERS, Context, shell_words
from .scripts.steps import run_command, run_shell_step
from .sources import current_text, read_text, text_lines
from .writes import executed_lines, file_writes, writes_a_file

#: Steps that run nothing on the build VM's disk that provsim models.
_NO_GUEST_EFFECT = ("shell-local", "windows-update")


@dataclass
class Build:
    """A finished simulated build: the build VM, the OS state read off its disk, findings."""

    pipeline: Pipeline
    platform: Platform
    vm: VirtualMachine
    reading: OsStateReading
    evidence: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failed_step: Step | None = None
    """The step that would fail the build (a failing command under ``sh -e``, waagent run without root ...)."""


def linux_agent_of(pipeline: Pipeline) -> AgentChoice:
    """The agent the pipeline's platform image provisions with: as stated, from its SKU, or waagent (not known)."""
    stated = pipeline.linux_agent
    if stated is not None:
        if stated not in AGENTS:
            raise ProvsimError(f"unknown Linux provisioning agent {stated!r}: say one of {', '.join(AGENTS)}")
        return AgentChoice(stated, True, f"stated: the platform image provisions with {stated}")
    if pipeline.source_image is not None:
        image = pipeline.source_image
        return agent_of(image.publisher, image.offer, image.sku)
    return AgentChoice(
        WAAGENT,
        False,
        "the template names no platform image (publisher, offer, SKU): assuming waagent provisions alone "
        "(say --linux-agent cloud-init if it does not)",
    )


@functools.lru_cache(maxsize=64)
def _provisioned(os_type: OsType, seed: int, agent: str, username: str) -> VirtualMachine:
    """The build VM as a new platform of ``seed`` creates it first, before any step: the same VM for the same
    arguments (image, OS profile and instance id all follow from them), so created once and copied per build."""
    return create_build_vm(Platform(seed=seed), os_type, seed, agent, username=username)


def simulate_build(pipeline: Pipeline, seed: int = 0) -> Build:
    """Run ``pipeline``'s steps on a fresh build VM's in-memory disk.

    The build VM starts with the agents of the pipeline's platform image
    (:func:`linux_agent_of`; ``pipeline.linux_agent`` states it when the
    template cannot tell).
    """
    platform = Platform(seed=seed)
    evidence: list[str] = []
    agent = WAAGENT
    if pipeline.os_type is OsType.LINUX:
        choice = linux_agent_of(pipeline)
        agent = choice.agent
        evidence.append(f"provisioning agent: {choice.why}")
    provisioned = _provisioned(pipeline.os_type, seed, agent, pipeline.build_user)
    platform.new_instance_id()  # the build VM is this platform's first, as if created here: the next ones count on
    assert isinstance(provisioned.disk, MemoryDisk)
    vm = replace(provisioned, disk=provisioned.disk.clone())
    build_user = vm.profile.admin_username if vm.profile else None
    findings = [
        Finding(
            Severity.WARNING,
            f"variable {name!r} has no value (no default, --var, --var-file or PKR_VAR_{name}); Packer would "
            "stop here, and provsim reads what uses it as written",
            location,
            rule="PSIM015",
        )
        for name, location in pipeline.unset_variables.items()
    ]
    findings += [Finding(Severity.WARNING, message, location, "PSIM016") for message, location in pipeline.skipped]
    last_generalize: tuple[Step, str] | None = None
    shell = _ShellState(Context(vm.disk, build_user or "packer"))
    failed: Step | None = None
    for step in pipeline.steps:
        if pipeline.os_type is OsType.LINUX and (step.kind == "shell" or step.hidden):
            ran_something, status = _run_shell(step, pipeline, vm, shell, evidence, findings)
            if status is not None and status != 0:
                failed = step
                findings.append(
                    Finding(
                        Severity.ERROR,
                        f"{step.name} fails (exit {status}): the build stops here and no image is registered",
                        step.location,
                        rule="PSIM008",
                    )
                )
                break
        else:
            ran_something = _apply(step, pipeline, vm, evidence, findings)
        if ran_something == "generalize":
            last_generalize = (step, "")
        elif ran_something == "ran" and last_generalize is not None and not step.hidden:
            deprovision_step = last_generalize[0]
            findings.append(
                Finding(
                    Severity.WARNING,
                    f"deprovision is not the last step: {step.name} runs after {deprovision_step.name} "
                    f"({deprovision_step.location}); anything it changes lands in the generalized image",
                    step.location,
                    rule="PSIM003",
                )
            )
            last_generalize = None
    reading = read_os_state(vm.disk, pipeline.os_type, build_user)
    if pipeline.os_type is OsType.LINUX:
        evidence.append(f"agents on the image: {agents_summary(vm.disk)}")
    return Build(pipeline, platform, vm, reading, evidence, findings, failed)


@dataclass
class _ShellState:
    context: Context
    uploads: int = 1


def _run_shell(
    step: Step, pipeline: Pipeline, vm: VirtualMachine, state: _ShellState, evidence: list[str], findings: list[Finding]
) -> tuple[str, int | None]:
    """Run a Linux step through the shell interpreter; returns what it did and its exit status."""
    findings.extend(_remote_content(step))
    context = state.context
    first = len(context.records)
    if step.hidden:
        assert step.destination is not None
        written = vm.disk.read_text(step.destination)
        origin = "as overridden by a customizer" if written is not None else "AIB's default"
        if written is None and any(other.remote for other in pipeline.steps):
            origin += "; remote content could have changed it"
        if written is None:
            vm.disk.write_text(step.destination, "".join(f"{line}\n" for line in step.inline))
        evidence.append(f"AIB's hidden deprovision step runs {step.destination} ({origin})")
        outcome = run_command(f"sudo sh {step.destination}", context, step.location)
    else:
        outcome, state.uploads = run_shell_step(step, pipeline, context, state.uploads)
    result = "ran" if outcome.ran else "nothing"
    for record in context.records[first:]:
        effect = record.effect
        place = _location(effect.place, step)
        if isinstance(effect, WaagentDeprovision):
            if record.applied:
                evidence.append(f"'{effect.text}' at {effect.place} ({step.name})")
                result = "generalize"
                findings.extend(_after_deprovision(step, place))
                findings.extend(_without_user(effect, place))
                findings.extend(cleanup_findings(step, pipeline, effect, place))
            elif not effect.force:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        f"'{effect.text}' has no -force: waagent asks 'Do you want to proceed (y/n)' and, with "
                        f"nobody to answer, deprovisions nothing ({record.note})",
                        place,
                        rule="PSIM004",
                    )
                )
                evidence.append(f"'{effect.text}' at {effect.place} would wait for a y/n answer: no effect")
            else:
                findings.append(
                    Finding(
                        Severity.ERROR, f"'{effect.text}' {record.note}; nothing is deprovisioned", place, "PSIM008"
                    )
                )
                evidence.append(f"'{effect.text}' at {effect.place}: {record.note}")
        elif isinstance(effect, WaagentMistyped):
            findings.append(
                Finding(
                    Severity.ERROR,
                    f"'{effect.text}': waagent has no option '{effect.option}' (meant '{effect.meant}'?); it "
                    "prints its usage and deprovisions nothing",
                    place,
                    rule="PSIM006",
                )
            )
            evidence.append(f"'{effect.text}' at {effect.place}: not a deprovision (unknown option {effect.option})")
        elif isinstance(effect, (CloudInitClean, AgentChange)) and record.applied:
            evidence.append(f"'{effect.text}' at {effect.place} ({step.name})")
        elif isinstance(effect, FileWrite) and record.applied and effect.path.startswith(_AGENT_FILES):
            evidence.append(f"{effect.path} changed at {effect.place} ({step.name})")
        elif isinstance(effect, FileWrite) and record.note:
            findings.append(
                Finding(
                    Severity.ERROR,
                    f"{step.name} edits {effect.path} with sed -i, but nothing wrote that file before: sed fails "
                    "and so does the build",
                    place,
                    rule="PSIM008",
                )
            )
        elif isinstance(effect, Undecided):
            _report_undecided(effect, place, evidence, findings)
    return result, outcome.status


def _report_undecided(effect: Undecided, place: Location, evidence: list[str], findings: list[Finding]) -> None:
    """A warning and evidence for a command neither reader could decide: never a silent guess either way."""
    findings.append(
        Finding(
            Severity.WARNING,
            f"{effect.place}: cannot tell whether '{effect.text}' runs or what it does ({effect.reason}); "
            "the OS state below counts it as not run",
            place,
            rule="PSIM007",
        )
    )
    evidence.append(f"'{effect.text}' at {effect.place}: undecided, not applied ({effect.reason})")


def _read_powershell(
    lines: list[str],
    locations: list[Location],
    environment: tuple[str, ...],
    evidence: list[str],
    findings: list[Finding],
) -> list[str]:
    """What of a PowerShell script runs; a deprovision behind a condition only the VM decides is reported."""
    from .scripts.powershell import read_powershell  # PowerShell's reader for Windows steps only

    pairs = (assignment.partition("=") for assignment in environment)
    env = tuple((name, value) for name, equals, value in pairs if equals)
    reading = read_powershell(tuple(lines), env, _deprovisions)
    for branch in reading.undecided:
        where = locations[branch.line]
        place = Place(where.path, where.line)
        reason = f"its condition '{branch.condition}' depends on the build VM"
        _report_undecided(Undecided(reason, " ".join(branch.text.split())[:200], place), where, evidence, findings)
    return list(reading.lines)


def _deprovisions(text: str) -> bool:
    """Whether ``text`` holds a command that generalizes the OS (the recognisers' verdict, line by line)."""
    return any(
        isinstance(effect, WaagentDeprovision) or (isinstance(effect, Sysprep) and effect.generalize)
        for line in text.splitlines()
        for effect in recognise_line(line)
    )


#: Files whose edits change which agent provisions, or whether it can: shown in the evidence.
_AGENT_FILES = (WAAGENT_CONF, MODPROBE_FOLDER + "/", CLOUD_INIT_DISABLED_FILE, "/etc/cloud/cloud.cfg")

#: Commands that may follow a deprovision in its step: they change nothing a new VM would keep.
_HARMLESS_AFTER = frozenset({"sync", "export", "echo", "printf", "exit", "true", ":", "history", "unset", "set"})


def _after_deprovision(step: Step, place: Location) -> list[Finding]:
    """A warning for each later command of the same ``inline`` list that is not harmless.

    A deprovision is meant to be the last thing a build does; a command after
    it in the same step (``useradd``, an agent restart, a package install)
    puts back into the image what the deprovision removed.
    """
    if place.line is None:
        return []
    found = []
    for command, line in zip(step.inline, step.inline_lines, strict=False):
        if line is None or line <= place.line:
            continue
        words = shell_words(command.replace("&&", " ; ").split(";")[0])
        word = words[0] if words else ""
        if word and word not in _HARMLESS_AFTER:
            found.append(
                Finding(
                    Severity.WARNING,
                    f"'{command.strip()}' runs after the deprovision in the same step: what it changes (users, "
                    "agent state, host name) goes into the image; move it before the deprovision",
                    Location(place.path, line),
                    rule="PSIM003",
                )
            )
    return found


def _without_user(effect: WaagentDeprovision, place: Location) -> list[Finding]:
    """``-deprovision`` without ``+user`` leaves the build account in the image: a warning, whichever reader saw it."""
    if effect.delete_user:
        return []
    message = f"'{effect.text}' deprovisions without +user: the build account stays in the image"
    return [Finding(Severity.WARNING, message, place, "PSIM005")]


def _remote_content(step: Step) -> list[Finding]:
    """A warning per URL a step fetches: provsim cannot read it, so it is not part of the verdict."""
    return [
        Finding(
            Severity.WARNING,
            f"{step.name}: {url} is remote and cannot be inspected; its content is not part of this verdict",
            step.location,
            rule="PSIM009",
        )
        for url in step.remote
    ]


def _location(place: Place | None, step: Step) -> Location:
    if place is None or place.line is None:
        return step.location
    return Location(place.path, place.line, _exact_column(place, step))


def _exact_column(place: Place, step: Step) -> int | None:
    """``place``'s column in the file as written, or None where it cannot be exact.

    The shell reader counts columns within the script it runs: in a script
    file that is the file's own column; an ``inline`` command is a string in
    the template, so its column there is where the command's text starts on
    that template line, known only when the line holds it verbatim (no
    escapes) and no other command shares the line.
    """
    if place.column is None or place.line is None:
        return None
    if place.path != step.location.path or not step.inline:
        return place.column
    starts = [first for first in step.inline_lines if first is not None and first <= place.line]
    if not starts or starts.count(max(starts)) != 1:
        return None
    command = step.inline[step.inline_lines.index(max(starts))]
    rows = command.split("\n")
    offset = place.line - max(starts)
    written = _written_line(place.path, place.line)
    if offset >= len(rows) or written is None or not rows[offset] or written.count(rows[offset]) != 1:
        return None
    return written.index(rows[offset]) + place.column


def _column_of(text: str, where: Location) -> Location:
    """``where`` with the column at which ``text`` is written on its line, when it is there exactly once."""
    written = _written_line(where.path, where.line) if where.line is not None else None
    if written is None or not text or written.count(text) != 1:
        return where
    return Location(where.path, where.line, written.index(text) + 1)


def _written_line(path: str, line: int) -> str | None:
    """Line ``line`` of the file at ``path`` as written, or None (no such file: an AIB path on the build VM)."""
    text = current_text(path)
    return text_lines(text).line(line) if text is not None and line > 0 else None


def _apply(step: Step, pipeline: Pipeline, vm: VirtualMachine, evidence: list[str], findings: list[Finding]) -> str:
    """Apply one step; returns ``generalize``, ``ran`` (something else ran) or ``nothing``."""
    findings.extend(_remote_content(step))
    if step.kind not in KNOWN_PROVISIONERS and step.kind != "deprovision":
        findings.append(
            Finding(
                Severity.WARNING,
                f"{step.name}: provsim does not inspect {step.kind!r} steps; "
                "if it deprovisions or generalizes, the verdict below misses it",
                step.location,
                rule="PSIM010",
            )
        )
        return "ran"
    if step.kind in _NO_GUEST_EFFECT:
        return "nothing" if step.kind == "shell-local" else "ran"
    if step.kind == "windows-restart":
        return "ran"
    if step.kind == "file":
        return _apply_file(step, vm, findings)
    if step.hidden:
        return _apply_hidden_deprovision(step, pipeline, vm, evidence, findings)
    lines = [line for line, _ in step.texts()]
    locations = [where for _, where in step.texts()]
    if step.kind == "powershell":
        lines = _read_powershell(lines, locations, step.environment_vars, evidence, findings)
    for write in file_writes(lines):
        if write.how == "substitute" and not vm.disk.exists(write.path) and write.path.startswith(MODELLED_FOLDERS):
            findings.append(
                Finding(
                    Severity.ERROR,
                    f"{step.name} edits {write.path} with sed -i, but nothing wrote "
                    "that file before: sed fails and so does the build",
                    step.location,
                    rule="PSIM008",
                )
            )
            continue
        write.apply(vm.disk)
    return _run_lines(step, lines, locations, pipeline, vm, evidence, findings)


def _apply_file(step: Step, vm: VirtualMachine, findings: list[Finding]) -> str:
    if step.destination and step.content is not None:
        vm.disk.write_text(step.destination, step.content)
        return "ran"
    if step.destination and step.source and not step.remote:
        source = Path(step.source) if Path(step.source).is_absolute() else Path(step.location.path).parent / step.source
        # Binary, huge or irregular uploads (packages, archives, a FIFO) carry no commands provsim reads.
        with contextlib.suppress(ProvsimError):
            vm.disk.write_text(step.destination, read_text(source, "file"))
        return "ran"
    if step.destination and step.remote and _is_deprovision_script(step.destination):
        findings.append(
            Finding(
                Severity.ERROR,
                f"{step.name} replaces {step.destination} with remote content provsim cannot read; AIB's deprovision "
                "step will run that content, and the OS state below assumes it still generalizes",
                step.location,
                rule="PSIM009",
            )
        )
    return "ran"


def _is_deprovision_script(path: str) -> bool:
    scripts = (LINUX_DEPROVISION_SCRIPT, WINDOWS_DEPROVISION_SCRIPT)
    return path.replace("\\", "/").lower() in {script.replace("\\", "/").lower() for script in scripts}


def _apply_hidden_deprovision(
    step: Step, pipeline: Pipeline, vm: VirtualMachine, evidence: list[str], findings: list[Finding]
) -> str:
    assert step.destination is not None
    written = vm.disk.read_text(step.destination)
    script = written if written is not None else "\n".join(step.inline)
    origin = "as overridden by a customizer" if written is not None else "AIB's default"
    if written is None and any(other.remote for other in pipeline.steps):
        # A remote script can edit the file too (a common sysprep fix-up); a warning per URL names them.
        origin += "; remote content could have changed it"
    evidence.append(f"AIB's hidden deprovision step runs {step.destination} ({origin})")
    lines = script.splitlines()
    locations = list(_numbered(step.destination, len(lines)))
    if pipeline.os_type is OsType.WINDOWS:
        lines = _read_powershell(lines, locations, (), evidence, findings)
    return _run_lines(step, lines, locations, pipeline, vm, evidence, findings)


@functools.lru_cache(maxsize=64)
def _numbered(path: str, count: int) -> tuple[Location, ...]:
    # Locations are frozen: the hidden step's script has the same path and length in every template.
    return tuple(Location(path, number) for number in range(1, count + 1))


def _run_lines(
    step: Step,
    lines: list[str],
    locations: list[Location],
    pipeline: Pipeline,
    vm: VirtualMachine,
    evidence: list[str],
    findings: list[Finding],
) -> str:
    if len(lines) != len(locations):
        raise ValueError(f"{len(lines)} lines, {len(locations)} locations")
    runs_a_command, planned = _line_plan(tuple(lines))
    # A generalizing effect decides the result; otherwise any command that runs makes it "ran".
    result = "ran" if runs_a_command else "nothing"
    for index, effect in planned:
        where = locations[index]
        place = where if where.line is not None or not step.location.line else step.location
        place = _column_of(effect.text, place)
        if isinstance(effect, WaagentDeprovision):
            if not effect.force:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        f"'{effect.text}' has no -force: waagent asks "
                        "'Do you want to proceed (y/n)' and, with nobody to answer, deprovisions "
                        "nothing",
                        place,
                        rule="PSIM004",
                    )
                )
                evidence.append(f"'{effect.text}' at {place} would wait for a y/n answer: no effect")
                continue
            waagent_deprovision(vm.disk, delete_user=effect.delete_user)
            evidence.append(f"'{effect.text}' at {place} ({step.name})")
            findings.extend(_without_user(effect, place))
            result = "generalize"
        elif isinstance(effect, WaagentMistyped):
            findings.append(
                Finding(
                    Severity.ERROR,
                    f"'{effect.text}': waagent has no option '{effect.option}' (meant '{effect.meant}'?); it "
                    "prints its usage and deprovisions nothing",
                    place,
                    rule="PSIM006",
                )
            )
            evidence.append(f"'{effect.text}' at {place}: not a deprovision (unknown option {effect.option})")
        elif isinstance(effect, CloudInitClean):
            cloud_init_clean(vm.disk)
            evidence.append(f"'{effect.text}' at {place} ({step.name})")
        elif isinstance(effect, Sysprep):
            _sysprep(effect, step, lines, place, pipeline, vm, evidence, findings)
            result = "generalize"
    return result


@functools.lru_cache(maxsize=256)
def _line_plan(lines: tuple[str, ...]) -> tuple[bool, tuple[tuple[int, Effect], ...]]:
    """What of ``lines`` runs as commands: whether any command does, and each effect with its line's index.

    Pure, so made once per script text: every template of an AIB file runs the same hidden deprovision step.
    Here-document bodies and lines that write a file are data, not commands.
    """
    executed = executed_lines(list(lines))
    runs_a_command = False
    planned: list[tuple[int, Effect]] = []
    for index, line in enumerate(lines):
        if index not in executed or writes_a_file(line):
            continue
        if line.strip() and not line.strip().startswith("#"):
            runs_a_command = True
        planned += ((index, effect) for effect in recognise_line(line))
    return runs_a_command, tuple(planned)


def _sysprep(
    effect: Sysprep,
    step: Step,
    lines: list[str],
    place: Location,
    pipeline: Pipeline,
    vm: VirtualMachine,
    evidence: list[str],
    findings: list[Finding],
) -> None:
    if pipeline.os_type is not OsType.WINDOWS:
        findings.append(Finding(Severity.WARNING, "sysprep in a Linux pipeline does nothing", place, "PSIM013"))
        return
    sysprep(vm.disk, SysprepOptions(generalize=effect.generalize, oobe=effect.oobe))
    evidence.append(f"'{effect.text.strip()}' at {place} ({step.name})")
    if not effect.generalize:
        findings.append(
            Finding(
                Severity.ERROR,
                "sysprep without /generalize: the image keeps this machine's SID "
                "and computer name, so it is not generalized",
                place,
                rule="PSIM011",
            )
        )
    if effect.generalize and not waits_for_image_state(lines):
        if effect.shutdown:
            why = (
                "sysprep /shutdown powers the build VM off while Packer is still connected to it, and nothing shows "
                "sysprep finished before the capture; the documented form is /quit and a wait for ImageState "
                "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
            )
        elif effect.quit:
            why = (
                "sysprep /quit returns before sysprep has finished and nothing waits for ImageState "
                "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE: the capture may start too early"
            )
        else:
            why = (
                "nothing waits for ImageState IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE after sysprep: "
                "add /quit and the documented wait loop, so the capture starts only once sysprep is done"
            )
        findings.append(Finding(Severity.WARNING, why, place, "PSIM012"))
