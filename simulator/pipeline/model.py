"""What a template says, in one shape for every dialect.

A reader turns a template into one :class:`Pipeline` per Azure build source:
the OS it builds, its ordered steps (with where each comes from) and its
targets. Nothing here decides an OS state: the steps' effects are applied to a
build VM's disk by the simulated build or run for real in a container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..model import OsType


class Tool(StrEnum):
    """The tool that runs the pipeline."""

    PACKER = "packer"
    AIB = "aib"


@dataclass(frozen=True)
class Location:
    """Where something comes from: a file and, when known, a 1-based line and column.

    The column is given only where it is exact in the file as written (a
    script file, or a template line that holds the command verbatim), so a
    SARIF viewer never underlines the wrong characters; ``str()`` shows the
    line only, as every report has from the start.
    """

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Script:
    """A script a step runs: its path as written, and its text when it could be read."""

    path: str
    text: str | None
    location: Location


@dataclass(frozen=True)
class Step:
    """One provisioner (Packer) or customizer (AIB), in pipeline order.

    ``kind`` is the provisioner or customizer type in lower case (``shell``,
    ``powershell``, ``file``, ``windows-restart``, ``windows-update``,
    ``shell-local``); AIB's own hidden deprovision step is ``deprovision``
    with ``hidden`` set. ``inline`` holds inline commands (``inline_lines``
    their lines in the template, where found); ``scripts`` the script files.
    ``remote`` lists URLs provsim cannot read (scriptUri, sourceUri).
    ``content`` is a file provisioner's inline content. The remaining fields
    drive real execution in a container.
    """

    kind: str
    name: str
    location: Location
    inline: tuple[str, ...] = ()
    scripts: tuple[Script, ...] = ()
    remote: tuple[str, ...] = ()
    environment_vars: tuple[str, ...] = ()
    execute_command: str | None = None
    inline_shebang: str | None = None
    source: str | None = None
    destination: str | None = None
    content: str | None = None
    hidden: bool = False
    inline_lines: tuple[int | None, ...] = ()
    timeout: float | None = None
    """Seconds the tool gives this step (Packer's provisioner ``timeout``); None: the runner's default."""
    skip_clean: bool | None = False
    """Packer's shell ``skip_clean``: true leaves the uploaded script in place instead of removing it over a
    new SSH session after the step; None where the template computes it (not known)."""

    def texts(self) -> tuple[tuple[str, Location], ...]:
        """Every command line this step runs, with where it was written."""
        # The build and several rules ask for the same step's lines: made once (a step is frozen).
        made: tuple[tuple[str, Location], ...] | None = self.__dict__.get("_texts")
        if made is None:
            made = tuple(self._texts_made())
            object.__setattr__(self, "_texts", made)
        return made

    def _texts_made(self) -> list[tuple[str, Location]]:
        lines: list[tuple[str, Location]] = []
        for index, command in enumerate(self.inline):
            written_at = self.inline_lines[index] if index < len(self.inline_lines) else None
            where = Location(self.location.path, written_at) if written_at is not None else self.location
            lines.extend((part, where) for part in command.splitlines())
        for script in self.scripts:
            if script.text is None:
                continue
            for number, line in enumerate(script.text.splitlines(), start=1):
                lines.append((line, Location(script.location.path, number)))
        return lines


class TargetKind(StrEnum):
    """What a pipeline leaves behind."""

    MANAGED_IMAGE = "managed_image"
    GALLERY_IMAGE = "gallery_image"
    VHD = "vhd"


@dataclass(frozen=True)
class Target:
    """One output. ``specialized`` is the gallery destination's flag (None when not a gallery)."""

    kind: TargetKind
    name: str
    location: Location
    specialized: bool | None = None


@dataclass(frozen=True)
class SourceImage:
    """The platform image a build starts from: publisher, offer and SKU (``Canonical``, ``ubuntu-24_04-lts``, ...)."""

    publisher: str
    offer: str
    sku: str

    def __str__(self) -> str:
        return f"{self.publisher}:{self.offer}:{self.sku}"


@dataclass
class Pipeline:
    """One Azure build source of a template, ready to be built."""

    path: str
    tool: Tool
    name: str
    os_type: OsType
    location: Location
    steps: list[Step] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    unset_variables: dict[str, Location] = field(default_factory=dict)
    """Variables the pipeline uses that have no value (no default, nothing given): Packer would stop."""
    skipped: list[tuple[str, Location]] = field(default_factory=list)
    """Steps the template filters out for this source (``only``/``except``), with why: shown as warnings."""
    source_image: SourceImage | None = None
    """The platform image the build VM starts from, when the template names one."""
    linux_agent: str | None = None
    """The agent its Linux platform image provisions with, as its user stated it (``--linux-agent``)."""
    build_user: str = "packer"
    """The build VM's admin account: ``ssh_username``, else Packer's default (``DefaultUserName`` in
    packer-plugin-azure ``builder/azure/arm/config.go``); AIB builds with Packer too."""
    sensitive: frozenset[str] = frozenset()
    """Values that must never be shown (sensitive variables, secret settings): every output masks them."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The Packer source's settings as resolved (empty for AIB): what ``packer validate`` reads (:mod:`.validate`)."""
    gallery_definitions: dict[str, tuple[tuple[str, ...], int | None]] = field(default_factory=dict)
    """What the gallery image definitions declared in the same ARM template say (AIB only), by setting
    (``hyperVGeneration``, ``osState``): every definition's value in upper case and the first one's line.
    A setting is absent when a definition leaves it out or writes an expression (:mod:`.platform_rules`)."""
