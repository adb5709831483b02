"""Image pipelines read from templates: Packer HCL2, Packer JSON, Azure Image Builder.

>>> from pathlib import Path
>>> from provsim.pipeline import PackerVariables, check_path
>>> template = Path(__file__).parent.parent.parent / "fixtures/packer/web.pkr.hcl"
>>> (report,) = check_path(template, PackerVariables({"image_version": "2.0.0"}))
>>> report.os_state.value, [r.outcome.status.value for r in report.registrations]
('generalized', ['succeeded'])

Each name is imported from its module when first read (:mod:`provsim.lazy_names`): every
``provsim.pipeline.<module>`` import runs this file, and a reader of one model class need
not load the whole check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import lazy_names

if TYPE_CHECKING:  # what a type checker sees; at run time, __getattr__ below
    from .check import PipelineReport, Registration, check_path
    from .detect import read_pipelines
    from .findings import Finding, Severity
    from .model import Location, Pipeline, Script, Step, Target, TargetKind, Tool
    from .variables import PackerVariables

#: Public name -> the module (under provsim.pipeline) that defines it.
_HOMES: dict[str, str] = {
    **dict.fromkeys(("PipelineReport", "Registration", "check_path"), "check"),
    "read_pipelines": "detect",
    **dict.fromkeys(("Finding", "Severity"), "findings"),
    **dict.fromkeys(("Location", "Pipeline", "Script", "Step", "Target", "TargetKind", "Tool"), "model"),
    "PackerVariables": "variables",
}

__all__ = [
    "Finding",
    "Location",
    "PackerVariables",
    "Pipeline",
    "PipelineReport",
    "Registration",
    "Script",
    "Severity",
    "Step",
    "Target",
    "TargetKind",
    "Tool",
    "check_path",
    "read_pipelines",
]


def __getattr__(name: str) -> Any:
    return lazy_names.load(globals(), _HOMES, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
