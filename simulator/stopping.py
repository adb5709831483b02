"""Stop signals as exceptions, so that every cleanup on the way out runs.

CI cancels a job with SIGTERM, a closed terminal sends SIGHUP; Python's
default for both is to die at once, skipping every ``finally`` and ``with``:
containers, images and provisioning media would stay behind. Inside
:func:`stop_signals_raise` they raise :class:`Stopped` instead, a
``KeyboardInterrupt``, so they take the path Ctrl-C takes (pytest, too, tears
its fixtures down on it).

    >>> import os, signal
    >>> with stop_signals_raise():
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...     except Stopped as stop:
    ...         print(stop.name, stop.exit_status)
    SIGTERM 143
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

#: The signals that stop provsim besides SIGINT (which Python already raises as KeyboardInterrupt).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal received while provsim worked."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        """128 + the signal's number, as a shell reports a process the signal ended."""
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


Handler = Callable[[int, FrameType | None], Any] | int | None


def install() -> dict[int, Handler]:
    """Make the stop signals raise :class:`Stopped` where nobody else handles them; returns what to restore.

    Handlers a program installed itself are left alone. Outside the main thread
    signals cannot be handled, and nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Handler] = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) in (signal.SIG_DFL, None):
            previous[signum] = signal.signal(signum, _raise)
    return previous


def restore(previous: dict[int, Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` (see the module docstring)."""
    previous = install()
    try:
        yield
    finally:
        restore(previous)


@contextmanager
def held() -> Iterator[None]:
    """Hold off SIGINT and the stop signals while a cleanup runs; the first one held is raised after it.

    A second Ctrl-C, or CI's SIGTERM following it, must not cut the cleanup short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in (signal.SIGINT, *STOP_SIGNALS)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        if caught:
            if caught[0] == signal.SIGINT:
                raise KeyboardInterrupt
            raise Stopped(caught[0])
