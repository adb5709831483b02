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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from ..masking import mask
from ..model import OsType
from . import shapes
from .model import Location, Pipeline, SourceImage, Step, Target, TargetKind, Tool
from .packer_steps import leaves
from .platform_rules import definition_settings
from .sources import NEARBY, TextLines, text_lines

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


def _platform_image(properties: dict[str, Any]) -> SourceImage | None:
    source = properties.get("source")
    if not isinstance(source, dict) or str(source.get("type", "")).lower() != "platformimage":
        return None
    fields = [source.get(key) for key in ("publisher", "offer", "sku")]
    if not all(isinstance(value, str) and value and not value.startswith("[") for value in fields):
        return None  # an ARM expression provsim did not resolve: no guess
    return SourceImage(*(str(value) for value in fields))


def is_aib(document: Any) -> bool:
    """True for a bare imageTemplates resource or an ARM template containing one."""
    return bool(image_templates(document))


def image_templates(document: Any, depth: int = 0) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or depth > 8:  # ARM nests child resources a level or two deep
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
    if kind == "microsoft.resources/deployments" and isinstance(properties, dict):
        # A nested deployment carries its own inline template (linked ones, by templateLink, are remote).
        found.extend(image_templates(properties.get("template"), depth + 1))
    for resource in document.get("resources", []) if isinstance(document.get("resources"), list) else []:
        found.extend(image_templates(resource, depth + 1))
    return found


#: ARM parameter types whose values are secrets: ARM itself never shows them.
SECURE_TYPES = ("securestring", "secureobject")


def read_aib(path: Path, document: dict[str, Any], text: str) -> list[Pipeline]:
    """One pipeline per image template in the document."""
    return [template.read() for template in unread_templates(path, document, text)]


def unread_templates(path: Path, document: dict[str, Any], text: str) -> list[UnreadTemplate]:
    """Each image template of the document, its file-wide part read (parameters, gallery definitions, lines).

    What stays for :meth:`UnreadTemplate.read` is the template's own part: a
    pool's forked worker reads the templates it builds, so that the 10,000 of
    one ARM file are not all read by the calling process first.
    """
    lines = text_lines(text)
    where_parameters = str(Location(str(path), lines.find('"parameters"')))
    declared = shapes.mapping(document.get("parameters"), where_parameters, "parameters")
    parameters: dict[str, Any] = {}
    sensitive: set[str] = set()
    for name, spec in declared.items():
        if not isinstance(spec, dict):
            raise ProvsimError(
                f"{where_parameters}: parameter {name!r} is {shapes.kind_of(spec)}; ARM takes an object, "
                '{"type": "string", "defaultValue": ...}'
            )
        parameters[name] = spec.get("defaultValue")
        if str(spec.get("type", "")).lower() in SECURE_TYPES:
            sensitive |= leaves(spec.get("defaultValue"))

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            if "[parameters(" not in value:  # most strings: no strip and no match (10,000 templates, 200,000 strings)
                return value
            match = _PARAMETER.match(value.strip())
            if match and parameters.get(match.group(1)) is not None:
                return parameters[match.group(1)]
            return value
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    # A string holds a reference only where the text does, as written or behind a \\u escape; a file that has
    # none (generated templates often write every value out) is read without copying each template to resolve it.
    referenced = "[parameters(" in text or "\\u" in text
    # Read here, once for the file: the rules compare every template's source and outputs with them.
    arm_file = _ArmFile(
        path, lines, resolve if referenced else _as_written, frozenset(sensitive), definition_settings(document, lines)
    )
    unread = []
    cursor = 1
    last = lines.lines()
    for template in image_templates(document):
        # Not found again (all templates on one line, as generators write them): the line of the one before.
        start = lines.find("imageTemplates", cursor) or lines.find('"properties"', cursor) or min(cursor, last)
        cursor = start + 1
        unread.append(UnreadTemplate(arm_file, template, start))
    return unread


