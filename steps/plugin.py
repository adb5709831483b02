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

Every provsim sentence is registered under one fixture name
(:data:`STEP_FIXTURE`) instead of one name each. pytest-bdd looks a step up
by asking pytest for the definitions of every fixture name there is, one name
at a time, and keeps those whose function it knows as a step
(``pytest_bdd.scenario.find_fixturedefs_for_step``); the name itself plays no
part. With 49 names of provsim's among 79, each step of every scenario asked
49 times; now once, for the same definitions in the same order. A user's own
sentences, and one of theirs that outranks provsim's, are found as before.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import MutableMapping
from typing import Any

import pytest
from pytest_bdd.steps import step_function_context_registry

#: The one fixture name provsim's sentences are registered under (see the module's text).
STEP_FIXTURE = "provsim_step_definition"

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
        module = importlib.import_module(name)
        under_one_name(vars(module))
        pluginmanager.register(module, name)


def under_one_name(namespace: MutableMapping[str, Any]) -> None:
    """Each step definition's fixture in a module's ``namespace`` renamed :data:`STEP_FIXTURE` (the same function).

    Definitions at a test module outrank the plugin's as they did under their own names: pytest-bdd orders
    the matching definitions by where they are registered, not by name.
    """
    for attribute, value in list(namespace.items()):
        # pytest 8.4 and later wrap a fixture's function (FixtureFunctionDefinition); an older pytest keeps
        # the names pytest-bdd gave, which only makes the look-ups slower.
        unwrap = getattr(value, "_get_wrapped_function", None)
        function = unwrap() if callable(unwrap) else None
        if function is not None and function in step_function_context_registry:
            namespace[attribute] = pytest.fixture(name=STEP_FIXTURE)(function)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The objects of the start and the collection (modules, classes, items, fixtures) frozen out of collections.

    They live for the whole session, and every full collection went over them again, as did the interpreter's
    last one at exit: in provsim's own suite, 100 M of 5.7 G instructions. ``gc.freeze`` only moves them aside,
    changing nothing a test sees. They are not let go at the end (``gc.unfreeze`` there cost more than the
    freeze saved, the last collection going over them after all): a process that runs ``pytest.main`` again
    keeps the first session's items until it exits, and its later sessions freeze nothing. Left alone where
    something else froze objects already (a process that forks workers does so).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
