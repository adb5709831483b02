"""Figures for the Docker backend: the 8 Linux cells in containers vs the bare Docker work they need.

    python benchmarks/containers.py [--repeat N] [--phases] [--at-once N]

Prints, measured in the same run: the time of the 8 container cells (build
or on-premises machine, real waagent, capture or upload, VM boot with the
real-seconds budget, testinfra evidence), run as provsim runs several cells
(``provsim.containers.cells.run_cells``, a few side by side), and the time of
the bare Docker work the same cells cannot avoid (per cell: start a container,
exec one command, commit, start a container from the commit, remove), done
one cell after another, and their ratio. For comparison it also prints the
same bare work run as many at a time as the cells. The base image build time is printed when it had to be built. With
``--phases``, a table of where the cells' seconds went (``container_phases.py``).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from container_phases import Phases, timed_phases
from measure import Row
from provsim.cells import all_cells
from provsim.containers import base_image
from provsim.containers.cells import CELLS_AT_ONCE, run_cells
from provsim.containers.cleanup import Run
from provsim.containers.engine import connect, labels
from provsim.model import OsType


def bare_docker(run: Run) -> float:
    """Seconds for the minimal Docker work of one cell, with nothing of provsim in between."""
    started = time.monotonic()
    tag = run.image_name("bare")
    repository, name = tag.split(":")
    options = {"detach": True, "network_mode": "none", "labels": labels(run.run_id), "init": True}
    first = run.client.containers.run(run.base_image, ["sleep", "infinity"], **options)
    first.exec_run(["true"])
    first.commit(repository=repository, tag=name)
    second = run.client.containers.run(tag, ["sleep", "infinity"], **options)
    second.exec_run(["true"])
    for container in (first, second):
        container.remove(force=True)
    run.client.images.remove(tag, force=True)
    return time.monotonic() - started


def bare_docker_side_by_side(run: Run, cells: int, at_once: int) -> float:
    """Seconds for the same bare work of ``cells`` cells, ``at_once`` at a time (as the cells run): for comparison."""
    started = time.monotonic()
    with ThreadPoolExecutor(at_once) as pool:
        list(pool.map(lambda _: bare_docker(run), range(cells)))
    return time.monotonic() - started


def rows(repeat: int = 1, phases: bool = False, at_once: int = CELLS_AT_ONCE) -> list[Row]:
    """The containers row of issue 15's table: 8 Linux cells vs the bare Docker work they need."""
    client = connect()
    recipe = base_image.machine_recipe()
    if base_image.find(client, recipe) is None:
        print(f"base image build: {base_image.build(client, recipe):.1f} s")
    else:
        print(f"base image {recipe.tag}: cached (build it afresh with 'provsim base-image build --force')")
    cells = [cell for cell in all_cells() if cell.os_type is OsType.LINUX]
    cell_seconds = bare_seconds = side_by_side_seconds = 0.0
    timing = timed_phases() if phases else nullcontext(Phases())
    with timing as phase_seconds:
        for _ in range(repeat):
            started = time.monotonic()
            with Run.start(client) as run:
                run_cells(run, cells, at_once=at_once)
            # The run's removal counts: a cell is not done before its containers and images are gone.
            cell_seconds += time.monotonic() - started
            with Run.start(client) as run:
                bare_seconds += sum(bare_docker(run) for _ in cells)
            if at_once > 1:
                with Run.start(client) as run:
                    side_by_side_seconds += bare_docker_side_by_side(run, len(cells), at_once)
    if phases:
        print(phase_seconds.table(cell_seconds))
    cells_time, bare_time = cell_seconds / repeat, bare_seconds / repeat
    print(f"8 Linux cells in containers ({at_once} at a time): {cells_time:.1f} s")
    print(f"bare Docker work for 8 cells (start, exec, commit, boot), one after another: {bare_time:.1f} s")
    if at_once > 1:
        # Not the row's figure (the floor is the work itself, done once per cell), but what the same work costs
        # when it too runs side by side: the cells' ratio against it is printed so the table can say both.
        floor = side_by_side_seconds / repeat
        print(f"the same bare work, {at_once} cells at a time: {floor:.1f} s (cells {cells_time / floor:.2f}x that)")
    return [
        Row(
            "8 Linux cells in containers vs the bare Docker work they need",
            f"{cells_time:.1f} s vs {bare_time:.1f} s",
            cells_time / bare_time,
            2.5,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--phases", action="store_true", help="print where the cells' seconds went, phase by phase")
    parser.add_argument(
        "--at-once", type=int, default=CELLS_AT_ONCE, help=f"cells side by side (default {CELLS_AT_ONCE}; 1: in turn)"
    )
    args = parser.parse_args()
    for row in rows(args.repeat, args.phases, args.at_once):
        print(row.line())


if __name__ == "__main__":
    main()
