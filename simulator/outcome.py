"""The outcome of a VM creation: what a user reads and what the features assert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import ErrorCode, OsState, OsType, Stage, Status, Timeline


@dataclass(frozen=True)
class SourceVm:
    """What became of the VM an image was captured from."""

    usable: bool
    reason: str


@dataclass
class Outcome:
    """Status, error code, reason, resolution, duration and timeline of one VM creation."""

    os_type: OsType
    stage: Stage | None
    registered_as: OsState
    status: Status
    error_code: ErrorCode | None
    reason: str
    resolution: str | None
    duration: float
    timeline: Timeline = field(default_factory=Timeline)
    source_vm: SourceVm | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is Status.SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by ``provsim matrix``, ``simulate`` and ``check``."""
        return {
            "os_type": self.os_type.value,
            "stage": self.stage.value if self.stage else None,
            "registered_as": self.registered_as.value,
            "status": self.status.value,
            "error_code": self.error_code.value if self.error_code else None,
            "reason": self.reason,
            "resolution": self.resolution,
            "timeline": self.timeline.to_list(),
        }
