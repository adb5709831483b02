"""Image pipelines read from templates: Packer HCL2, Packer JSON, Azure Image Builder.

>>> from pathlib import Path
>>> from provsim.pipeline import PackerVariables, check_path
>>> template = Path(__file__).parent.parent.parent / "fixtures/packer/web.pkr.hcl"
>>> (report,) = check_path(template, PackerVariables({"image_version": "2.0.0"}))
>>> report.os_state.value, [r.outcome.status.value for r in report.registrations]
('generalized', ['succeeded'])
"""

from .check import PipelineReport, Registration, check_path
from .detect import read_pipelines
from .findings import Finding, Severity
from .model import Location, Pipeline, Script, Step, Target, TargetKind, Tool
from .variables import PackerVariables

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
