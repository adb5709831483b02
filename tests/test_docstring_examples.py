"""The examples in provsim's docstrings run, as the installed package a user imports.

They are collected here rather than with ``--doctest-modules`` over the
folders, because pytest would import ``simulator/`` as a top-level package of
its own: a second copy of every class beside ``provsim``'s, which an example
mixing both would trip over.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tomllib
from pathlib import Path

import provsim
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    names = [provsim.__name__]
    names += [info.name for info in pkgutil.walk_packages(provsim.__path__, prefix="provsim.")]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_every_package_folder_is_installed() -> None:
    """A new sub-package of ``simulator/`` or ``steps/`` must be listed in pyproject.toml, or it is not installed."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {"simulator": "provsim", "steps": "provsim.steps"}
    found = set()
    for folder, name in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *relative)))
    assert found == listed
