# ruff: noqa: E501  (AIB's default Windows script is quoted verbatim from seed 004)
"""Azure Image Builder templates, bare or inside an ARM deployment template.

Customizers ``Shell``, ``PowerShell``, ``File``, ``WindowsRestart`` and
``WindowsUpdate`` become steps; distribute entries ``ManagedImage``,
``SharedImage`` and ``VHD`` become targets. AIB always ends customization with
its own deprovision step (seed 004), appended here as a hidden step that runs
``/tmp/DeprovisioningScript.sh`` (Linux) or ``C:\\DeprovisioningScript.ps1``
(Windows): the default commands unless a customizer wrote that file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from ..model import OsType
from .model import Location, Pipeline, Step, Target, TargetKind, Tool
from .sources import line_of

RESOURCE_TYPE = "microsoft.virtualmachineimages/imagetemplates"
LINUX_DEPROVISION_SCRIPT = "/tmp/DeprovisioningScript.sh"
WINDOWS_DEPROVISION_SCRIPT = "C:\\DeprovisioningScript.ps1"
#: AIB's default Linux deprovision command (seed 004).
LINUX_DEPROVISION = "/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"
#: AIB's default Windows deprovision script (seed 004).
WINDOWS_DEPROVISION = r"""Write-Output '>>> Waiting for GA Service (RdAgent) to start ...'
while ((Get-Service RdAgent).Status -ne 'Running') { Start-Sleep -s 5 }
Write-Output '>>> Waiting for GA Service (WindowsAzureTelemetryService) to start ...'
while ((Get-Service WindowsAzureTelemetryService) -and ((Get-Service WindowsAzureTelemetryService).Status -ne 'Running')) { Start-Sleep -s 5 }
Write-Output '>>> Waiting for GA Service (WindowsAzureGuestAgent) to start ...'
while ((Get-Service WindowsAzureGuestAgent).Status -ne 'Running') { Start-Sleep -s 5 }
Write-Output '>>> Sysprepping VM ...'
if( Test-Path $Env:SystemRoot\system32\Sysprep\unattend.xml ) {
  Remove-Item $Env:SystemRoot\system32\Sysprep\unattend.xml -Force
}
& $Env:SystemRoot\System32\Sysprep\Sysprep.exe /oobe /generalize /quiet /quit
while($true) {
  $imageState = (Get-ItemProperty HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\State).ImageState
  Write-Output $imageState
  if ($imageState -eq 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE') { break }
  Start-Sleep -s 5
}
Write-Output '>>> Sysprep complete ...'"""

CUSTOMIZERS = ("shell", "powershell", "file", "windowsrestart", "windowsupdate")
_PARAMETER = re.compile(r"^\[parameters\('([^']+)'\)\]$")
_WINDOWS_CUSTOMIZERS = ("powershell", "windowsrestart", "windowsupdate")


def is_aib(document: Any) -> bool:
    """True for a bare imageTemplates resource or an ARM template containing one."""
    return bool(image_templates(document))


def image_templates(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    kind = str(document.get("type", "")).lower()
    # AIB's own VHD quick start says just "Microsoft.VirtualMachineImages", and its validator sample
    # has no type at all (the body the REST API and `az image builder create` take): accept either
    # when the properties have the shape of an image template.
    properties = document.get("properties")
    shaped = isinstance(properties, dict) and "source" in properties and "distribute" in properties
    if kind == RESOURCE_TYPE or (shaped and (not kind or kind.startswith(RESOURCE_TYPE.split("/")[0]))):
        return [document]
    found: list[dict[str, Any]] = []
    for resource in document.get("resources", []) if isinstance(document.get("resources"), list) else []:
        found.extend(image_templates(resource))
    return found


def read_aib(path: Path, document: dict[str, Any], text: str) -> list[Pipeline]:
    """One pipeline per image template in the document."""
    parameters = {
        name: spec.get("defaultValue")
        for name, spec in (document.get("parameters") or {}).items()
        if isinstance(spec, dict)
    }

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            match = _PARAMETER.match(value.strip())
            if match and parameters.get(match.group(1)) is not None:
                return parameters[match.group(1)]
            return value
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    pipelines = []
    cursor = 1
    for template in image_templates(document):
        template = resolve(template)
        start = line_of(text, "imageTemplates", cursor) or 1
        cursor = start + 1
        pipelines.append(_pipeline(path, template, text, start))
    return pipelines


def _pipeline(path: Path, template: dict[str, Any], text: str, start: int) -> Pipeline:
    properties = template.get("properties") or {}
    name = str(template.get("name") or path.stem)
    location = Location(str(path), start)
    customize = properties.get("customize") or []
    os_type = _os_type(properties, customize, location)
    pipeline = Pipeline(str(path), Tool.AIB, name, os_type, location)
    cursor = line_of(text, '"customize"', start) or start
    for index, customizer in enumerate(customize, start=1):
        kind = str(customizer.get("type", "")).lower()
        label = str(customizer.get("name") or f"customizer #{index}")
        line = line_of(text, f'"{customizer.get("name")}"', cursor) if customizer.get("name") else None
        line = line or line_of(text, f'"{customizer.get("type")}"', cursor) or cursor
        cursor = line + 1
        where = Location(str(path), line)
        if kind not in CUSTOMIZERS:
            raise ProvsimError(
                f"{where}: unknown customizer type {customizer.get('type')!r}; AIB knows Shell, PowerShell, File, "
                "WindowsRestart and WindowsUpdate"
            )
        pipeline.steps.append(_step(kind, label, customizer, where))
    default = LINUX_DEPROVISION if os_type is OsType.LINUX else WINDOWS_DEPROVISION
    script = LINUX_DEPROVISION_SCRIPT if os_type is OsType.LINUX else WINDOWS_DEPROVISION_SCRIPT
    pipeline.steps.append(
        Step(
            "deprovision",
            f"AIB deprovision ({script})",
            Location(str(path)),
            inline=(default,),
            destination=script,
            hidden=True,
        )
    )
    distribute_line = line_of(text, '"distribute"', start) or start
    for entry in properties.get("distribute") or []:
        pipeline.targets.append(
            _target(
                entry, Location(str(path), line_of(text, f'"{entry.get("type")}"', distribute_line) or distribute_line)
            )
        )
    return pipeline


def _os_type(properties: dict[str, Any], customize: list[dict[str, Any]], location: Location) -> OsType:
    source = properties.get("source") or {}
    words = " ".join(str(source.get(key, "")) for key in ("publisher", "offer", "sku", "imageId", "imageVersionId"))
    kinds = {str(c.get("type", "")).lower() for c in customize}
    if "windows" in words.lower() or kinds & set(_WINDOWS_CUSTOMIZERS):
        return OsType.WINDOWS
    if source.get("publisher") or "shell" in kinds:
        return OsType.LINUX
    raise ProvsimError(
        f"{location}: cannot tell the OS type: the source names no publisher and no customizer is Linux or "
        "Windows specific; use a PlatformImage source or add a Shell/PowerShell customizer"
    )


def _step(kind: str, label: str, customizer: dict[str, Any], where: Location) -> Step:
    inline = customizer.get("inline") or []
    remote = tuple(str(customizer[k]) for k in ("scriptUri", "sourceUri") if customizer.get(k))
    if kind == "file":
        return Step("file", label, where, remote=remote, destination=str(customizer.get("destination") or ""))
    step_kind = {"windowsrestart": "windows-restart", "windowsupdate": "windows-update"}.get(kind, kind)
    return Step(step_kind, label, where, inline=tuple(str(line) for line in inline), remote=remote)


def _target(entry: dict[str, Any], where: Location) -> Target:
    kind = str(entry.get("type", ""))
    name = str(entry.get("runOutputName") or entry.get("imageId") or entry.get("galleryImageId") or kind)
    targets = {"managedimage": TargetKind.MANAGED_IMAGE, "sharedimage": TargetKind.GALLERY_IMAGE, "vhd": TargetKind.VHD}
    if kind.lower() not in targets:
        raise ProvsimError(f"{where}: unknown distribute type {kind!r}; AIB knows ManagedImage, SharedImage and VHD")
    return Target(targets[kind.lower()], name, where)
