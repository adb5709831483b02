"""Figures for the simulated default: how long the 16 cells and the simulated suite take here.

Run: ``python benchmarks/suite_speed.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from provsim import all_cells, simulate

ROOT = Path(__file__).resolve().parent.parent


def best_of(runs: int, action: object) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def sixteen_cells() -> None:
    for cell in all_cells():
        simulate(cell, seed=1)


def main() -> None:
    cells = best_of(50, sixteen_cells)
    tracemalloc.start()
    sixteen_cells()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"16 cells in process: median {statistics.median(cells) * 1000:.1f} ms, "
        f"best {min(cells) * 1000:.1f} ms over 50 runs; peak memory {peak / 1024:.0f} KiB"
    )
    print(
        f"simulated time covered by one pass: {sum(simulate(c, seed=1).duration for c in all_cells()) / 60:.0f} minutes"
    )
    # The simulated suite only: container scenarios have their own benchmark (benchmarks/containers.py).
    for target in (["features/cells"], ["simulator", "tests", "features", "-m", "not container"]):
        walls = best_of(
            3,
            lambda t=target: subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *t],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ),
        )
        print(
            f"pytest {' '.join(target)}: wall median {statistics.median(walls):.2f} s "
            f"(best {min(walls):.2f} s, 3 runs, interpreter start included)"
        )


if __name__ == "__main__":
    main()
