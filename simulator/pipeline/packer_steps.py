"""Packer provisioners and azure-arm targets, the same for HCL2 and JSON templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from ..model import OsType
from .model import Location, Script, Step, Target, TargetKind
from .sources import line_of, read_text

#: Provisioners whose content provsim reads; others are reported as not inspected.
KNOWN_PROVISIONERS = ("shell", "powershell", "file", "windows-restart", "windows-update", "shell-local")


def os_type_of(body: dict[str, Any], where: str) -> OsType:
    """The builder's ``os_type``: Packer requires Linux or Windows."""
    word = str(body.get("os_type", "")).strip()
    if word.lower() not in ("linux", "windows"):
        raise ProvsimError(f'{where}: os_type is {word or "missing"!r}; set os_type to "Linux" or "Windows"')
    return OsType(word.lower())


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


def packer_step(kind: str, settings: dict[str, Any], name: str, location: Location, base: Path, text: str) -> Step:
    """One provisioner as a :class:`Step`, its script files read relative to the template."""
    scripts: list[Script] = []
    for script in _strings(settings.get("script")) + _strings(settings.get("scripts")):
        if kind not in ("shell", "powershell"):
            break
        script_path = Path(script) if Path(script).is_absolute() else base / script
        where = f"{location.path}:{line_of(text, script, location.line or 1) or location.line}"
        scripts.append(Script(script, read_text(script_path, "script", where), Location(str(script_path))))
    inline = _strings(settings.get("inline"))
    if kind == "file" and settings.get("content") is not None:
        inline = ()
    inline_lines = tuple(line_of(text, _first_line(command), location.line or 1) for command in inline)
    return Step(
        kind=kind,
        name=name,
        location=location,
        inline=inline,
        inline_lines=inline_lines,
        scripts=tuple(scripts),
        environment_vars=_strings(settings.get("environment_vars") or settings.get("env")),
        execute_command=str(settings["execute_command"]) if settings.get("execute_command") else None,
        inline_shebang=str(settings["inline_shebang"]) if settings.get("inline_shebang") else None,
        source=str(settings["source"]) if settings.get("source") else None,
        destination=str(settings["destination"]) if settings.get("destination") else None,
        content=str(settings["content"]) if settings.get("content") is not None else None,
    )


def _first_line(command: str) -> str:
    # Templates escape quotes and backslashes; the longest plain stretch of the command finds its line.
    first = command.strip().splitlines()[0] if command.strip() else ""
    return max(first.replace("\\", '"').split('"'), key=len)


def packer_targets(body: dict[str, Any], location: Location, text: str, start: int) -> list[Target]:
    """The outputs an azure-arm source declares (FACTS.md section 6)."""
    targets: list[Target] = []
    gallery = body.get("shared_image_gallery_destination")
    if isinstance(gallery, list):
        gallery = gallery[0] if gallery else None
    specialized = bool(isinstance(gallery, dict) and str(gallery.get("specialized", "false")).lower() == "true")

    def at(needle: str) -> Location:
        return Location(location.path, line_of(text, needle, start) or location.line)

    if body.get("managed_image_name") and str(body.get("skip_create_image", "false")).lower() != "true":
        targets.append(
            Target(
                TargetKind.MANAGED_IMAGE,
                str(body["managed_image_name"]),
                at("managed_image_name"),
                specialized=True if specialized else None,
            )
        )
    if isinstance(gallery, dict):
        name = "/".join(str(gallery.get(k, "?")) for k in ("gallery_name", "image_name", "image_version"))
        targets.append(Target(TargetKind.GALLERY_IMAGE, name, at("shared_image_gallery_destination"), specialized))
    if body.get("capture_container_name"):
        name = f"{body['capture_container_name']}/{body.get('capture_name_prefix', 'packer')}"
        targets.append(Target(TargetKind.VHD, name, at("capture_container_name")))
    return targets
