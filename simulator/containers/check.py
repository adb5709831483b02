"""``provsim check --backend docker``: build a Linux pipeline for real and predict its registrations.

The entry points for the CLI and the Gherkin steps:

- :func:`check_pipeline`: run the pipeline's steps in a build container,
  decide the OS state from the evidence on the disk (never from the steps'
  text), capture it once per registration its targets ask for, and boot a
  VM container from each;
- :func:`check_rootfs`: the upload stage for a user's own root filesystem
  tarball, registered both ways.

    result = check_pipeline(pipeline)
    result.os_state                   # OsState, read off the disk
    result.registrations[0].outcome   # Outcome, as the simulator reports it
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProvsimError
from ..marketplace import CLOUD_INIT
from ..model import OsState, OsType
from ..outcome import SourceVm
from ..pipeline.build import linux_agent_of
from ..pipeline.check import registrations_of as registrations_by_tool
from ..pipeline.check import residue_findings
from ..pipeline.findings import Finding
from ..pipeline.model import Pipeline, Target
from ..platform import AllottedTime, Platform
from . import base_image
from .boot import ContainerImage, CreatedVm, RealBudget, create_vm
from .cells import create_build_vm
from .cleanup import Run
from .evidence import DiskEvidence, observe
from .provisioners import DEFAULT_STEP_TIMEOUT, StepRun, StepRunner, StepStatus
from .stages import capture, import_rootfs, retire

Progress = Callable[[str], None]


@dataclass
class RegistrationCheck(CreatedVm):
    """One registration of the built disk, the targets it stands for, and the VM creation from it."""

    targets: list[Target] = field(default_factory=list)


@dataclass
class ContainerCheck:
    """What building a pipeline (or importing a rootfs) in containers showed."""

    name: str
    os_type: OsType
    steps: list[StepRun] = field(default_factory=list)
    evidence: DiskEvidence | None = None
    registrations: list[RegistrationCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the reader should know about how the build ran here (the base image, for one)."""
    residue: list[Finding] | None = None
    """Image hygiene findings read off the build container's disk once the steps ran (None: not read)."""

    @property
    def failed_step(self) -> StepRun | None:
        """The step that failed the build, if one did."""
        return next((run for run in self.steps if run.status is StepStatus.FAILED), None)

    @property
    def skipped_steps(self) -> list[StepRun]:
        return [run for run in self.steps if run.status is StepStatus.SKIPPED]

    @property
    def os_state(self) -> OsState | None:
        """The OS state read off the disk; None when the build failed before there was one."""
        return self.evidence.os_state if self.evidence is not None else None


def registrations_of(pipeline: Pipeline, vhd_as: OsState | None = None) -> dict[OsState, list[Target]]:
    """The targets per registration, by the same rule as the memory backend.

    See :func:`provsim.pipeline.check.registrations_of`: a VHD is registered
    both ways. A pipeline without targets is still captured once, as generalized.
    """
    found: dict[OsState, list[Target]] = {}
    for target in pipeline.targets:
        for registered_as in registrations_by_tool(target, pipeline.tool, vhd_as):
            found.setdefault(registered_as, []).append(target)
    return found or {OsState.GENERALIZED: []}


def check_skips(pipeline: Pipeline, skip: Collection[int]) -> None:
    """Refuse step numbers the pipeline does not have, before any container starts."""
    wrong = sorted(number for number in skip if not 1 <= number <= len(pipeline.steps))
    if wrong:
        raise ProvsimError(
            f"{pipeline.location}: --skip-step {wrong[0]}: the pipeline has {len(pipeline.steps)} step(s), "
            "numbered from 1 as the report lists them"
        )


