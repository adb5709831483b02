"""``provsim matrix``: the seed's table, produced by the simulator."""

from __future__ import annotations

import argparse

from ..cells import all_cells, simulate
from ..render import render_outcomes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated OS profiles (default 0)")


def run(args: argparse.Namespace) -> int:
    outcomes = [(cell, simulate(cell, seed=args.seed)) for cell in all_cells()]
    print(render_outcomes(outcomes, args.format))
    return 0
