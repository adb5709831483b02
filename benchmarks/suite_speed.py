"""Figures for pytest with provsim installed, and for the simulated default; prints, asserts nothing.

    python benchmarks/suite_speed.py [--runs N]

Rows of issue 15's table, each a ratio of timings taken in this run:

- pytest's start with provsim's plugin vs without it (``-p no:provsim``),
  in an empty project of one trivial test: what every pytest run of a
  repository that installs provsim pays, used or not;
- the simulated suite (``pytest features/ -m "not container"``) vs pytest's
  own start (the same empty project, without provsim's plugin).

Also printed: the 16 cells in process, and the whole suite without the
container scenarios (they have their own benchmark, ``containers.py``).

The three commands take turns, and the order of a round is reversed in the
next one (:func:`in_turns`): with a fixed order the same command always runs
right after the same other one, and one run of "with provsim first" gave
1.04x where another gave 1.31x. Each figure is the best of its runs; the
load average before and after is printed with them, since a busy machine
moves the start-up ratio by more than the plugin costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from measure import ROOT, Row, run
from provsim import all_cells, simulate

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


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


def in_process_figures() -> None:
    cells = best_of(50, sixteen_cells)
    tracemalloc.start()
    sixteen_cells()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"16 cells in process: median {statistics.median(cells) * 1000:.1f} ms, "
        f"best {min(cells) * 1000:.1f} ms over 50 runs; peak memory {peak / 1024:.0f} KiB"
    )


def in_turns(commands: dict[str, tuple[list[str], Path]], runs: int) -> dict[str, tuple[float, float]]:
    """The best wall time and the best CPU time of each command (argv, folder) over ``runs`` rounds.

    The order is reversed every other round. One warm-up run each is not
    counted (bytecode, page cache, provsim's parser cache).
    """
    for argv, cwd in commands.values():
        run(argv, cwd=cwd)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    names = list(commands)
    for turn in range(runs):
        for name in names if turn % 2 == 0 else reversed(names):
            argv, cwd = commands[name]
            finished = run(argv, cwd=cwd)
            times[name].append((finished.seconds, finished.cpu_seconds))
    return {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in times.items()}


def load_average() -> str:
    """The 1-minute load average (``/proc/loadavg``), or ``?`` where there is none."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def pytest_rows(runs: int) -> list[Row]:
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="provsim-bench-empty-") as folder:
        empty = Path(folder)
        (empty / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
        simulated = [*PYTEST, "features", "-m", "not container"]
        best = in_turns(
            {
                "with": (PYTEST, empty),
                "without": ([*PYTEST, "-p", "no:provsim"], empty),
                "features": (simulated, ROOT),
            },
            runs,
        )
    starts = {name: wall for name, (wall, _) in best.items()}
    cpu = {name: seconds for name, (_, seconds) in best.items()}
    suite = starts["features"]
    print(
        f"pytest start in an empty project: {starts['with']:.3f} s with provsim's plugin, "
        f"{starts['without']:.3f} s without (best of {runs}, in turns; load average {before} -> {load_average()}); "
        f"CPU time {cpu['with']:.3f} s vs {cpu['without']:.3f} s ({cpu['with'] / cpu['without']:.2f}x)"
    )
    print(
        f"pytest features/ -m 'not container': {suite:.2f} s (best of {runs}, in the same turns); "
        f"CPU time {cpu['features']:.2f} s ({cpu['features'] / cpu['without']:.2f}x the start without the plugin)"
    )
    everything = run([*PYTEST, "simulator", "tests", "features", "-m", "not container"])
    print(f"pytest simulator tests features -m 'not container': {everything.seconds:.1f} s (one run)")
    return [
        Row(
            "pytest start with provsim installed vs without its plugin",
            f"{starts['with']:.3f} s vs {starts['without']:.3f} s",
            starts["with"] / starts["without"],
            1.1,
        ),
        Row(
            "the simulated suite (`pytest features/ -m 'not container'`) vs pytest's own start",
            f"{suite:.2f} s vs {starts['without']:.3f} s",
            suite / starts["without"],
            1.5,
        ),
    ]


def rows(runs: int) -> list[Row]:
    in_process_figures()
    return pytest_rows(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="runs per timing (the best counts), default 10")
    args = parser.parse_args()
    for row in rows(args.runs):
        print(row.line())


if __name__ == "__main__":
    main()
