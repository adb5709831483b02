"""The types a template's fields must have, checked as Packer and ARM check them.

Packer refuses ``inline = 5`` ("list of string required") and ARM refuses a
``customize`` that is not an array, before anything is built; provsim refuses
the same with one line naming the file, the line and the fix, instead of
tripping over the value later. Messages name the type found, never the value:
a value may be a secret.

    >>> texts(["echo hi", 5], "web.pkr.hcl:3", "inline")
    ('echo hi', '5')
    >>> texts(5, "web.pkr.hcl:3", "inline")
    Traceback (most recent call last):
    ...
    provsim.errors.ProvsimError: web.pkr.hcl:3: inline is a number; write a list of strings, such as ["..."]

Strings still holding ``${`` are HCL expressions provsim does not evaluate
(functions such as ``concat``): Packer would, so they are let through as
written rather than refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ProvsimError

#: Where a field is written, as shown in front of a message: a text, or what makes it when a message is shown
#: (a reader of 10,000 templates would otherwise find the line of every field that turns out right).
Where = str | Callable[[], str]


def kind_of(value: Any) -> str:
    """A value's JSON/HCL type in a user's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_expression(value: Any) -> bool:
    """An HCL expression left unevaluated (a function call, a conditional)."""
    return isinstance(value, str) and "${" in value


def shown(where: Where) -> str:
    """``where`` as a message shows it."""
    return where if isinstance(where, str) else where()


def _wrong(where: Where, what: str, value: Any, fix: str) -> ProvsimError:
    return ProvsimError(f"{shown(where)}: {what} is {kind_of(value)}; {fix}")


def mapping(value: Any, where: Where, what: str, fix: str = "", *, optional: bool = True) -> dict[str, Any]:
    """An object field; absent or null gives ``{}`` when ``optional``."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise _wrong(where, what, value, fix or "write an object, such as {...}")
    return value


def objects(value: Any, where: Where, what: str, fix: str = "", *, optional: bool = True) -> list[dict[str, Any]]:
    """A list of objects; absent or null gives ``[]`` when ``optional``."""
    if value is None and optional:
        return []
    fix = fix or "write a list of objects, such as [{...}]"
    if not isinstance(value, list):
        raise _wrong(where, what, value, fix)
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise _wrong(where, f"{what} entry #{index}", item, fix)
    return value


def text(value: Any, where: Where, what: str, fix: str = "write a string") -> str | None:
    """A string field; numbers and bools convert as HCL and mapstructure convert them; null is unset."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise _wrong(where, what, value, fix)


def texts(value: Any, where: Where, what: str, *, single: bool = False) -> tuple[str, ...]:
    """A list-of-strings field. ``single``: a lone string is a one-item list (Packer JSON's weak decoding)."""
    if value is None:
        return ()
    if isinstance(value, str) and (single or is_expression(value)):
        return (value,)
    if not isinstance(value, list):
        raise _wrong(where, what, value, 'write a list of strings, such as ["..."]')
    found: list[str] = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, list | dict) or item is None:
            raise _wrong(where, f"{what} item #{index}", item, "write a string")
        found.append(text(item, where, what) or "")
    return tuple(found)


def flag(value: Any, where: Where, what: str) -> bool | None:
    """A bool field: true/false, or the strings "true"/"false" (HCL converts them); None when unset or unknown."""
    if value is None or is_expression(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, str):
        raise ProvsimError(f"{shown(where)}: {what} is a string that is neither true nor false; write true or false")
    raise _wrong(where, what, value, "write true or false")
