"""What to change in the pipeline when a registration of its image fails.

The seed's resolutions speak of images in general ("recreate it ... with the
specialized setting"); a pipeline often cannot do that: a managed image, and
every AIB output, is always generalized. So for a pipeline's own outputs the
resolution names the change in the pipeline; a VHD, which the user registers
later, keeps the seed's words.
"""

from __future__ import annotations

from ..diagnosis import is_agent_fix
from ..model import OsType, Status
from ..outcome import Outcome
from .aib import LINUX_DEPROVISION, LINUX_DEPROVISION_SCRIPT, WINDOWS_DEPROVISION_SCRIPT
from .model import Target, TargetKind, Tool

#: The documented last steps (FACTS.md section 6; AIB's defaults in section 5).
GENERALIZE = {
    OsType.LINUX: f"sudo {LINUX_DEPROVISION}",
    OsType.WINDOWS: (
        "& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm, then wait "
        "until ImageState is IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
    ),
}
AIB_SCRIPT = {OsType.LINUX: LINUX_DEPROVISION_SCRIPT, OsType.WINDOWS: WINDOWS_DEPROVISION_SCRIPT}


def resolution_for(target: Target, tool: Tool, os_type: OsType, outcome: Outcome) -> str | None:
    """The resolution to report for ``target``'s registration, in the pipeline's terms.

    >>> from provsim.model import OsState
    >>> from provsim.pipeline.model import Location
    >>> managed = Target(TargetKind.MANAGED_IMAGE, "web", Location("t.pkr.hcl"))
    >>> failed = Outcome(OsType.LINUX, None, OsState.GENERALIZED, Status.PROVISIONING_FAILURE, None, "", "seed's", 0.0)
    >>> resolution_for(managed, Tool.PACKER, OsType.LINUX, failed).startswith("Generalize the OS as the last step")
    True
    """
    if outcome.status is Status.SUCCEEDED or target.kind is TargetKind.VHD or is_agent_fix(outcome.resolution):
        # An agent that cannot provision is fixed in its configuration, whatever the output.
        return outcome.resolution
    gallery = target.kind is TargetKind.GALLERY_IMAGE
    if outcome.status is Status.PROVISIONING_FAILURE:
        if tool is Tool.AIB:
            return (
                f"Let AIB's own deprovision step generalize the OS: remove the customizer that rewrites "
                f"{AIB_SCRIPT[os_type]}, or make it run {GENERALIZE[os_type]}."
            )
        fix = f"Generalize the OS as the last step of the build: {GENERALIZE[os_type]}."
        if gallery:
            fix += " Or, if the image is meant to keep its identity, set specialized = true on the gallery destination."
        return fix
    if gallery and tool is Tool.PACKER:
        return (
            "The OS is generalized: drop specialized = true from the gallery destination, or remove the deprovision "
            "step if the image is meant to be specialized."
        )
    return outcome.resolution
