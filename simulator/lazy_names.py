"""Importing less at start-up: a package's names when first read, a library's submodules without its ``__init__``.

``provsim`` and ``provsim.pipeline`` list their API in ``__init__``; importing
every module of it there would make each ``provsim.<module>`` import (the
pytest plugin's, ``provsim --help``'s) pay for the whole library. A package
instead maps each name to its module and hands its ``__getattr__`` to
:func:`load`::

    >>> import provsim
    >>> provsim.Platform.__name__, "Platform" in vars(provsim)
    ('Platform', True)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any


def load(package: dict[str, Any], homes: dict[str, str], name: str) -> Any:
    """``name`` from the module ``homes`` gives it under the package whose globals are ``package``.

    Kept in the package's globals, so that the next read is a plain attribute.
    """
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package['__name__']!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", package["__name__"]), name)
    package[name] = value
    return value


def defer_package_init(name: str, *, if_installed: bool = False) -> None:
    """Make the package ``name``'s submodules importable without running its ``__init__`` yet.

    A library's ``__init__`` may import all of it (Faker's builds a proxy of
    every provider and locale; python-hcl2's imports its writer, reconstructor
    and query language) where provsim uses one submodule. The package is
    registered unexecuted; the first time anyone asks it for a name
    (``from faker import Faker``, ``hcl2.loads``) its ``__init__`` runs, as it
    would have at import, and then answers. When the package is already
    imported, nothing changes; when it is not installed, ``if_installed``
    says to do nothing rather than raise.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        if if_installed:
            return
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def run_init_on_first_use(attribute: str) -> object:
        del vars(package)["__getattr__"]
        loader.exec_module(package)
        return getattr(package, attribute)

    vars(package)["__getattr__"] = run_init_on_first_use  # a module's __getattr__ (PEP 562)
    sys.modules[name] = package


def tree_sitter_parser(grammar: str) -> Any:
    """A tree-sitter parser of the grammar package ``grammar`` (``tree_sitter_bash``), from the compiled bindings.

    Neither package's ``__init__`` runs (:func:`defer_package_init`): a
    grammar's imports :mod:`importlib.resources` (and with it :mod:`tempfile`,
    :mod:`zipfile` and the resource readers) for query files provsim never
    reads, about a fifth of a Windows template's check; tree-sitter's only
    re-exports its binding's classes. ``tree_sitter.Parser`` and the binding's
    are the same class.
    """
    defer_package_init("tree_sitter")
    defer_package_init(grammar)
    binding = importlib.import_module("tree_sitter._binding")
    language = importlib.import_module(f"{grammar}._binding").language
    return binding.Parser(binding.Language(language()))