def check_pipeline(
    pipeline: Pipeline,
    *,
    seed: int = 0,
    allotted: AllottedTime | None = None,
    budget: RealBudget | None = None,
    run: Run | None = None,
    progress: Progress | None = None,
    skip: Collection[int] = (),
    step_timeout: float = DEFAULT_STEP_TIMEOUT,
    vhd_as: OsState | None = None,
) -> ContainerCheck:
    """Build ``pipeline`` in a container and create a VM from each registration of the result.

    ``skip`` numbers (from 1) steps not to run, reported as skipped;
    ``step_timeout`` bounds a step that sets no ``timeout`` of its own. Opens
    (and cleans up) its own :class:`Run` unless one is given.
    """
    if pipeline.os_type is not OsType.LINUX:
        raise ProvsimError(f"{pipeline.location}: the Docker backend runs Linux pipelines only; drop --backend docker")
    check_skips(pipeline, skip)
    if run is None:
        with Run.start() as own:
            return check_pipeline(
                pipeline,
                seed=seed,
                allotted=allotted,
                budget=budget,
                run=own,
                progress=progress,
                skip=skip,
                step_timeout=step_timeout,
                vhd_as=vhd_as,
            )
    say = progress or (lambda line: None)
    platform = Platform(allotted or AllottedTime(), seed)
    result = ContainerCheck(pipeline.name, pipeline.os_type)
    platform_image = pipeline.source_image
    if platform_image is None or platform_image.publisher.lower() != "debian":
        wanted = f"the template's {platform_image}" if platform_image else "the template's platform image"
        result.notes.append(
            f"built on provsim's Debian base image {run.base_image}, not {wanted}: the steps, the real waagent and "
            "its deprovision are the same, package names and stock files may differ"
        )
        say(f"{pipeline.name}: {result.notes[-1]}")
    build_image = run.base_image
    choice = linux_agent_of(pipeline)
    if choice.agent == CLOUD_INIT:
        # The memory backend's build VM has cloud-init for this platform image: so must the container's.
        build_image = base_image.ensure_cloud_init(run.client, progress=say)
    say(f"{pipeline.name}: creating the build VM from {build_image} ({choice.why}; run {run.run_id})")
    build_vm = create_build_vm(
        run, platform, seed, budget or RealBudget(), image=build_image, username=pipeline.build_user
    )
    runner = StepRunner(build_vm.machine.disk, pipeline, build_vm.user, skip=skip, step_timeout=step_timeout)
    result.steps = runner.run_all(
        lambda step_run: say(step_run.describe()),
        starting=lambda step: say(f"{step.location}: {step.kind} '{step.name}' starting"),
    )
    if result.failed_step is not None:
        return result
    result.evidence = observe(build_vm.machine.container, build_vm.user)
    # The residue as the real disk shows it (the memory backend reads its own disk's).
    result.residue = residue_findings(build_vm.machine.disk, pipeline.location)
    say(f"{pipeline.name}: the disk is {result.evidence.os_state.value}: " + "; ".join(result.evidence.facts()))
    captured: list[tuple[OsState, list[Target], ContainerImage, SourceVm]] = []
    # Specialized first: a generalized capture marks the VM generalized for good.
    for registered_as, targets in sorted(
        registrations_of(pipeline, vhd_as).items(), key=lambda item: item[0] is OsState.GENERALIZED
    ):
        image, source_vm = capture(run, build_vm.machine, build_vm.vm, registered_as)
        captured.append((registered_as, targets, image, source_vm))
    retire(build_vm.machine, captured[-1][3])
    for registered_as, targets, image, source_vm in captured:
        say(f"{pipeline.name}: creating a VM from the image captured as {registered_as.value}")
        creation = create_vm(run, platform, image, seed, source_vm=source_vm, budget=budget)
        result.registrations.append(RegistrationCheck(image, source_vm, creation, targets))
    return result


def check_rootfs(
    tarball: Path,
    os_type: OsType = OsType.LINUX,
    *,
    seed: int = 0,
    allotted: AllottedTime | None = None,
    budget: RealBudget | None = None,
    run: Run | None = None,
    register_as: OsState | None = None,
) -> ContainerCheck:
    """Upload a user's root filesystem tarball (both ways, or ``register_as``) and create a VM from each."""
    if run is None:
        with Run.start() as own:
            return check_rootfs(
                tarball, os_type, seed=seed, allotted=allotted, budget=budget, run=own, register_as=register_as
            )
    platform = Platform(allotted or AllottedTime(), seed)
    result = ContainerCheck(tarball.name, os_type)
    for registered_as in [register_as] if register_as else [OsState.SPECIALIZED, OsState.GENERALIZED]:
        image = import_rootfs(run, tarball, registered_as, os_type)
        if result.evidence is None:
            look = run.machine(image.tag, role="inspect")
            result.evidence = observe(look.container)
            look.container.remove(force=True)
        result.registrations.append(
            RegistrationCheck(image, None, create_vm(run, platform, image, seed, budget=budget))
        )
    return result