def _as_written(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class _ArmFile:
    """What every image template of one ARM file is read with."""

    path: Path
    lines: TextLines
    resolve: Callable[[Any], Any]
    sensitive: frozenset[str]
    definitions: dict[str, tuple[tuple[str, ...], int | None]]


@dataclass(eq=False)
class UnreadTemplate:
    """An image template of a parsed ARM file, read into its :class:`Pipeline` by :meth:`read`.

    ``sensitive`` and ``linux_agent`` are the pipeline's to be, so that a
    caller can mask and state the agent before any template is read.
    """

    file: _ArmFile
    written: dict[str, Any]
    """The template as written: its values are looked up in the text, then resolved."""
    start: int
    linux_agent: str | None = None

    @property
    def sensitive(self) -> frozenset[str]:
        return self.file.sensitive

    def read(self) -> Pipeline:
        """The template's pipeline; a bad template is refused with its file and line (secure parameters masked)."""
        file = self.file
        try:
            pipeline = _pipeline(file.path, self.written, file.resolve, file.lines, self.start)
        except ProvsimError as error:
            raise ProvsimError(mask(error.message, file.sensitive)) from None
        pipeline.sensitive = file.sensitive
        pipeline.gallery_definitions = file.definitions
        pipeline.linux_agent = self.linux_agent
        return pipeline


def _pipeline(path: Path, written: dict[str, Any], resolve: Any, lines: TextLines, start: int) -> Pipeline:
    written_path = str(path)
    last = lines.lines()  # a line past the end is never named: a search that finds nothing stays on the last

    def at(key: str, begin: int = start) -> shapes.Where:
        return lambda: str(Location(written_path, lines.find(f'"{key}"', begin) or begin))

    template = resolve(written)
    properties = shapes.mapping(template.get("properties"), at("properties"), "properties", optional=False)
    written_properties = written.get("properties") if isinstance(written.get("properties"), dict) else {}
    name = shapes.text(template.get("name"), at("name"), "name") or path.stem
    location = Location(written_path, start)
    customize = shapes.objects(
        properties.get("customize"), at("customize"), "customize", 'write a list, [{"type": "Shell", ...}]'
    )
    written_customize = written_properties.get("customize") if isinstance(written_properties, dict) else None
    if not isinstance(written_customize, list) or len(written_customize) != len(customize):
        written_customize = customize
    os_type = _os_type(properties, customize, location, at("source"))
    pipeline = Pipeline(written_path, Tool.AIB, name, os_type, location, source_image=_platform_image(properties))
    cursor = lines.find('"customize"', start) or start
    for index, (customizer, as_written) in enumerate(zip(customize, written_customize, strict=True), start=1):
        here = _written_at(written_path, cursor)
        kind = _kind(customizer, here, f"customizer #{index}", "Shell")
        label = shapes.text(customizer.get("name"), here, f"customizer #{index}: name") or f"customizer #{index}"
        written_name = as_written.get("name") if isinstance(as_written, dict) else None
        written_type = as_written.get("type") if isinstance(as_written, dict) else None
        named = isinstance(written_name, str) and written_name
        line = lines.find(f'"{written_name}"', cursor, NEARBY) if named else None
        typed = isinstance(written_type, str)
        line = line or (lines.find(f'"{written_type}"', cursor, NEARBY) if typed else None) or min(cursor, last)
        cursor = line + 1
        where = Location(written_path, line)
        if kind not in CUSTOMIZERS:
            shown = customizer.get("type") if isinstance(customizer.get("type"), str) else None
            raise ProvsimError(
                f"{where}: unknown customizer type {shown!r}; AIB knows Shell, PowerShell, File, "
                "WindowsRestart and WindowsUpdate"
            )
        pipeline.steps.append(_step(kind, label, customizer, where))
    default = LINUX_DEPROVISION if os_type is OsType.LINUX else WINDOWS_DEPROVISION
    script = LINUX_DEPROVISION_SCRIPT if os_type is OsType.LINUX else WINDOWS_DEPROVISION_SCRIPT
    pipeline.steps.append(
        Step(
            "deprovision",
            f"AIB deprovision ({script})",
            Location(written_path),
            inline=(default,),
            destination=script,
            hidden=True,
        )
    )
    distribute_line = lines.find('"distribute"', start) or start
    distribute = shapes.objects(
        properties.get("distribute"),
        at("distribute"),
        "distribute",
        'write a list, [{"type": "ManagedImage", ...}]',
        optional=False,
    )
    cursor = distribute_line
    for index, entry in enumerate(distribute, start=1):
        here = _written_at(written_path, cursor)
        kind = _kind(entry, here, f"distribute entry #{index}", "ManagedImage", lower=False)
        line = (lines.find(f'"{kind}"', cursor, NEARBY) if kind else None) or min(cursor, last)
        cursor = line + 1
        pipeline.targets.append(_target(entry, kind, Location(written_path, line)))
    return pipeline


def _written_at(path: str, line: int) -> shapes.Where:
    return lambda: str(Location(path, line))


def _kind(entry: dict[str, Any], where: shapes.Where, what: str, example: str, *, lower: bool = True) -> str:
    """An entry's ``type``: a string, as ARM's schema requires."""
    kind = entry.get("type")
    if kind is None:
        raise ProvsimError(f'{shapes.shown(where)}: {what} has no "type"; add one, such as "type": "{example}"')
    if not isinstance(kind, str):
        raise ProvsimError(
            f'{shapes.shown(where)}: {what}: type is {shapes.kind_of(kind)}; write a string, such as "{example}"'
        )
    return kind.lower() if lower else kind


def _os_type(
    properties: dict[str, Any], customize: list[dict[str, Any]], location: Location, at: shapes.Where
) -> OsType:
    source = shapes.mapping(
        properties.get("source"), at, "source", 'write an object, {"type": "PlatformImage", ...}', optional=False
    )
    words = " ".join(
        shapes.text(source.get(key), at, f"source {key}") or ""
        for key in ("publisher", "offer", "sku", "imageId", "imageVersionId")
    )
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
    shown = where.__str__

    def field(name: str) -> str | None:
        return shapes.text(customizer.get(name), shown, f"{label}: {name}")

    inline = shapes.texts(customizer.get("inline"), shown, f"{label}: inline")
    remote = tuple(value for value in (field("scriptUri"), field("sourceUri")) if value)
    if kind == "file":
        return Step("file", label, where, remote=remote, destination=field("destination") or "")
    step_kind = {"windowsrestart": "windows-restart", "windowsupdate": "windows-update"}.get(kind, kind)
    return Step(step_kind, label, where, inline=inline, remote=remote)


def _target(entry: dict[str, Any], kind: str, where: Location) -> Target:
    def field(name: str) -> str | None:
        return shapes.text(entry.get(name), where.__str__, f"distribute {kind}: {name}")

    name = field("runOutputName") or field("imageId") or field("galleryImageId") or kind
    targets = {"managedimage": TargetKind.MANAGED_IMAGE, "sharedimage": TargetKind.GALLERY_IMAGE, "vhd": TargetKind.VHD}
    if kind.lower() not in targets:
        raise ProvsimError(f"{where}: unknown distribute type {kind!r}; AIB knows ManagedImage, SharedImage and VHD")
    return Target(targets[kind.lower()], name, where)
