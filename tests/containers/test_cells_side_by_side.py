"""The Linux cells run side by side in one run (run_cells): the simulator's answers, and nothing left behind."""

from __future__ import annotations

import _thread
import threading
from typing import Any

import pytest
from provsim.cells import Cell, all_cells, simulate
from provsim.containers.cells import run_cells
from provsim.containers.cleanup import Run
from provsim.errors import ProvsimError
from provsim.model import OsType

pytestmark = pytest.mark.container

LINUX_CELLS = [cell for cell in all_cells() if cell.os_type is OsType.LINUX]


def test_the_eight_linux_cells_side_by_side_agree_with_the_simulator(docker_run: Any) -> None:
    results = run_cells(docker_run, LINUX_CELLS, seed=2, at_once=4)
    assert [result.cell for result in results] == LINUX_CELLS, "results come back in the cells' order"
    for cell, result in zip(LINUX_CELLS, results, strict=True):
        expected = simulate(cell, seed=2)
        assert (result.outcome.status, result.outcome.error_code) == (expected.status, expected.error_code), cell
        assert result.evidence.os_state is cell.os_state, cell
        assert result.registered_as is cell.registered_as
    assert len({result.image.tag for result in results}) == len(results), "each registration has its own image"


def test_a_failing_cell_stops_the_others_and_the_run_leaves_nothing(docker_engine: tuple[Any, str]) -> None:
    client, base = docker_engine
    windows: Cell = next(cell for cell in all_cells() if cell.os_type is OsType.WINDOWS)
    cells = [*LINUX_CELLS[:3], windows]
    run = Run(client, base)
    with pytest.raises(ProvsimError, match="Linux cells only"), run:
        run_cells(run, cells, at_once=4)
    assert run.leftovers() == ([], [])
    with pytest.raises(ProvsimError, match="is stopping"):
        run.machine(base, role="vm")


def test_ctrl_c_while_cells_run_side_by_side_leaves_nothing(docker_engine: tuple[Any, str]) -> None:
    client, base = docker_engine
    run = Run(client, base)
    threading.Timer(3.0, _thread.interrupt_main).start()  # Ctrl-C, as the main thread receives it
    with pytest.raises(KeyboardInterrupt), run:
        run_cells(run, LINUX_CELLS, at_once=4)
    assert run.leftovers() == ([], [])
