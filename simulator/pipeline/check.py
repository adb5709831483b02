"""``check``: a pipeline's build, its registrations and what creating a VM from each does.

    >>> from pathlib import Path
    >>> reports = check_path(Path("fixtures/packer/web.pkr.hcl"))     # doctest: +SKIP
    >>> reports[0].os_state.value, [r.outcome.status.value for r in reports[0].registrations]  # doctest: +SKIP
    ('generalized', ['succeeded'])

Registrations follow FACTS.md section 6: a managed image is captured as
generalized; a gallery image as specialized when its destination says
``specialized = true``, else generalized (Packer calls the platform's
Generalize whatever the guest did); a VHD has no state yet, so both
registrations are tried, unless its user says how it will be registered
(``vhd_as``). Only a *known* registration decides the exit status: a VHD
tried both ways always has one that fails, which says nothing about the
pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..disk import GuestDisk
from ..hygiene import inspect_image
from ..model import OsState, OsType, Stage
from ..outcome import Outcome
from ..profile import generate_profile
from ..rules import rule_id
from ..stages import capture
from .build import Build, simulate_build
from .build_end_rules import missing_waagent_findings
from .findings import Finding, Severity
from .model import Location, Pipeline, Target, TargetKind, Tool
from .os_profile_rules import ConsumerProfile, consumer_profile_findings, os_profile_findings
from .platform_rules import hyper_v_findings, os_state_findings
from .resolution import resolution_for
from .suppress import unsilenced
from .validate import packer_config_findings
from .variables import PackerVariables


@dataclass(frozen=True)
class Registration:
    """One way an output of the pipeline is registered, and what a VM created from it does."""

    target: Target
    registered_as: OsState
    outcome: Outcome
    resolution: str | None = None
    """What to change, in the pipeline's terms (:mod:`provsim.pipeline.resolution`)."""
    known: bool = True
    """False for a VHD tried both ways: its user registers it later, one way or the other."""

    def to_dict(self) -> dict[str, Any]:
        row = self.outcome.to_dict()
        return {
            "target": f"{self.target.kind.value}:{self.target.name}",
            "stage": Stage.CAPTURE.value,
            "registered_as": self.registered_as.value,
            "status": row["status"],
            "error_code": row["error_code"],
            "reason": row["reason"],
            "resolution": self.resolution,
            "known": self.known,
            "timeline": row["timeline"],
        }


