"""A virtual clock, so a 40-minute provisioning timeout costs no real time."""

from __future__ import annotations


class VirtualClock:
    """Seconds since the VM creation began; only :meth:`advance` moves it.

    >>> clock = VirtualClock()
    >>> clock.advance(20 * 60)
    >>> clock.now
    1200.0
    """

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self.now += seconds
