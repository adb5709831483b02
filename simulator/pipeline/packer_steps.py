"""Packer provisioners and azure-arm targets, the same for HCL2 and JSON templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from ..model import OsType
from . import shapes
from .model import Location, Script, SourceImage, Step, Target, TargetKind
from .sources import MAX_FILE_BYTES, NEARBY, line_of, read_text

#: Provisioners whose content provsim reads; others are reported as not inspected.
KNOWN_PROVISIONERS = ("shell", "powershell", "file", "windows-restart", "windows-update", "shell-local")


#: Settings whose values are secrets wherever a template sets them, literally or through a variable.
#: From packer-plugin-azure's azure-arm builder (client_secret, client_jwt, client_cert_password,
#: oidc_request_token: builder/azure/common/client/config.go), Packer's SSH and WinRM
#: communicators (ssh_password, ssh_bastion_password, winrm_password), the powershell and
#: windows-restart provisioners' elevated_password, and the generic names templates use for a
#: VM's admin password (password, admin_password).
SECRET_SETTINGS = frozenset(
    {
        "client_secret",
        "client_jwt",
        "client_cert_password",
        "oidc_request_token",
        "ssh_password",
        "ssh_bastion_password",
        "winrm_password",
        "elevated_password",
        "password",
        "admin_password",
    }
)


def secret_values(settings: Any) -> set[str]:
    """The values of :data:`SECRET_SETTINGS` anywhere in a builder's or provisioner's settings."""
    found: set[str] = set()
    stack = [settings]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if str(key).lower() in SECRET_SETTINGS and isinstance(item, str | int | float) and item != "":
                    found.add(str(item))
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return found


def leaves(value: Any) -> set[str]:
    """Every scalar in a value, as text: what a sensitive variable holding a list or object must hide."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool):
            continue  # true and false hide nothing
        elif isinstance(item, str | int | float) and str(item):
            found.add(str(item))
    return found


#: The most script text one pipeline reads, repeats counted: twice the largest file. A template
#: naming the same 8 MiB script fifty times would otherwise hold 400 MiB and simulate every copy.
MAX_SCRIPT_CHARACTERS = 2 * MAX_FILE_BYTES


class ScriptBudget:
    """What is left of :data:`MAX_SCRIPT_CHARACTERS` for one pipeline."""

    def __init__(self) -> None:
        self.left = MAX_SCRIPT_CHARACTERS

    def spend(self, text: str, where: str) -> str:
        self.left -= len(text)
        if self.left < 0:
            raise ProvsimError(
                f"{where}: the scripts of this pipeline add up to more than {MAX_SCRIPT_CHARACTERS} characters; "
                "provsim reads at most that, name each script once"
            )
        return text


def build_user_of(body: dict[str, Any]) -> str:
    """The build VM's admin account: ``ssh_username`` when it is a plain name, else Packer's default ``packer``."""
    name = body.get("ssh_username")
    return name if isinstance(name, str) and re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", name) else "packer"


def source_image_of(body: dict[str, Any]) -> SourceImage | None:
    """The platform (Marketplace) image an azure-arm source starts from, when it names one."""
    fields = [body.get(key) for key in ("image_publisher", "image_offer", "image_sku")]
    if not all(isinstance(value, str) and value and "${" not in value for value in fields):
        return None
    return SourceImage(*(str(value) for value in fields))


def os_type_of(body: dict[str, Any], where: str) -> OsType:
    """The builder's ``os_type``: Packer requires Linux or Windows."""
    word = (shapes.text(body.get("os_type"), where, "os_type", 'set os_type to "Linux" or "Windows"') or "").strip()
    unset = re.search(r"\$\{\s*var\.([A-Za-z0-9_-]+)", word)
    if unset:
        name = unset.group(1)
        raise ProvsimError(
            f"{where}: os_type comes from var.{name}, which has no value here ({word}); give it one as Packer "
            f"would take it: --var {name}=Linux, a var file, or PKR_VAR_{name} in the environment"
        )
    if word.lower() not in ("linux", "windows"):
        raise ProvsimError(f'{where}: os_type is {word or "missing"!r}; set os_type to "Linux" or "Windows"')
    return OsType(word.lower())


