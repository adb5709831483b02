"""What every benchmark here shares: processes timed as a user runs them, and one row of the issue's table.

Each figure is a ratio of two timings taken in the same run, on the same
machine, so that a slower or busier machine changes both sides. Child
processes run with their bytecode cached, as an installed provsim does:
a development shell may set ``PYTHONDONTWRITEBYTECODE=1``, which would make
every start compile provsim's modules again (60 ms here) and measure the
shell rather than provsim. The cache goes to a temporary folder
(``PYTHONPYCACHEPREFIX``), never into the work tree, and the first run of
each command is a warm-up that is not counted; a figure is the best of its
runs (see :func:`best_times`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PYCACHE: list[str] = []


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a timed process: this one's, with bytecode cached outside the work tree."""
    if not _PYCACHE:
        folder = tempfile.mkdtemp(prefix="provsim-bench-pycache-")
        atexit.register(shutil.rmtree, folder, True)
        _PYCACHE.append(folder)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE[0]
    env.update(extra)
    return env


@dataclass(frozen=True)
class Finished:
    """One process's wall time and memory."""

    seconds: float
    returncode: int
    peak_rss: int
    """The largest resident set of the process or of any one of its children, in bytes (``wait4``)."""
    peak_tree_rss: int
    """The largest memory of the process and its children together (their Pss: shared pages counted once),
    sampled every 10 ms, in bytes; 0 when not sampled."""
    cpu_seconds: float = 0.0
    """User and system CPU time of the process and the children it waited for (``wait4``): less moved by other
    work on the machine than the wall time, though not untouched (caches, frequency)."""


def run(argv: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None, sample: bool = False) -> Finished:
    """Run ``argv`` to its end, output discarded; wall time and peak memory.

    ``sample``: also follow the memory of the whole process tree (a thread reading /proc every 10 ms, which
    costs the timed process some CPU: only for the memory figures).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env or child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    sampler = _TreeSampler(process.pid)
    if sample:
        sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if sample:
        sampler.stop.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux (getrusage(2)).
    cpu = usage.ru_utime + usage.ru_stime
    return Finished(seconds, process.returncode, usage.ru_maxrss * 1024, sampler.peak, cpu)


def best_times(commands: dict[str, list[str]], runs: int, *, cwd: Path = ROOT) -> dict[str, float]:
    """The best wall time of each command over ``runs`` runs, the commands' runs interleaved.

    The best, not the median: on a machine that other work shares (CI runners, a team's build host),
    a run can only be slowed down by it, so the fastest run is the closest to the command's own cost;
    interleaving makes a busy moment hit every command alike. One warm-up run each is not counted
    (bytecode, page cache, provsim's parser cache).
    """
    for argv in commands.values():
        run(argv, cwd=cwd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run(argv, cwd=cwd).seconds)
    return {name: min(values) for name, values in times.items()}


@dataclass(frozen=True)
class Row:
    """One row of the issue's table: what was measured, the ratio (or figure) and the goal."""

    what: str
    measured: str
    value: float
    goal: float
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.value <= self.goal

    def line(self) -> str:
        verdict = "met" if self.met else "NOT MET"
        figure = f"{self.value:.2f}{self.unit}"
        return f"| {self.what} | {self.measured} | {figure} | <= {self.goal:g}{self.unit} | {verdict} |"


TABLE_HEADER = "| what | measured | figure | goal | |\n|---|---|---|---|---|"


class _TreeSampler(threading.Thread):
    """The peak of the summed Pss of a process and its descendants (a process pool), read from /proc."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.01):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    found = [pid]
    for current in found:
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                found.extend(int(child) for child in children)
        except OSError:  # gone meanwhile
            continue
    return found


def _rss(pid: int) -> int:
    """The process's proportional set size: pages shared with the rest of the tree counted once over all.

    A pool's workers are forked from the reading process and share its pages until they write them; their
    resident sets would count those pages once per worker. Pss (``/proc/PID/smaps_rollup``, Linux 4.14)
    divides each page among the processes that share it; VmRSS where there is no Pss.
    """
    for source, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            for line in Path(source).read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0
