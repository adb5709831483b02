"""Value types in the words of the domain.

Every enum's value is the lower-case word used in provsim's JSON and in the
Gherkin features (``generalized``, ``provisioning_timeout`` ...), except the
platform's error codes, which keep Azure's spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from .errors import ProvsimError


class _Word(StrEnum):
    @classmethod
    def parse(cls, text: str, what: str | None = None) -> _Word:
        """Read a value from user input, forgiving case, spaces and dashes."""
        word = text.strip().lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            if member.value == word:
                return member
        choices = ", ".join(m.value for m in cls)
        raise ProvsimError(f"unknown {what or cls.__name__} {text!r}: expected one of {choices}")


class OsType(_Word):
    """The guest operating system family; it decides which guest agent runs."""

    LINUX = "linux"
    WINDOWS = "windows"

    @property
    def display(self) -> str:
        return "Linux" if self is OsType.LINUX else "Windows"


class OsState(_Word):
    """What the disk *is*: prepared for reuse (generalized) or one machine's (specialized)."""

    GENERALIZED = "generalized"
    SPECIALIZED = "specialized"


class Stage(_Word):
    """How a disk becomes an image: uploaded from on-premises, or captured from an Azure VM."""

    UPLOAD = "upload"
    CAPTURE = "capture"


class Status(_Word):
    """How a VM creation ends."""

    SUCCEEDED = "succeeded"
    PROVISIONING_TIMEOUT = "provisioning_timeout"
    PROVISIONING_FAILURE = "provisioning_failure"


class ErrorCode(StrEnum):
    """Azure's provisioning error codes (Azure VM error-message reference)."""

    OS_PROVISIONING_TIMED_OUT = "OSProvisioningTimedOut"
    OS_PROVISIONING_CLIENT_ERROR = "OSProvisioningClientError"


class Event(NamedTuple):
    """One line of a VM creation's timeline, at a virtual time in seconds.

    A named tuple, not a dataclass: a check of 1000 templates makes 30,000 of them.
    """

    at: float
    actor: str
    text: str

    def render(self) -> str:
        minutes, seconds = divmod(int(self.at), 60)
        return f"{minutes:>3}:{seconds:02d}  {self.actor:<8} {self.text}"


@dataclass
class Timeline:
    """Events in the order they happened."""

    events: list[Event] = field(default_factory=list)

    def add(self, at: float, actor: str, text: str) -> None:
        self.events.append(Event(at, actor, text))

    def to_list(self) -> list[dict[str, Any]]:
        """The JSON shape: one ``{"at", "actor", "text"}`` per event, ``at`` in virtual seconds."""
        return [{"at": event.at, "actor": event.actor, "text": event.text} for event in self.events]

    def texts(self) -> list[str]:
        return [event.text for event in self.events]
