"""What a step's commands do to the build VM's disk, as provsim models it, with where each was written.

The shell and PowerShell interpreters hand every command they decide *runs*
to the recognisers here, already split into words the way the shell splits
them (quotes removed, the step's variables expanded, ``sudo`` and the other
wrappers peeled off). So a recogniser never sees a comment, a quoted string
or a dead branch: it sees a command line that executes.

    >>> waagent_effect(["waagent", "-force", "-deprovision+user"], "waagent ...", Place("s.sh", 3, 1))
    WaagentDeprovision(delete_user=True, force=True, text='waagent ...', place=Place(path='s.sh', line=3, column=1))
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ...disk import GuestDisk


@dataclass(frozen=True)
class Place:
    """Where a command was written: a file (or template), a 1-based line and column."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column is not None else "")


@dataclass(frozen=True)
class WaagentDeprovision:
    """``waagent [-force] -deprovision[+user]`` that runs."""

    delete_user: bool
    force: bool
    text: str
    place: Place | None = None


@dataclass(frozen=True)
class WaagentMistyped:
    """``waagent`` with an option that is almost ``-deprovision[+user]``: waagent prints its usage, nothing more."""

    option: str
    meant: str
    text: str
    place: Place | None = None


@dataclass(frozen=True)
class CloudInitClean:
    """``cloud-init clean``."""

    text: str
    place: Place | None = None


@dataclass(frozen=True)
class AgentChange:
    """A command that changes which agent provisions: ``systemctl mask cloud-init``, ``apt-get purge cloud-init``."""

    command: str
    text: str
    place: Place | None = None


@dataclass(frozen=True)
class Sysprep:
    """``Sysprep.exe`` with its switches."""

    generalize: bool
    oobe: bool
    quit: bool
    mode_vm: bool
    text: str
    place: Place | None = None
    shutdown: bool = False


@dataclass(frozen=True)
class Undecided:
    """A command provsim cannot decide runs (or what it runs): evidence and a warning, never a guess."""

    reason: str
    text: str
    place: Place | None = None


@dataclass(frozen=True)
class FileWrite:
    """A write to ``path``: ``replace`` its text, ``append`` to it, ``substitute``/``substitute-all`` a literal
    text (the line reader's sed), or ``sed``/``sed-extended``: the ``s`` command ``old`` read as GNU sed reads it."""

    path: str
    how: str
    text: str
    old: str = ""
    place: Place | None = None

    def apply(self, disk: GuestDisk) -> None:
        current = disk.read_text(self.path)
        if self.how == "replace":
            disk.write_text(self.path, self.text)
        elif self.how == "append":
            disk.write_text(self.path, (current or "") + self.text)
        elif current is not None and self.how in ("sed", "sed-extended"):
            from .sed import substitution

            edit = substitution(self.old, extended=self.how == "sed-extended")
            if edit is not None:
                disk.write_text(self.path, edit.apply(current))
        elif current is not None and self.how == "substitute-all":
            disk.write_text(self.path, current.replace(self.old, self.text))
        elif current is not None:
            # sed's basic regular expressions treat + ? | ( ) literally; provsim takes the pattern as text.
            lines = [line.replace(self.old, self.text, 1) for line in current.split("\n")]
            disk.write_text(self.path, "\n".join(lines))


Effect = WaagentDeprovision | WaagentMistyped | CloudInitClean | Sysprep | AgentChange
_DEPROVISION_OPTIONS = ("deprovision", "deprovision+user")


def is_waagent(word: str) -> bool:
    """The command word names the Azure Linux agent (any path)."""
    return posixpath.basename(word) == "waagent"


def waagent_effect(argv: list[str], text: str, place: Place | None = None) -> Effect | None:
    """What ``waagent ARGS`` does: deprovision, print its usage for a near-miss option, or something else."""
    words = argv[1:]
    # waagent matches "^[-/]*deprovision" (and "...deprovision+user" first): a prefix match, as here.
    deprovision = [w for w in words if w.lstrip("-/").lower().startswith("deprovision")]
    if not deprovision:
        import difflib  # only for a waagent call that deprovisions nothing: most checks have none (heapq with it)

        for word in words:
            close = difflib.get_close_matches(word.lstrip("-/").lower(), _DEPROVISION_OPTIONS, n=1, cutoff=0.8)
            if close:
                return WaagentMistyped(word, f"-{close[0]}", text, place)
        return None
    delete_user = any(w.lstrip("-/").lower() == "deprovision+user" for w in deprovision)
    force = any(w.lstrip("-/").lower() == "force" for w in words)
    return WaagentDeprovision(delete_user, force, text, place)


def is_cloud_init_clean(argv: list[str]) -> bool:
    """``cloud-init clean [--logs] [--seed] ...``."""
    return len(argv) >= 2 and posixpath.basename(argv[0]) == "cloud-init" and argv[1] == "clean"


def sysprep_effect(argv: list[str], text: str, place: Place | None = None) -> Sysprep | None:
    """``Sysprep.exe`` (any path, any case) with its ``/switches``."""
    name = argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if argv else ""
    if name not in ("sysprep", "sysprep.exe"):
        return None
    switches = [s.lower() for s in argv[1:] if s.startswith("/")]
    stems = {s.split(":")[0] for s in switches}
    return Sysprep(
        "/generalize" in stems,
        "/audit" not in stems,
        "/quit" in stems,
        "/mode:vm" in switches,
        text,
        place,
        shutdown="/shutdown" in stems,
    )


_PACKAGE_TOOLS = {"apt-get": "remove", "apt": "remove", "yum": "remove", "dnf": "remove", "zypper": "remove"}


def package_removal(argv: list[str]) -> tuple[list[str], bool] | None:
    """``apt-get purge -y cloud-init`` and its kin: the packages removed and whether configuration goes too."""
    if not argv or posixpath.basename(argv[0]) not in _PACKAGE_TOOLS:
        return None
    words = [w for w in argv[1:] if not w.startswith("-")]
    if not words or words[0] not in ("remove", "purge", "erase", "autoremove", "rm"):
        return None
    return words[1:], words[0] == "purge"
