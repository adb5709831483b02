"""Reading the words of step sentences into provsim's value types."""

from __future__ import annotations

from simulator import OsState, OsType, Stage, Status


def os_type(text: str) -> OsType:
    """``Linux`` or ``Windows`` (any case)."""
    return OsType(OsType.parse(text, "OS type"))


def os_state(text: str) -> OsState:
    """``generalized`` or ``specialized``."""
    return OsState(OsState.parse(text, "OS state"))


def stage(text: str) -> Stage:
    """``upload``/``uploaded`` or ``capture``/``captured``."""
    word = text.strip().lower()
    return Stage(Stage.parse({"uploaded": "upload", "captured": "capture"}.get(word, word), "stage"))


def status(text: str) -> Status:
    """``success``, ``a provisioning timeout`` or ``a provisioning failure``."""
    word = text.strip().lower().removeprefix("a ").removeprefix("an ")
    if word in ("success", "succeeded", "no error"):
        return Status.SUCCEEDED
    return Status(Status.parse(word, "outcome"))
