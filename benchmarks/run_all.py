"""Every row of issue 15's table, measured in one run, as a Markdown table.

    python benchmarks/run_all.py [--runs N] [--skip-containers] [--skip-10000]

Runs ``check_speed.py``, ``suite_speed.py`` and ``containers.py`` (the
container row needs a Docker engine and the base image, and takes a few
minutes; ``--skip-containers`` leaves it out) and prints their figures, then
the table ``benchmarks/README.md`` keeps. Asserts nothing; the exit status
is 0 whether the goals are met or not.
"""

from __future__ import annotations

import argparse
import platform
import time

import check_speed
import suite_speed
from measure import TABLE_HEADER, Row, child_env
from provsim.pipeline.parallel import usable_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="runs per timing (the best counts), default 10")
    parser.add_argument("--skip-containers", action="store_true", help="leave out the container row (minutes)")
    parser.add_argument("--skip-10000", action="store_true", help="leave out the 10,000-template timing")
    args = parser.parse_args()
    child_env()  # the bytecode folder, made once for every script
    started = time.monotonic()
    rows: list[Row] = [
        *check_speed.rows(args.runs, ten_thousand=not args.skip_10000),
        *suite_speed.rows(args.runs),
    ]
    if not args.skip_containers:
        import containers

        rows += containers.rows()
    print(f"\n{usable_cores()} cores, Python {platform.python_version()}, {time.monotonic() - started:.0f} s\n")
    print(TABLE_HEADER)
    for row in rows:
        print(row.line())


if __name__ == "__main__":
    main()
