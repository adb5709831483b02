"""Figures for ``provsim check``: wall time of one template, whole process, as a user runs it.

Run: ``python benchmarks/check_speed.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ["fixtures/packer/web.pkr.hcl", "fixtures/packer/linux-vhd.json", "fixtures/aib/windows-arm.json"]
RUNS = 10


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    python = [sys.executable, "-c", "pass"]
    baseline = statistics.median(wall(python) for _ in range(RUNS))
    print(f"bare interpreter start: median {baseline * 1000:.0f} ms over {RUNS} runs")
    for template in TEMPLATES:
        times = [wall([sys.executable, "-m", "provsim.cli", "check", template]) for _ in range(RUNS)]
        median = statistics.median(times)
        print(
            f"provsim check {template}: median {median * 1000:.0f} ms, best {min(times) * 1000:.0f} ms "
            f"over {RUNS} runs ({median / baseline:.1f}x a bare interpreter start)"
        )
    in_process = []
    from provsim.pipeline.check import check_path

    check_path(ROOT / TEMPLATES[0])  # warm: imports and the HCL grammar
    for _ in range(RUNS):
        start = time.perf_counter()
        check_path(ROOT / TEMPLATES[0])
        in_process.append(time.perf_counter() - start)
    print(f"check_path({TEMPLATES[0]}) in process, warm: median {statistics.median(in_process) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
