"""Recognisers: which command lines generalize the OS, and how.

A recogniser reads one shell or PowerShell line and returns what it does to
the disk, if anything provsim models:

    >>> recognise_line("sudo /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync")
    [WaagentDeprovision(delete_user=True, force=True, text='sudo /usr/sbin/waagent -force -deprovision+user', ...)]
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

import re
from functools import lru_cache

# One vocabulary of effects for both ways of reading a step (this line reader and the shell interpreter).
from .scripts.effects import (
    CloudInitClean,
    Effect,
    Sysprep,
    WaagentDeprovision,
    WaagentMistyped,
    waagent_effect,
)

#: A command word position: start of line or after a shell separator / sudo with its options.
_LEAD = r"(?:^|[;&|(`]|\bthen\b|\bdo\b)\s*(?:sudo(?:\s+-\S+)*\s+|exec\s+)?"
_WAAGENT = re.compile(_LEAD + r"(?P<cmd>(?:/usr/s?bin/|/s?bin/)?waagent\b[^;&|\n]*)", re.IGNORECASE)
_CLOUD_INIT_CLEAN = re.compile(_LEAD + r"(?P<cmd>cloud-init\s+clean\b[^;&|\n]*)")
_SYSPREP = re.compile(r"(?P<cmd>sysprep(?:\.exe)?['\"]?(?P<args>(?:\s+/[\w:]+)+))", re.IGNORECASE)
__all__ = [
    "CloudInitClean",
    "Effect",
    "Sysprep",
    "WaagentDeprovision",
    "WaagentMistyped",
    "recognise_line",
    "waits_for_image_state",
]
IMAGE_STATE_WAIT = re.compile(
    r"ImageState.*IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE|"
    r"IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE.*ImageState",
    re.IGNORECASE,
)


def _strip_comment(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith(("#", "REM ", "rem ", "::")):
        return ""
    return stripped


def recognise_line(line: str) -> list[Effect]:
    """The effects of one command line, in the order they appear."""
    return list(_recognised(line))


# Effects are frozen and a line's effects depend on its text alone; a file of many templates repeats the
# same steps (AIB's hidden deprovision step in every one), so each distinct line is read once.
@lru_cache(maxsize=4096)
def _recognised(line: str) -> tuple[Effect, ...]:
    line = _strip_comment(line)
    if not line:
        return ()
    found: list[tuple[int, Effect]] = []
    for match in _WAAGENT.finditer(line):
        text = match.group(0).strip().lstrip(";&|(`").strip()
        effect = waagent_effect(match.group("cmd").strip().split(), text)
        if effect is not None:
            found.append((match.start("cmd"), effect))
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
    return tuple(effect for _, effect in sorted(found, key=lambda pair: pair[0]))


def waits_for_image_state(lines: list[str]) -> bool:
    """True when the step polls ImageState until ``IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE``.

    On one line, or over several: templates keep the state in a variable
    (``$EndState = 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE'``) and loop on it.

        >>> waits_for_image_state(["$EndState = 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE'",
        ...     "while ((Get-ItemProperty $key).ImageState -ne $EndState) { Start-Sleep 5 }"])
        True
    """
    return _waits(tuple(lines))


@lru_cache(maxsize=256)
def _waits(lines: tuple[str, ...]) -> bool:
    if any(IMAGE_STATE_WAIT.search(line) for line in lines):
        return True
    text = "\n".join(lines)
    return bool(
        re.search(r"\bImageState\b", text, re.IGNORECASE)
        and "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE" in text.upper()
        and re.search(r"\b(while|until|do)\b", text, re.IGNORECASE)
    )
