"""A deadline for anything done to a container, enforced by the engine.

A template's step may never return, and after it has run, every program in
the container is the template's to replace: provsim's own ``cat`` or
testinfra's ``stat`` may hang too. No command inside the container can be
trusted to stop them, so the deadline is kept outside: when it passes, the
engine kills the container, which ends every process in it and unblocks
whatever provsim was waiting on.

    with Watchdog(container, 60) as watch:
        container.exec_run(...)
    if watch.fired: ...   # the container was killed at the deadline
"""

from __future__ import annotations

import threading
from contextlib import suppress
from types import TracebackType
from typing import Any


class Watchdog:
    """Kill ``container`` if the block has not finished within ``seconds``."""

    def __init__(self, container: Any, seconds: float) -> None:
        self.container = container
        self.seconds = seconds
        self.fired = False
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.daemon = True

    def _kill(self) -> None:
        self.fired = True
        with suppress(Exception):  # already stopped or removed: nothing left to end
            self.container.kill()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._timer.cancel()
        if self.fired:
            # The kill may still be on its way; what follows must see the container stopped.
            self._timer.join(30)
