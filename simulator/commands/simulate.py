"""``provsim simulate``: one VM creation with its timeline."""

from __future__ import annotations

import argparse
import json

from ..cells import Cell, simulate
from ..model import OsState, OsType, Stage
from ..render import render_timeline


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--os", required=True, choices=[t.value for t in OsType], dest="os_type")
    parser.add_argument("--os-state", required=True, choices=[s.value for s in OsState])
    parser.add_argument("--stage", required=True, choices=[s.value for s in Stage])
    parser.add_argument("--as", required=True, choices=[s.value for s in OsState], dest="registered_as")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated OS profiles (default 0)")


def run(args: argparse.Namespace) -> int:
    cell = Cell(OsType(args.os_type), OsState(args.os_state), Stage(args.stage), OsState(args.registered_as))
    outcome = simulate(cell, seed=args.seed)
    if args.format == "json":
        document = {
            "os_state": cell.os_state.value,
            **outcome.to_dict(),
            "duration_seconds": outcome.duration,
            "seed": args.seed,
            "timeline": [{"at": e.at, "actor": e.actor, "text": e.text} for e in outcome.timeline.events],
        }
        if outcome.source_vm is not None:
            document["source_vm"] = {"usable": outcome.source_vm.usable, "reason": outcome.source_vm.reason}
        print(json.dumps(document, indent=2))
    else:
        print(render_timeline(cell, outcome, args.seed))
    return 0 if outcome.succeeded else 1
