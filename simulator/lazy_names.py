"""A package's public names, imported from their modules when first read (PEP 562).

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