def packer_step(
    kind: str,
    settings: dict[str, Any],
    name: str,
    location: Location,
    base: Path,
    text: str,
    *,
    hcl: bool = True,
    budget: ScriptBudget | None = None,
) -> Step:
    """One provisioner as a :class:`Step`, its script files read relative to the template.

    ``hcl``: HCL2 types are strict (``inline = "x"`` is refused, as Packer refuses it); Packer JSON
    decodes weakly, so a lone string is a one-item list there.
    """
    quote = "" if hcl else '"'

    start = location.line or 1

    def at(field: str) -> str:
        # Only for a setting the step has: looking up absent ones, step after step, cost minutes.
        if settings.get(field) is None:
            return str(location)
        line = line_of(text, f"{quote}{field}{quote}", start, NEARBY) or location.line
        return str(Location(location.path, line))

    def single(field: str) -> str | None:
        return shapes.text(settings.get(field), at(field), f"{name}: {field}")

    scripts: list[Script] = []
    listed = (shapes.text(settings.get("script"), at("script"), f"{name}: script"),)
    listed_scripts = shapes.texts(settings.get("scripts"), at("scripts"), f"{name}: scripts", single=not hcl)
    for script in (*(s for s in listed if s), *listed_scripts):
        if kind not in ("shell", "powershell"):
            break
        where = f"{location.path}:{line_of(text, script, start, NEARBY) or location.line}"
        script_path = script_location(script, base, where)
        script_text = (budget or ScriptBudget()).spend(read_text(script_path, "script", where), where)
        scripts.append(Script(script, script_text, Location(str(script_path))))
    inline = shapes.texts(settings.get("inline"), at("inline"), f"{name}: inline", single=not hcl)
    content = single("content")
    if kind == "file" and content is not None:
        inline = ()
    inline_lines = tuple(line_of(text, _first_line(command), start, NEARBY) for command in inline)
    environment = shapes.texts(
        settings.get("environment_vars"), at("environment_vars"), f"{name}: environment_vars", single=not hcl
    )
    env = shapes.mapping(settings.get("env"), at("env"), f"{name}: env", 'write an object, such as { NAME = "value" }')
    for key, value in env.items():
        environment += (f"{key}={shapes.text(value, at('env'), f'{name}: env.{key}') or ''}",)
    return Step(
        kind=kind,
        name=name,
        location=location,
        inline=inline,
        inline_lines=inline_lines,
        scripts=tuple(scripts),
        environment_vars=environment,
        execute_command=single("execute_command") or None,
        inline_shebang=single("inline_shebang") or None,
        source=single("source") or None,
        destination=single("destination") or None,
        content=content,
        timeout=duration(single("timeout"), at("timeout"), name),
        skip_clean=shapes.flag(settings.get("skip_clean"), at("skip_clean"), f"{name}: skip_clean")
        if settings.get("skip_clean") is not None
        else False,
    )


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(value: str | None, where: str, name: str) -> float | None:
    """A provisioner's ``timeout`` in seconds, read as Packer reads it (Go's ``time.ParseDuration``).

    >>> duration("1h30m", "t.pkr.hcl:3", "shell"), duration("90s", "t", "s"), duration(None, "t", "s")
    (5400.0, 90.0, None)
    >>> duration("5 minutes", "t.pkr.hcl:3", "shell")
    Traceback (most recent call last):
    ...
    provsim.errors.ProvsimError: t.pkr.hcl:3: shell: timeout '5 minutes' is not a duration; write it as Packer does...
    """
    if value is None or value.strip() in ("", "0", "0s"):
        return None
    text = value.strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ProvsimError(
            f'{where}: {name}: timeout {value!r} is not a duration; write it as Packer does, such as "5m" or "1h30m"'
        )
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def script_location(script: str, template_folder: Path, where: str) -> Path:
    """Where Packer finds a ``script``: relative paths from the folder ``packer build`` runs in.

    provsim runs where CI runs it, not necessarily where ``packer build`` runs, so
    a relative path that is not there is tried from the template's folder too
    (the usual ``cd images/linux && packer build .``); when neither has it, both
    places are named.
    """
    path = Path(script)
    if path.is_absolute():
        return path
    tried = [Path.cwd() / path, template_folder.resolve() / path]
    for candidate in tried:
        if candidate.exists():
            return candidate
    raise ProvsimError(
        f"{where}: script {script!r} not found: Packer reads a relative path from the folder 'packer build' runs "
        f"in; tried {tried[0]} and {tried[1]}; run provsim from that folder, or write the path from "
        "{{template_dir}} (JSON) or ${path.root} (HCL2)"
    )


def _first_line(command: str) -> str:
    # Templates escape quotes and backslashes; the longest plain stretch of the command finds its line.
    first = command.strip().splitlines()[0] if command.strip() else ""
    return max(first.replace("\\", '"').split('"'), key=len)


def packer_targets(
    body: dict[str, Any], location: Location, text: str, start: int, *, hcl: bool = True
) -> list[Target]:
    """The outputs an azure-arm source declares (FACTS.md section 6)."""
    quote = "" if hcl else '"'

    def at(needle: str) -> Location:
        return Location(location.path, line_of(text, f"{quote}{needle}{quote}", start, NEARBY) or location.line)

    def field(settings: dict[str, Any], name: str) -> str | None:
        value = settings.get(name)
        return None if value is None else shapes.text(value, str(at(name)), name)

    targets: list[Target] = []
    raw_gallery = body.get("shared_image_gallery_destination")
    where_gallery = str(at("shared_image_gallery_destination")) if raw_gallery is not None else str(location)
    if isinstance(raw_gallery, list):  # HCL: a block comes as a list of its bodies
        if len(raw_gallery) > 1:
            raise ProvsimError(
                f"{where_gallery}: {len(raw_gallery)} shared_image_gallery_destination blocks; Packer takes one, "
                "keep one"
            )
        raw_gallery = raw_gallery[0] if raw_gallery else None
    gallery = (
        shapes.mapping(raw_gallery, where_gallery, "shared_image_gallery_destination")
        if raw_gallery is not None
        else None
    )
    specialized = bool(
        gallery
        and gallery.get("specialized") is not None
        and shapes.flag(gallery.get("specialized"), str(at("specialized")), "specialized")
    )
    managed = field(body, "managed_image_name")
    skip = body.get("skip_create_image") is not None and shapes.flag(
        body.get("skip_create_image"), str(at("skip_create_image")), "skip_create_image"
    )
    if managed and not skip:
        targets.append(
            Target(
                TargetKind.MANAGED_IMAGE,
                managed,
                at("managed_image_name"),
                specialized=True if specialized else None,
            )
        )
    if gallery is not None:
        name = "/".join(field(gallery, k) or "?" for k in ("gallery_name", "image_name", "image_version"))
        targets.append(Target(TargetKind.GALLERY_IMAGE, name, at("shared_image_gallery_destination"), specialized))
    container = field(body, "capture_container_name")
    if container:
        prefix = field(body, "capture_name_prefix") or "packer"
        targets.append(Target(TargetKind.VHD, f"{container}/{prefix}", at("capture_container_name")))
    return targets
