"""Findings: what a reviewer should know about a pipeline, with severity and location."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .model import Location


class Severity(StrEnum):
    """``error``: the image will not be what the template intends; ``warning``: it may not; ``info``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str
    location: Location

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity.value, "message": self.message, "location": str(self.location)}
