"""What ``packer validate`` refuses in an azure-arm source's outputs, so provsim never passes it.

Packer checks a source's configuration before it creates anything; a refused
template builds no image at all. The checks here are the ones of
packer-plugin-azure ``builder/azure/arm/config.go`` that concern the image a
pipeline leaves behind, with Packer's own wording in the message:

- ``winrm_password`` complexity (``setUserNamePassword`` / ``isValidPassword``):
  8 to 123 characters, at least three of upper case, lower case, digit and
  special character, checked whenever the communicator is not SSH, on
  ``ssh_password`` too where ``winrm_password`` is unset;
- a gallery destination without ``image_version``, or with one not of the form
  Major.Minor.Patch in digits (``assertRequiredParametersSet``: "An image_version
  must be specified for shared_image_gallery_destination and must follow the
  Major(int).Minor(int).Patch(int) format");
- Secure Boot or vTPM with a managed image, and a ConfidentialVM security type
  with a managed image or a VHD ("these features are only supported when
  directly publishing to a Shared Image Gallery").

A Trusted Launch security type alone passes Packer, but the platform then
refuses a managed image from that VM: "Creation of managed images are not
supported for virtual machine with TrustedLaunch security type" (hashicorp/packer
#13189). Both end the build without an image, so both are reported here.

A managed image with a specialized gallery destination (PSIM014) is checked
where registrations are made (:mod:`provsim.pipeline.check`). A value that
still holds ``${...}`` is not known here and is never judged.

    >>> meets_winrm_complexity("Passw0rd!"), meets_winrm_complexity("password")
    (True, False)
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from .findings import Finding, Severity
from .model import Location, Pipeline, TargetKind, Tool
from .sources import line_of, read_text

#: Packer's bounds on ``winrm_password`` (``isValidPassword``), counted in bytes as Go's ``len`` does.
WINRM_PASSWORD_BYTES = (8, 123)


def meets_winrm_complexity(password: str) -> bool:
    """Whether Packer accepts ``password`` as ``winrm_password``: its length and three of four character classes."""
    low, high = WINRM_PASSWORD_BYTES
    if not low <= len(password.encode("utf-8")) <= high:
        return False
    classes = (string.digits, string.ascii_lowercase, string.ascii_uppercase, string.punctuation + " ")
    return sum(any(c in chars for c in password) for chars in classes) >= 3


def winrm_checked_password(settings: dict[str, Any]) -> tuple[str, str] | None:
    """The password ``packer validate`` holds to the WinRM rule, and the setting it comes from.

    ``setUserNamePassword`` stops before the WinRM part only when the
    communicator is SSH; otherwise (WinRM, or none set, as in most Linux
    templates) the WinRM password is ``winrm_password``, else ``ssh_password``,
    else the one Packer generates, and it must pass ``isValidPassword``. None
    where no password of the template's is checked, or it waits for a variable.

        >>> winrm_checked_password({"ssh_password": "secret"}), winrm_checked_password({"communicator": "ssh"})
        (('ssh_password', 'secret'), None)
    """
    communicator = settings.get("communicator")
    if communicator not in (None, "") and (_known(communicator) or "").lower() in ("ssh", ""):
        return None  # SSH, or a communicator still waiting for a variable
    for setting in ("winrm_password", "ssh_password"):
        value = settings.get(setting)
        if value not in (None, ""):
            known = _known(value)
            return (setting, known) if known is not None else None
    return None  # Packer generates one that passes


#: ``validImageVersion`` of config.go (``^[0-9]+\\.[0-9]+\\.[0-9]+$``; Go's ``$`` allows no trailing newline).
_IMAGE_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


def _version_is_refused(version: Any) -> bool | None:
    """Whether Packer refuses ``version``; None while it waits for a variable (Packer's to judge then)."""
    known = _known(version)
    if known is None:
        return None if isinstance(version, str) else True
    return _IMAGE_VERSION.fullmatch(known) is None


def _known(value: Any) -> str | None:
    # A value still waiting for a variable is Packer's to judge once it has one.
    return value if isinstance(value, str) and "${" not in value and "{{" not in value else None


def _gallery_destination(settings: dict[str, Any]) -> dict[str, Any] | None:
    found = settings.get("shared_image_gallery_destination")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        found = found[0]  # an HCL block reads as a list of one body
    return found if isinstance(found, dict) else None


def packer_config_findings(pipeline: Pipeline) -> list[Finding]:
    """The refusals of ``packer validate`` in ``pipeline``'s outputs (none for AIB, which Packer does not read)."""
    if pipeline.tool is not Tool.PACKER or not pipeline.settings:
        return []
    settings = pipeline.settings
    findings: list[Finding] = []
    checked = winrm_checked_password(settings)
    if checked is not None and not meets_winrm_complexity(checked[1]):
        setting = checked[0]
        via = (
            ""
            if setting == "winrm_password"
            else ' (here ssh_password: Packer uses it for WinRM unless communicator = "ssh")'
        )
        findings.append(
            Finding(
                Severity.ERROR,
                f'packer validate refuses it: the supplied "winrm_password"{via} must be between 8-123 characters '
                "long and must satisfy at least 3 of upper case, lower case, digit, special character; choose a "
                "longer or more varied password (or leave it unset: Packer generates one)",
                setting_location(pipeline, setting),
                "PSIM018",
            )
        )
    gallery = _gallery_destination(settings)
    version = gallery.get("image_version") if gallery is not None else None
    if gallery is not None and (not version or _version_is_refused(version) is True):
        shown = f" ({version!r} is not)" if version else ""
        findings.append(
            Finding(
                Severity.ERROR,
                "packer validate refuses it: an image_version must be specified for shared_image_gallery_destination "
                f'and must follow the Major(int).Minor(int).Patch(int) format{shown}; write image_version = "1.0.0"',
                setting_location(pipeline, "shared_image_gallery_destination"),
                "PSIM019",
            )
        )
    findings.extend(_security_findings(pipeline, security_settings(settings)))
    return findings


def _security_findings(pipeline: Pipeline, security: list[str]) -> list[Finding]:
    """Trusted Launch and confidential VM settings beside a managed image or a VHD.

    ``packer validate`` refuses Secure Boot or vTPM with a managed image, and a
    ConfidentialVM security type with a managed image or a VHD: "these features
    are only supported when directly publishing to a Shared Image Gallery"
    (PSIM020). A managed image from a VM whose security type is Trusted Launch
    passes validation, but the platform refuses to create it (PSIM021).
    """
    kinds = {target.kind for target in pipeline.targets}
    managed = TargetKind.MANAGED_IMAGE in kinds
    flags = [setting for setting in security if not setting.startswith("security_type")]
    kind = next((setting.split(" = ", 1)[1] for setting in security if setting.startswith("security_type")), "")
    confidential = kind.lower() == "confidentialvm"
    refused = flags if managed else []
    if confidential and (managed or TargetKind.VHD in kinds):
        refused = [*refused, f"security_type = {kind}"]
    if refused:
        output = "a managed image" if managed else "a VHD"
        return [
            Finding(
                Severity.ERROR,
                f"packer validate refuses it: {', '.join(refused)} with {output}; these features are only supported "
                "when directly publishing to a Shared Image Gallery: publish to shared_image_gallery_destination "
                "only, or drop the security settings",
                setting_location(pipeline, refused[0].split(" ", 1)[0]),
                "PSIM020",
            )
        ]
    if not managed or not security:
        return []
    return [
        Finding(
            Severity.ERROR,
            f"managed image {target.name!r} from a VM with {', '.join(security)}: the platform refuses "
            "it ('Creation of managed images are not supported for virtual machine with TrustedLaunch "
            "security type'); drop managed_image_name and publish to the gallery only",
            target.location,
            "PSIM021",
        )
        for target in pipeline.targets
        if target.kind is TargetKind.MANAGED_IMAGE
    ]


def security_settings(settings: dict[str, Any]) -> list[str]:
    """The Trusted Launch / confidential VM settings a source turns on, as written (``secure_boot_enabled = true``).

    >>> security_settings({"secure_boot_enabled": True, "vtpm_enabled": "false", "security_type": "TrustedLaunch"})
    ['secure_boot_enabled = true', 'security_type = TrustedLaunch']
    """
    found = [f"{name} = true" for name in ("secure_boot_enabled", "vtpm_enabled") if _true(settings.get(name))]
    kind = _known(settings.get("security_type"))
    if kind and kind.strip().lower() != "standard":
        found.append(f"security_type = {kind.strip()}")
    return found


def _true(value: Any) -> bool:
    # JSON templates often write booleans as strings; Packer's decoder takes both.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def setting_location(pipeline: Pipeline, setting: str) -> Location:
    """The line of ``setting`` in the source, else the source's own line."""
    try:
        text = read_text(Path(pipeline.location.path))
    except Exception:  # the reader read it a moment ago; a vanished file only costs the line
        return pipeline.location
    line = line_of(text, setting, pipeline.location.line or 1)
    return Location(pipeline.location.path, line) if line is not None else pipeline.location
