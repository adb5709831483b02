"""Image pipelines read from templates: Packer HCL2, Packer JSON, Azure Image Builder."""

from simulator.pipeline.model import Location, Pipeline, Script, Step, Target, TargetKind, Tool

__all__ = ["Location", "Pipeline", "Script", "Step", "Target", "TargetKind", "Tool"]
