"""Where a container cell's seconds go: each Docker call and phase of the cells, timed with time.monotonic.

The cells' code is left as it is: for the length of :func:`timed_phases`, the
functions the cells call are wrapped (by name, in the modules that call them)
with a timer. Phases nest (a boot starts a machine, waits for the agent and
reads the evidence), so each phase is charged only its own seconds, its inner
phases' taken off; "other" is what no phase covers inside a cell (the agents'
execs during the platform's VM creation, Faker profiles, the platform's Python
conversation). Cells run side by side (``run_cells``), each in its own
thread, so the seconds are summed over the cells and can exceed the wall time.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from provsim.containers import boot, cells, cleanup, machine

#: (module, attribute, phase): the calls that a cell's seconds are spent in.
WRAPPED: tuple[tuple[Any, str, str], ...] = (
    (machine, "release", "releaser container (/etc unmount)"),
    (cells, "replay", "on-premises disk replayed (exec)"),
    (cells, "waagent_deprovision", "waagent deprovision (exec)"),
    (cells, "observe", "evidence via testinfra"),
    (boot, "observe", "evidence via testinfra"),
    (cells, "capture", "capture (docker commit)"),
    (cells, "upload", "upload (docker commit)"),
    (cells, "retire", "retire source VM (kill)"),
    (boot, "_wait_ready", "wait for the ready report"),
    (cleanup.Run, "remove_all", "removal of the run's containers and images"),
)
REMOVAL = WRAPPED[-1][2]


class Phases:
    """Seconds per phase, each phase charged its own time only, summed over the threads that ran cells."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cell_seconds = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()  # per thread: the inner phases' seconds of each open phase

    def _stack(self) -> list[float]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        stack: list[float] = self._local.stack
        return stack

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack = self._stack()
            stack.append(0.0)
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.monotonic() - started
                inner = stack.pop()
                with self._lock:
                    self.seconds[phase] += spent - inner
                if stack:
                    stack[-1] += spent

        return timed

    def wrap_cell(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.cell_seconds += time.monotonic() - started

        return timed

    def table(self, wall: float) -> str:
        """A Markdown table of the phases, largest first, with what no phase covers inside the cells as "other"."""
        lines = ["| phase | seconds (summed over the 8 cells) | share |", "|---|---|---|"]
        outside = self.seconds.get(REMOVAL, 0.0)
        covered = sum(self.seconds.values()) - outside
        total = self.cell_seconds + outside
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])
        rows = [*ranked, ("other (agents' execs, Faker, platform)", self.cell_seconds - covered)]
        for phase, seconds in rows:
            lines.append(f"| {phase} | {seconds:.1f} | {100 * seconds / total:.0f}% |")
        lines.append(f"| total (cells' seconds and the removal) | {total:.1f} | 100% |")
        lines.append(f"| wall time (cells side by side) | {wall:.1f} | |")
        return "\n".join(lines)


@contextmanager
def timed_phases() -> Iterator[Phases]:
    """Time the cells' phases while the block runs."""
    phases = Phases()
    with ExitStack() as stack:
        for owner, name, phase in WRAPPED:
            stack.enter_context(mock.patch.object(owner, name, phases.wrap(phase, getattr(owner, name))))
        # Docker's create and start, the container's /etc restored (execs); the releaser is timed apart.
        stack.enter_context(
            mock.patch.object(machine, "start", phases.wrap("container create/start, /etc restored", machine.start))
        )
        stack.enter_context(mock.patch.object(cells, "run_cell", phases.wrap_cell(cells.run_cell)))
        yield phases
