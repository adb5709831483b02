"""Recognisers: which command lines generalize the OS, and how.

A recogniser reads one shell or PowerShell line and returns what it does to
the disk, if anything provsim models:

    >>> recognise_line("sudo /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync")
    [WaagentDeprovision(delete_user=True, force=True, text='sudo /usr/sbin/waagent -force -deprovision+user')]
    >>> recognise_line("& $env:SystemRoot/System32/Sysprep/Sysprep.exe /oobe /generalize /quit")[0].generalize
    True
    >>> recognise_line("# waagent -deprovision+user   (commented out)")
    []
    >>> recognise_line("waagent -force -deprovison+user")[0].meant
    '-deprovision+user'

The simulated build applies these effects to the build VM's disk; the
container backend runs the real commands instead.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

#: A command word position: start of line or after a shell separator / sudo with its options.
_LEAD = r"(?:^|[;&|(`]|\bthen\b|\bdo\b)\s*(?:sudo(?:\s+-\S+)*\s+|exec\s+)?"
_WAAGENT = re.compile(_LEAD + r"(?P<cmd>(?:/usr/s?bin/|/s?bin/)?waagent\b[^;&|\n]*)", re.IGNORECASE)
_CLOUD_INIT_CLEAN = re.compile(_LEAD + r"(?P<cmd>cloud-init\s+clean\b[^;&|\n]*)")
_SYSPREP = re.compile(r"(?P<cmd>sysprep(?:\.exe)?['\"]?(?P<args>(?:\s+/[\w:]+)+))", re.IGNORECASE)
IMAGE_STATE_WAIT = re.compile(
    r"ImageState.*IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE|"
    r"IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE.*ImageState",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WaagentDeprovision:
    """``waagent [-force] -deprovision[+user]``."""

    delete_user: bool
    force: bool
    text: str


@dataclass(frozen=True)
class WaagentMistyped:
    """``waagent`` with an option that is almost ``-deprovision[+user]``: waagent prints its usage, nothing more."""

    option: str
    meant: str
    text: str


@dataclass(frozen=True)
class CloudInitClean:
    """``cloud-init clean``."""

    text: str


@dataclass(frozen=True)
class Sysprep:
    """``Sysprep.exe`` with its switches."""

    generalize: bool
    oobe: bool
    quit: bool
    mode_vm: bool
    text: str
    shutdown: bool = False


Effect = WaagentDeprovision | WaagentMistyped | CloudInitClean | Sysprep
_DEPROVISION_OPTIONS = ("deprovision", "deprovision+user")


def _strip_comment(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith(("#", "REM ", "rem ", "::")):
        return ""
    return stripped


def recognise_line(line: str) -> list[Effect]:
    """The effects of one command line, in the order they appear."""
    line = _strip_comment(line)
    if not line:
        return []
    found: list[tuple[int, Effect]] = []
    for match in _WAAGENT.finditer(line):
        command = match.group("cmd").strip()
        words = command.split()[1:]
        # waagent matches "^[-/]*deprovision" (and "...deprovision+user" first): a prefix match, as here.
        deprovision = [w for w in words if w.lstrip("-/").lower().startswith("deprovision")]
        text = match.group(0).strip().lstrip(";&|(`").strip()
        if not deprovision:
            for word in words:
                close = difflib.get_close_matches(word.lstrip("-/").lower(), _DEPROVISION_OPTIONS, n=1, cutoff=0.8)
                if close:
                    found.append((match.start("cmd"), WaagentMistyped(word, f"-{close[0]}", text)))
            continue
        delete_user = any(w.lstrip("-/").lower() == "deprovision+user" for w in deprovision)
        force = any(w.lstrip("-/").lower() == "force" for w in words)
        found.append((match.start("cmd"), WaagentDeprovision(delete_user, force, text)))
    for match in _CLOUD_INIT_CLEAN.finditer(line):
        found.append((match.start("cmd"), CloudInitClean(match.group(0).strip().lstrip(";&|(`").strip())))
    for match in _SYSPREP.finditer(line):
        switches = {s.lower().split(":")[0] for s in match.group("args").split()}
        mode_vm = any(s.lower() == "/mode:vm" for s in match.group("args").split())
        found.append(
            (
                match.start("cmd"),
                Sysprep(
                    "/generalize" in switches,
                    "/audit" not in switches,
                    "/quit" in switches,
                    mode_vm,
                    line.strip(),
                    shutdown="/shutdown" in switches,
                ),
            )
        )
    return [effect for _, effect in sorted(found, key=lambda pair: pair[0])]


def waits_for_image_state(lines: list[str]) -> bool:
    """True when the step polls ImageState until ``IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE``.

    On one line, or over several: templates keep the state in a variable
    (``$EndState = 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE'``) and loop on it.

        >>> waits_for_image_state(["$EndState = 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE'",
        ...     "while ((Get-ItemProperty $key).ImageState -ne $EndState) { Start-Sleep 5 }"])
        True
    """
    if any(IMAGE_STATE_WAIT.search(line) for line in lines):
        return True
    text = "\n".join(lines)
    return bool(
        re.search(r"\bImageState\b", text, re.IGNORECASE)
        and "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE" in text.upper()
        and re.search(r"\b(while|until|do)\b", text, re.IGNORECASE)
    )
