"""The build's own end: what makes Packer or AIB fail after, or at, the deprovision.

A deprovision is the last thing a build does, and the tool still has work to
do on the VM after it:

- Packer's ``shell`` provisioner removes the script it uploaded (``rm -f
  /tmp/script_NNNN.sh``) once the script ends. ``waagent -deprovision+user``
  has by then deleted the build user whose key Packer logs in with, so where
  Packer needs a new SSH connection for that cleanup the build ends in "Error
  removing temporary script at /tmp/script_9899.sh: ssh: handshake failed: EOF"
  (hashicorp/packer #4129; the cleanup came with hashicorp/packer #2259).
  ``skip_clean = true`` leaves the script in place and avoids it.
- AIB's hidden last step runs ``/tmp/DeprovisioningScript.sh``, by default
  ``/usr/sbin/waagent -force -deprovision+user`` (seed 004). On an image that
  no longer has waagent the script fails ("command not found") and so does the
  build; a customizer that writes ``/tmp/DeprovisioningScript.sh`` replaces it.
"""

from __future__ import annotations

from .findings import Finding, Severity
from .model import Location, Pipeline, Step, Tool
from .scripts.effects import WaagentDeprovision


def cleanup_findings(step: Step, pipeline: Pipeline, effect: WaagentDeprovision, place: Location) -> list[Finding]:
    """PSIM025: a Packer shell step that deletes the build user (``+user``) and still removes its script."""
    if pipeline.tool is not Tool.PACKER or step.hidden or step.kind != "shell" or not effect.delete_user:
        return []
    if step.skip_clean is not False:  # true, or computed by the template: nothing is known to fail
        return []
    return [
        Finding(
            Severity.WARNING,
            f"{step.name}: '{effect.text}' deletes the build user {pipeline.build_user!r}, and Packer then removes "
            "the step's script over SSH: where it has to log in again the build ends in 'Error removing temporary "
            "script ... ssh: handshake failed'; set skip_clean = true on this provisioner",
            place,
            rule="PSIM025",
        )
    ]
