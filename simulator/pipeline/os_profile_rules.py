"""The OS profile Packer sends for its build VM, as the platform judges it before the VM exists.

Packer's azure-arm builder creates the build VM with an OS profile taken from
the template (packer-plugin-azure ``config.go``, ``setUserNamePassword`` and
``setRuntimeValues``): the admin user is ``ssh_username``, or ``winrm_username``
unless the communicator is SSH (default ``packer``); the password is
``ssh_password`` or ``winrm_password`` (else one Packer generates); the computer
name is ``temp_compute_name`` (else ``pkrvm`` and ten random characters).
``packer validate`` checks only the WinRM password's length and classes
(PSIM018); the rest is judged by the Compute API when Packer deploys the VM,
which then fails and the build ends without an image. Its rules (the Compute
REST API's ``OSProfile``: ``adminUsername``, ``adminPassword``,
``computerName``):

- admin user names: not one of the reserved names (any case); at most 20
  characters on Windows, not ending in "."; at most 64 on Linux;
- admin passwords: 6 to 72 characters on Linux, 8 to 123 on Windows, three of
  lower case, upper case, digit and special character (``[\\W_]``), and not one of
  ten well-known passwords;
- computer names: at most 15 characters on Windows (NetBIOS), 64 on Linux; a
  Windows name is not entirely digits and holds none of ``~!@#$%^&*()=+_[]{}\\|;:.'",<>/?``.

A value that still waits for a variable is never judged.

    >>> reserved_admin_name("Administrator"), reserved_admin_name("builder")
    (True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model import OsType
from .findings import Finding, Severity
from .model import Location, Pipeline, Tool
from .validate import meets_winrm_complexity, setting_location, winrm_checked_password

#: ``adminUsername``'s disallowed values, compared without case.
RESERVED_ADMIN_NAMES = frozenset(
    {
        "administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123", "a",
        "actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root",
        "server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5",
    }
)  # fmt: skip
#: ``adminUsername``'s maximum length per OS.
NAME_LENGTHS = {OsType.LINUX: 64, OsType.WINDOWS: 20}
#: ``adminPassword``'s disallowed values (exact).
REFUSED_PASSWORDS = frozenset(
    {"abc@123", "P@$$w0rd", "P@ssw0rd", "P@ssword123", "Pa$$word", "pass@word1", "Password!", "Password1",
     "Password22", "iloveyou!"}
)  # fmt: skip
#: ``adminPassword``'s length bounds per OS.
PASSWORD_LENGTHS = {OsType.LINUX: (6, 72), OsType.WINDOWS: (8, 123)}
#: ``computerName``'s maximum length per OS (15 on Windows: the NetBIOS name).
COMPUTER_NAME_LENGTHS = {OsType.LINUX: 64, OsType.WINDOWS: 15}
#: Characters a Windows computer name may not hold.
_WINDOWS_NAME_REFUSED = re.compile(r"[~!@#$%^&*()=+_\[\]{}\\|;:.'\",<>/?\s]")
#: Its four character classes: lower case, upper case, digit, special (``[\W_]``).
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[\W_]"))


def reserved_admin_name(name: str) -> bool:
    """Whether the platform refuses ``name`` as an admin user name ("The Admin Username specified is not allowed")."""
    return name.lower() in RESERVED_ADMIN_NAMES


def admin_name_problem(name: str, os_type: OsType) -> str | None:
    """Why the platform refuses ``name`` as the admin user, or None."""
    if reserved_admin_name(name):
        return f"{name!r} is a reserved name ('The Admin Username specified is not allowed')"
    if len(name) > NAME_LENGTHS[os_type]:
        return f"it is {len(name)} characters long, the most on {os_type.value.capitalize()} is {NAME_LENGTHS[os_type]}"
    if os_type is OsType.WINDOWS and name.endswith("."):
        return "a Windows admin user name may not end in '.'"
    return None


def admin_password_problem(password: str, os_type: OsType) -> str | None:
    """Why the platform refuses ``password`` as the admin password, or None (never showing the password).

    >>> admin_password_problem("Passw0rd", OsType.LINUX), admin_password_problem("P@ssw0rd", OsType.WINDOWS)
    (None, 'it is one of the ten passwords the platform refuses by name')
    """
    low, high = PASSWORD_LENGTHS[os_type]
    if not low <= len(password) <= high:
        return f"it is {len(password)} characters long; {os_type.value.capitalize()} takes {low} to {high}"
    if sum(bool(c.search(password)) for c in _CLASSES) < 3:
        return "it has fewer than 3 of lower case, upper case, digit and special character"
    if password in REFUSED_PASSWORDS:
        return "it is one of the ten passwords the platform refuses by name"
    return None


def computer_name_problem(name: str, os_type: OsType) -> str | None:
    """Why the platform refuses ``name`` as the computer name, or None.

    >>> computer_name_problem("pkrvm-app-build-01", OsType.WINDOWS)
    'it is 18 characters long, the most on Windows is 15'
    """
    most = COMPUTER_NAME_LENGTHS[os_type]
    if len(name) > most:
        return f"it is {len(name)} characters long, the most on {os_type.value.capitalize()} is {most}"
    if os_type is not OsType.WINDOWS:
        return None
    if name.isdigit():
        return "a Windows computer name may not be entirely digits"
    refused = _WINDOWS_NAME_REFUSED.search(name)
    return f"a Windows computer name may not hold {refused.group()!r}" if refused else None


def _known(value: Any) -> str | None:
    return value if isinstance(value, str) and value and "${" not in value and "{{" not in value else None


def build_vm_admin(settings: dict[str, Any]) -> tuple[str, str] | None:
    """The admin user Packer creates the build VM with, and the setting that names it; None where it is not known."""
    communicator = str(settings.get("communicator") or "").lower()
    chosen = [("ssh_username", settings.get("ssh_username"))]
    if communicator != "ssh":
        chosen.insert(0, ("winrm_username", settings.get("winrm_username")))
    for setting, value in chosen:
        if value not in (None, ""):
            return (value, setting) if _known(value) else None
    return ("packer", "")  # Packer's DefaultUserName


def os_profile_findings(pipeline: Pipeline) -> list[Finding]:
    """PSIM028-PSIM030: the build VM's admin user, password and computer name as the Compute API judges them."""
    if pipeline.tool is not Tool.PACKER or not pipeline.settings:
        return []
    settings, os_type = pipeline.settings, pipeline.os_type
    findings: list[Finding] = []
    admin = build_vm_admin(settings)
    problem = admin_name_problem(admin[0], os_type) if admin else None
    if admin and problem:
        findings.append(_refused("PSIM028", pipeline, admin[1], f"the build VM's admin user: {problem}"))
    findings += _password_findings(pipeline)
    name = _known(settings.get("temp_compute_name"))
    problem = computer_name_problem(name, os_type) if name else None
    if name and problem:
        findings.append(_refused("PSIM030", pipeline, "temp_compute_name", f"the build VM's computer name: {problem}"))
    return findings


