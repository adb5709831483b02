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
    rule: str | None = None
    """A stable id for findings that reports and baselines key on (``hygiene.leftover-user``)."""

    def to_dict(self) -> dict[str, str | int]:
        row: dict[str, str | int] = {
            "severity": self.severity.value,
            "message": self.message,
            "location": str(self.location),
        }
        if self.location.column is not None:
            row["column"] = self.location.column
        if self.rule is not None:
            row["id"] = self.rule
        return row
