"""Image pipelines read from templates: Packer HCL2, Packer JSON, Azure Image Builder.

>>> from pathlib import Path
>>> from simulator.pipeline import PackerVariables, check_path
>>> template = Path(__file__).parent.parent.parent / "fixtures/packer/web.pkr.hcl"
>>> (report,) = check_path(template, PackerVariables({"image_version": "2.0.0"}))
>>> report.os_state.value, [r.outcome.status.value for r in report.registrations]
('generalized', ['succeeded'])
"""

from simulator.pipeline.check import PipelineReport, Registration, check_path
from simulator.pipeline.detect import read_pipelines
from simulator.pipeline.findings import Finding, Severity
from simulator.pipeline.model import Location, Pipeline, Script, Step, Target, TargetKind, Tool
from simulator.pipeline.variables import PackerVariables

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
