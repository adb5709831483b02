"""Reading the words of step sentences into provsim's value types.

A word the sentences do not know fails the scenario with one line naming the
word and the words that are known: no traceback, since the fix is in the
feature file, not in the code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pytest
from provsim.errors import ProvsimError

if TYPE_CHECKING:  # the value types load with the first sentence read, not with the plugin (every pytest start)
    from provsim.model import OsState, OsType, Stage, Status

_T = TypeVar("_T")


def _read(parse: Callable[[], _T]) -> _T:
    try:
        return parse()
    except ProvsimError as error:
        pytest.fail(f"{error} (fix the step in the feature file)", pytrace=False)


def os_type(text: str) -> OsType:
    """``Linux`` or ``Windows`` (any case)."""
    from provsim.model import OsType

    return _read(lambda: OsType(OsType.parse(text, "OS type")))


def os_state(text: str) -> OsState:
    """``generalized`` or ``specialized``."""
    from provsim.model import OsState

    return _read(lambda: OsState(OsState.parse(text, "OS state")))


def stage(text: str) -> Stage:
    """``upload``/``uploaded`` or ``capture``/``captured``."""
    from provsim.model import Stage

    word = text.strip().lower()
    return _read(lambda: Stage(Stage.parse({"uploaded": "upload", "captured": "capture"}.get(word, word), "stage")))


def status(text: str) -> Status:
    """``success``, ``a provisioning timeout`` or ``a provisioning failure``."""
    from provsim.model import Status

    word = text.strip().lower().removeprefix("a ").removeprefix("an ")
    if word in ("success", "succeeded", "no error"):
        return Status.SUCCEEDED
    try:
        return Status(Status.parse(word, "outcome"))
    except ProvsimError:
        pytest.fail(
            f"unknown outcome {text!r}: say success, a provisioning timeout or a provisioning failure "
            "(fix the step in the feature file)",
            pytrace=False,
        )