@dataclass
class PipelineReport:
    """Everything ``provsim check`` says about one pipeline."""

    pipeline: Pipeline
    os_state: OsState
    evidence: list[str]
    registrations: list[Registration] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    build_failed: bool = False
    """A step fails the build (its finding says which): nothing is registered, and the JSON's os_state is null."""

    def fired(self) -> list[tuple[str, int | None]]:
        """Every rule this pipeline fires, with its line: the findings' and the failing known registrations'."""
        fired = [(f.rule, f.location.line) for f in self.findings if f.rule is not None]
        for registration in self.registrations:
            if registration.known and not registration.outcome.succeeded:
                timeout = registration.outcome.status.value == "provisioning_timeout"
                fired.append(("PSIM001" if timeout else "PSIM002", registration.target.location.line))
        return fired

    @property
    def succeeded(self) -> bool:
        """The build runs and every known registration succeeds (a VHD tried both ways is not known)."""
        return not self.build_failed and all(r.outcome.succeeded for r in self.registrations if r.known)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (see the README's "JSON contract")."""
        return {
            "path": self.pipeline.path,
            "name": self.pipeline.name,
            "tool": self.pipeline.tool.value,
            "os_type": self.pipeline.os_type.value,
            "os_state": None if self.build_failed else self.os_state.value,
            "evidence": list(self.evidence),
            "registrations": [r.to_dict() for r in self.registrations],
            "findings": [f.to_dict() for f in self.findings],
        }


def registrations_of(target: Target, tool: Tool, vhd_as: OsState | None = None) -> list[OsState]:
    """How an output gets registered (FACTS.md sections 5 and 6); a VHD as its user says, else both ways."""
    if target.kind is TargetKind.VHD:
        return [vhd_as] if vhd_as is not None else [OsState.GENERALIZED, OsState.SPECIALIZED]
    if target.kind is TargetKind.GALLERY_IMAGE and tool is Tool.PACKER and target.specialized:
        return [OsState.SPECIALIZED]
    return [OsState.GENERALIZED]


def is_known(target: Target, vhd_as: OsState | None) -> bool:
    """Whether the pipeline (or its user) fixes how ``target`` is registered."""
    return target.kind is not TargetKind.VHD or vhd_as is not None


def report_build(
    build: Build, seed: int = 0, vhd_as: OsState | None = None, consumer: ConsumerProfile | None = None
) -> PipelineReport:
    """Register every output of a finished build and create a VM from each registration.

    ``consumer``: the OS profile the image's consumers will send, where a
    Gherkin step gives it; what the platform refuses in it is a finding.
    """
    pipeline = build.pipeline
    report = PipelineReport(
        pipeline, build.reading.os_state, build.evidence + list(build.reading.evidence), findings=list(build.findings)
    )
    if not pipeline.targets:
        report.findings.append(
            Finding(
                Severity.INFO, "no output is declared (no managed image, gallery or VHD)", pipeline.location, "PSIM017"
            )
        )
    refused = packer_config_findings(pipeline) + os_profile_findings(pipeline) + hyper_v_findings(pipeline)
    report.findings += refused
    if build.failed_step is not None or refused:
        # Packer refuses the template before building, or the build stops at the failing step (its finding
        # says so): Packer and AIB register nothing.
        report.build_failed = True
        report.findings = unsilenced(report.findings)
        return report
    for target in pipeline.targets:
        if target.kind is TargetKind.MANAGED_IMAGE and target.specialized:
            report.findings.append(
                Finding(
                    Severity.ERROR,
                    f"managed image {target.name!r} with a specialized gallery destination: Packer refuses this at "
                    "config time, since managed images are always generalized; drop managed_image_name or the "
                    "specialized flag",
                    target.location,
                    "PSIM014",
                )
            )
            continue
        for registered_as in registrations_of(target, pipeline.tool, vhd_as):
            image, _ = capture(build.vm, registered_as, name=target.name)
            profile = generate_profile(pipeline.os_type, seed, role="vm")
            outcome = build.platform.create_vm(image, profile).outcome
            resolution = resolution_for(target, pipeline.tool, pipeline.os_type, outcome)
            report.registrations.append(
                Registration(target, registered_as, outcome, resolution, known=is_known(target, vhd_as))
            )
    # The gallery's own refusal of a version in another state than its definition, beside the VM's outcome.
    report.findings += os_state_findings(pipeline, {r.target: r.registered_as for r in report.registrations if r.known})
    # What stops sysprep itself: the build would end without an image, whatever the registrations say.
    if pipeline.os_type is OsType.WINDOWS:  # sysprep's rules (their module and regexes) for Windows only
        from .sysprep_rules import appx_findings, pending_restart_findings

        report.findings += appx_findings(pipeline) + pending_restart_findings(pipeline)
    # AIB's own deprovision step on an image without waagent: the build's end fails.
    report.findings += missing_waagent_findings(pipeline, build.vm.disk)
    report.findings += hygiene_findings(build, report)
    if consumer is not None:
        report.findings += consumer_profile_findings(pipeline, consumer)
    report.findings = unsilenced(report.findings)
    return report


def hygiene_findings(build: Build, report: PipelineReport) -> list[Finding]:
    """The source VM's residue on a Linux image that is registered generalized: every VM created from it inherits it."""
    if build.pipeline.os_type is not OsType.LINUX or build.failed_step is not None:
        return []
    if not any(r.registered_as is OsState.GENERALIZED and r.known for r in report.registrations):
        return []
    return residue_findings(build.vm.disk, build.pipeline.location)


def residue_findings(disk: GuestDisk, location: Location) -> list[Finding]:
    """:func:`provsim.hygiene.inspect_image` of ``disk`` as findings at ``location`` (any backend's disk)."""
    return [
        Finding(
            Severity.WARNING if residue.inherited else Severity.INFO,
            f"image hygiene: {residue.message}",
            location,
            rule_id(residue.id),
        )
        for residue in inspect_image(disk)
    ]


def is_hygiene(finding: dict[str, Any]) -> bool:
    """A finding (as JSON) about the image's residue, which each backend reads off its own disk."""
    return str(finding.get("id", "")).startswith("PSIM1")


def check_path(
    path: Path,
    variables: PackerVariables | None = None,
    seed: int = 0,
    vhd_as: OsState | None = None,
    *,
    linux_agent: str | None = None,
    consumer: ConsumerProfile | None = None,
) -> list[PipelineReport]:
    """Read every pipeline at ``path``, build each on an in-memory disk, and report.

    ``vhd_as``: how the VHD outputs will be registered, when their user knows;
    ``linux_agent``: the agent the platform image provisions with, when the
    template cannot tell (:func:`provsim.pipeline.build.linux_agent_of`);
    ``consumer``: the OS profile the image's consumers will send (a Gherkin step's).
    """
    from .detect import read_pipelines

    pipelines = read_pipelines(path, variables)
    for pipeline in pipelines:
        # Kept on the pipeline, so that the Docker backend boots the same agents as the memory backend.
        pipeline.linux_agent = linux_agent or pipeline.linux_agent
    return [report_build(simulate_build(pipeline, seed), seed, vhd_as, consumer) for pipeline in pipelines]