def _password_findings(pipeline: Pipeline) -> list[Finding]:
    """PSIM029: the admin password Packer gives the build VM (``ssh_password``, or ``winrm_password`` on WinRM).

    A ``winrm_password`` that packer validate refuses already (PSIM018) is left
    to that rule; what Packer lets through and the platform refuses (its ten
    named passwords) is this rule's.
    """
    settings, os_type = pipeline.settings, pipeline.os_type
    communicator = str(settings.get("communicator") or "").lower()
    winrm = communicator == "winrm" or (communicator != "ssh" and os_type is OsType.WINDOWS)
    setting = "winrm_password" if winrm and settings.get("winrm_password") else "ssh_password"
    password = _known(settings.get(setting))
    problem = admin_password_problem(password, os_type) if password else None
    if not password or not problem:
        return []
    checked = winrm_checked_password(settings)
    if checked == (setting, password) and not meets_winrm_complexity(password):
        return []  # packer validate refuses it already: PSIM018
    return [_refused("PSIM029", pipeline, setting, f"the build VM's admin password: {problem}")]


def _refused(rule: str, pipeline: Pipeline, setting: str, problem: str) -> Finding:
    where = setting_location(pipeline, setting) if setting else pipeline.location
    shown = setting or "Packer's default admin user"
    return Finding(
        Severity.ERROR,
        f"{shown}: {problem}; the platform refuses the OS profile when Packer deploys the build VM, and the build "
        "ends without an image",
        where,
        rule,
    )


@dataclass(frozen=True)
class ConsumerProfile:
    """The OS profile the pipeline's consumers will send when they create VMs from its image (a Gherkin step's).

    Only what is given is judged; the password is never shown.
    """

    admin_user: str | None = None
    admin_password: str | None = None
    computer_name: str | None = None


def consumer_profile_findings(pipeline: Pipeline, profile: ConsumerProfile) -> list[Finding]:
    """PSIM028-PSIM030 for the consumers' OS profile: the platform refuses their VM creations, whatever the image."""
    os_type = pipeline.os_type
    checks = [
        ("PSIM028", "admin user", profile.admin_user, admin_name_problem),
        ("PSIM029", "admin password", profile.admin_password, admin_password_problem),
        ("PSIM030", "computer name", profile.computer_name, computer_name_problem),
    ]
    findings: list[Finding] = []
    for rule, what, value, judge in checks:
        problem = judge(value, os_type) if value is not None else None
        if problem:
            findings.append(
                Finding(
                    Severity.ERROR,
                    f"the consumers' {what}: {problem}; the platform refuses every VM they create from this "
                    f"{os_type.value.capitalize()} image with that OS profile",
                    Location(pipeline.location.path, pipeline.location.line),
                    rule,
                )
            )
    return findings
