"""The pytest plugin: registers provsim's step modules and fixtures."""

from __future__ import annotations

pytest_plugins = [
    "provsim.steps.fixtures",
    "provsim.steps.images",
    "provsim.steps.registration",
    "provsim.steps.vm_creation",
    "provsim.steps.outcomes",
    "provsim.steps.pipelines",
    "provsim.steps.baselines",
    "provsim.steps.containers",
    "provsim.steps.container_summary",
    "provsim.steps.container_builds",
    "provsim.steps.agents",
]
