"""Figures for ``provsim check``, whole processes as a user runs them; prints, asserts nothing.

    python benchmarks/check_speed.py [--runs N] [--skip-10000]

Rows of issue 15's table, each a ratio of timings taken in this run:

- one HCL template, and one Packer JSON and one AIB template, vs a bare
  interpreter start (``python -c pass``), with provsim's caches filled as
  after any earlier check (the HCL parser, the compiled dataclass methods:
  ``simulator/startup.py``), and also printed for a first start, with them
  empty;
- one ARM file with 1000 and with 10,000 Azure Image Builder image templates
  vs the same file with one (``benchmarks/inputs.py``);
- peak memory of ``check`` on the largest inputs under the size limits: the
  10,000-template ARM file (8 MiB, the file limit) and an HCL template at the
  256 KiB HCL limit. Both the largest single process (``wait4``) and the
  largest sum over the process and its pool's workers (sampled) are shown.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from inputs import arm_file, largest_hcl
from measure import Row, best_times, child_env, run

PROVSIM = [sys.executable, "-m", "provsim.cli", "check"]
ONE_HCL = "fixtures/packer/web.pkr.hcl"
ONE_JSON = ("fixtures/packer/linux-vhd.json", "fixtures/aib/windows-arm.json")
MIB = 1024 * 1024


def start_rows(runs: int) -> list[Row]:
    """One template, whole process, vs a bare interpreter start."""
    commands = {"bare": [sys.executable, "-c", "pass"], ONE_HCL: [*PROVSIM, ONE_HCL]}
    commands.update({template: [*PROVSIM, template] for template in ONE_JSON})
    times = best_times(commands, runs)
    bare = times["bare"]
    print(f"bare interpreter start: best of {runs} runs {bare * 1000:.0f} ms")
    for name, seconds in times.items():
        if name != "bare":
            print(f"provsim check {name}: best {seconds * 1000:.0f} ms ({seconds / bare:.1f}x)")
    slowest_json = max(ONE_JSON, key=lambda template: times[template])
    first = first_start(ONE_JSON[0], runs)
    print(
        f"provsim check {ONE_JSON[0]}, first start (provsim's cache folder empty, filled by this run): "
        f"best {first * 1000:.0f} ms ({first / bare:.1f}x)"
    )
    return [
        Row(
            "`provsim check` of one HCL template vs a bare interpreter",
            f"{times[ONE_HCL] * 1000:.0f} ms vs {bare * 1000:.0f} ms",
            times[ONE_HCL] / bare,
            6,
        ),
        Row(
            "`provsim check` of one JSON/AIB template vs a bare interpreter",
            f"{times[slowest_json] * 1000:.0f} ms ({Path(slowest_json).name}) vs {bare * 1000:.0f} ms",
            times[slowest_json] / bare,
            4,
        ),
    ]


def first_start(template: str, runs: int) -> float:
    """The best time of a check whose cache folder (``XDG_CACHE_HOME``) is new and empty, as after an install."""
    best = float("inf")
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="provsim-bench-cache-") as cache:
            best = min(best, run([*PROVSIM, template], env=child_env(XDG_CACHE_HOME=cache)).seconds)
    return best


COMPONENTS = """\
import time
from provsim.model import OsType
started = time.perf_counter()
from provsim.profile import generate_profile
generate_profile(OsType.LINUX, 0)
faker = time.perf_counter() - started
import hcl2.parser
started = time.perf_counter()
hcl2.parser.parser()
own = time.perf_counter() - started
from provsim.pipeline import hcl_grammar
started = time.perf_counter()
hcl_grammar._from_cache()
cached = time.perf_counter() - started
print(f"{faker * 1000:.0f} {own * 1000:.0f} {cached * 1000:.0f}")
"""


def start_components(runs: int) -> None:
    """Where a check's start goes, in a fresh interpreter each time: Faker as a profile loads it, the HCL parser."""
    best = [float("inf")] * 3
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-c", COMPONENTS], env=child_env(), capture_output=True, text=True)
        best = [min(old, float(new)) for old, new in zip(best, result.stdout.split(), strict=True)]
    print(
        f"in a fresh interpreter (best of {runs}): the first OS profile (Faker's generator and the providers it "
        f"draws from) {best[0]:.0f} ms; python-hcl2's parser "
        f"from python-hcl2's own cache {best[1]:.0f} ms, from provsim's {best[2]:.0f} ms"
    )


def many_rows(folder: Path, runs: int, *, ten_thousand: bool = True) -> list[Row]:
    """One ARM file of 1000 (and 10,000) image templates vs the same file with one."""
    counts = [1, 1000, *([10_000] if ten_thousand else [])]
    files = {count: arm_file(count, folder) for count in counts}
    # One template and 1000 take turns, so that a busy moment slows both; 10,000 (seconds a run) is run fewer times.
    times = best_times({"one": [*PROVSIM, str(files[1])], "1000": [*PROVSIM, str(files[1000])]}, runs)
    one = times["one"]
    if 10_000 in files:
        times["10000"] = best_times({"10000": [*PROVSIM, str(files[10_000])]}, max(2, runs // 3))["10000"]
    rows = []
    for count, goal in ((1000, 3), (10_000, 30)):
        if count not in files:
            continue
        seconds = times[str(count)]
        print(f"provsim check of {count} image templates in one ARM file: {seconds:.2f} s ({seconds / one:.1f}x one)")
        rows.append(
            Row(
                f"one ARM file with {count:,} image templates vs one template",
                f"{seconds:.2f} s vs {one:.2f} s",
                seconds / one,
                goal,
            )
        )
    return rows


def memory_row(folder: Path) -> Row:
    """Peak memory of ``check`` on the largest inputs under the limits (the larger of the two is the row)."""
    inputs = {"10,000-template ARM file": arm_file(10_000, folder), "256 KiB HCL template": largest_hcl(folder)}
    peaks = {}
    for name, path in inputs.items():
        finished = run([*PROVSIM, str(path), "--format", "json"], sample=True)
        peaks[name] = finished
        print(
            f"peak memory of check on the {name} ({path.stat().st_size / MIB:.1f} MiB): largest process "
            f"{finished.peak_rss / MIB:.0f} MiB, all processes together {finished.peak_tree_rss / MIB:.0f} MiB "
            f"({finished.seconds:.1f} s)"
        )
    worst = max(peaks, key=lambda name: peaks[name].peak_rss)
    return Row(
        "peak memory of `check` on the largest input under the size limit (largest process)",
        f"{worst}; all processes together {peaks[worst].peak_tree_rss / MIB:.0f} MiB",
        peaks[worst].peak_rss / MIB,
        150,
        " MiB",
    )


def rows(runs: int, *, ten_thousand: bool = True) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="provsim-bench-") as folder:
        start_components(runs)
        return [
            *start_rows(runs),
            *many_rows(Path(folder), max(3, runs // 3), ten_thousand=ten_thousand),
            memory_row(Path(folder)),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="runs per timing (the best counts), default 10")
    parser.add_argument(
        "--skip-10000",
        action="store_true",
        help="leave out the timing of the 10,000-template file (its memory is still measured)",
    )
    args = parser.parse_args()
    for row in rows(args.runs, ten_thousand=not args.skip_10000):
        print(row.line())


if __name__ == "__main__":
    main()
