"""What stops sysprep itself, read off the steps that run before it on a Windows build VM.

Sysprep's generalize pass refuses an AppX (MSIX) package that is installed
for the build user but not provisioned for every user: setupact.log says
"Package ... was installed for a user, but not provisioned for all users" and
sysprep stops, so the ImageState wait never sees ``IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE``
(microsoft/winget-cli #5599: winget in a Packer build; microsoft/terminal #7767).
``winget install`` and ``Add-AppxPackage`` install for the user who runs them;
``Add-AppxProvisionedPackage`` provisions for all users and is the fix.

    >>> bool(_PER_USER.search("winget install --id Microsoft.WindowsTerminal -e"))
    True
    >>> bool(_PER_USER.search("Add-AppxProvisionedPackage -Online -PackagePath t.msixbundle -SkipLicense"))
    False

Sysprep also stops on updates that wait for a restart: it "does not allow us
to put the system in OOBE mode and asks us to reboot first" (LegacyUpdate
#307), and the ImageState wait never ends (hashicorp/packer #5945, #8128;
FACTS.md section 8). Updates installed from a PowerShell step
(``Install-WindowsUpdate``, ``Get-WindowsUpdate -Install``, ``usoclient
StartInstall`` ...) leave that restart pending unless ``-AutoReboot`` is given
or a ``windows-restart`` step (AIB ``WindowsRestart``) follows; Packer's
``windows-update`` provisioner and AIB's ``WindowsUpdate`` customizer restart by
themselves (rgl/packer-plugin-windows-update README), so they leave none.

    >>> bool(_UPDATE.search("Install-WindowsUpdate -AcceptAll -IgnoreReboot"))
    True
    >>> bool(_UPDATE.search("Get-WindowsUpdate"))  # lists, installs nothing
    False
"""

from __future__ import annotations

import re

from ..model import OsType
from .findings import Finding, Severity
from .model import Location, Pipeline, Step
from .recognise import recognise_line
from .scripts.effects import Sysprep

#: Commands that install an AppX package for the current user only (``Add-AppxPackage``, not its provisioned kin).
_PER_USER = re.compile(r"(?i)(?<![\w-])(?:winget(?:\.exe)?\s+install\b|add-appxpackage\b)")
#: Add-AppxPackage's switch the brief's users write for an all-users install; such a line is not flagged.
_ALL_USERS = re.compile(r"(?i)\s-allusers\b")
#: Commands that install Windows updates and leave the restart to the caller (PSWindowsUpdate, the WindowsUpdateProvider
#: module, the update clients).
_UPDATE = re.compile(
    r"(?i)(?<![\w-])(?:install-windowsupdate\b|get-windowsupdate\b.*\s-install\b|get-wuinstall\b|install-wuupdates\b"
    r"|usoclient(?:\.exe)?\s+(?:startinstall|scaninstallwait)\b|wuauclt(?:\.exe)?\s+/updatenow\b)"
)
#: A restart the same step asks for: PSWindowsUpdate's -AutoReboot, Restart-Computer, shutdown /r.
_RESTART = re.compile(
    r"(?i)\s-autoreboot\b|(?<![\w-])restart-computer\b|(?<![\w-])shutdown(?:\.exe)?\s+(?:.*\s)?[/-]r\b"
)


def _lines(step: Step) -> list[tuple[str, Location]]:
    from .scripts.powershell import without_comments  # PowerShell's reader for PowerShell steps only

    texts = step.texts()
    code = without_comments([line for line, _ in texts]) if step.kind == "powershell" else [line for line, _ in texts]
    return [(line, where) for line, (_, where) in zip(code, texts, strict=True)]


def appx_findings(pipeline: Pipeline) -> list[Finding]:
    """PSIM024: a per-user AppX install on a line that runs before sysprep's first one."""
    if pipeline.os_type is not OsType.WINDOWS:
        return []
    findings: list[Finding] = []
    for step in pipeline.steps:
        if step.hidden:
            return findings  # AIB's hidden last step runs C:\DeprovisioningScript.ps1, sysprep by default
        for line, where in _lines(step):
            if any(isinstance(effect, Sysprep) for effect in recognise_line(line)):
                return findings
            if _PER_USER.search(line) and not _ALL_USERS.search(line):
                findings.append(
                    Finding(
                        Severity.ERROR,
                        f"{step.name}: '{line.strip()}' installs an AppX package for the build user only; sysprep "
                        "later stops with 'was installed for a user, but not provisioned for all users'",
                        where if where.line is not None else step.location,
                        rule="PSIM024",
                    )
                )
    return []  # no step runs sysprep: nothing it could stop on


def pending_restart_findings(pipeline: Pipeline) -> list[Finding]:
    """PSIM027: updates installed by a PowerShell step, and no restart before sysprep's first run."""
    if pipeline.os_type is not OsType.WINDOWS:
        return []
    pending: tuple[str, Location] | None = None
    for step in pipeline.steps:
        if step.kind in ("windows-restart", "windows-update"):
            pending = None  # a restart, or the update provisioner's own restarts
            continue
        lines = [("", step.location)] if step.hidden else _lines(step)
        for line, where in lines:
            if step.hidden or any(isinstance(effect, Sysprep) for effect in recognise_line(line)):
                return [] if pending is None else [_pending_restart(pending, step)]
            if _UPDATE.search(line) and not _RESTART.search(line):
                pending = (line.strip(), where if where.line is not None else step.location)
            elif _RESTART.search(line):
                pending = None
    return []  # no step runs sysprep


def _pending_restart(pending: tuple[str, Location], sysprep_step: Step) -> Finding:
    line, where = pending
    return Finding(
        Severity.WARNING,
        f"'{line}' installs Windows updates and nothing restarts the VM before {sysprep_step.name} runs sysprep: "
        "an update that waits for a restart stops sysprep and the ImageState wait never ends; add a windows-restart "
        "provisioner (AIB: a WindowsRestart customizer) between them",
        where,
        rule="PSIM027",
    )
