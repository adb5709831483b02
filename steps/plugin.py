"""The pytest plugin: registers provsim's step modules and fixtures."""

from __future__ import annotations

pytest_plugins = [
    "steps.fixtures",
    "steps.images",
    "steps.registration",
    "steps.vm_creation",
    "steps.outcomes",
    "steps.pipelines",
    "steps.containers",
    "steps.container_builds",
]
