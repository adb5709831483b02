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
"""

from __future__ import annotations

import re

from ..model import OsType
from .findings import Finding, Severity
from .model import Location, Pipeline, Step
from .recognise import recognise_line
from .scripts.effects import Sysprep
from .scripts.powershell import without_comments

#: Commands that install an AppX package for the current user only (``Add-AppxPackage``, not its provisioned kin).
_PER_USER = re.compile(r"(?i)(?<![\w-])(?:winget(?:\.exe)?\s+install\b|add-appxpackage\b)")
#: Add-AppxPackage's switch the brief's users write for an all-users install; such a line is not flagged.
_ALL_USERS = re.compile(r"(?i)\s-allusers\b")


def _lines(step: Step) -> list[tuple[str, Location]]:
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
