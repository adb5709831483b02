"""The pytest plugin: registers provsim's step modules and fixtures.

pytest loads this module in every run of a repository that installs provsim,
whether its tests use a sentence or not, so the plugin registers its modules
the cheapest way pytest offers: itself, as pytest registers it.

A ``pytest_plugins`` list would do the same, a little slower: pytest reads
every installed distribution's entry points again for each name on the list
(``PytestPluginManager.import_plugin`` with ``consider_entry_points=True``),
eleven times 40 files here, about 15 ms of a 0.6 s start. The modules' asserts
are rewritten as ``pytest_plugins`` would have them rewritten, and a module
blocked with ``-p no:provsim.steps.<name>`` stays out, as it would there.
"""

from __future__ import annotations

import importlib

import pytest

#: The step modules, in the order pytest registers them (``provsim steps`` lists their sentences in it).
STEP_MODULES = (
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
)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the step modules: pytest calls this as it registers the plugin, before it reads the options."""
    pytest.register_assert_rewrite(*STEP_MODULES)
    for name in STEP_MODULES:
        if pluginmanager.is_blocked(name) or pluginmanager.get_plugin(name) is not None:
            continue
        pluginmanager.register(importlib.import_module(name), name)
