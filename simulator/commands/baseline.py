"""``provsim baseline``: a regression suite for pipeline changes.

    provsim baseline record images/ -o baseline.json          # on the main branch
    provsim baseline diff images/ --against baseline.json     # on a pull request: exit 1 when anything changed

``record`` writes every pipeline's OS state, each registration's status and
its findings' keys (:mod:`provsim.baseline`); ``diff`` reads the same paths
again and prints pipeline, registration, from and to for every change. The
reading is ``provsim check``'s own, with its variables (``--var``,
``--var-file``, ``PKR_VAR_*``): pass the same ones to both.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProvsimError
from ..model import OsState
from .check import add_reading_arguments, masked, parse_variables

if TYPE_CHECKING:
    from ..baseline import Change


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    record = actions.add_parser("record", help="write every pipeline's expected outcome to a baseline file")
    add_reading_arguments(record, paths="+")
    record.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the baseline file to write")
    against = actions.add_parser("diff", help="exit 1 and show what changed when a pipeline no longer does as recorded")
    add_reading_arguments(against, paths="+")
    against.add_argument("--against", type=Path, required=True, metavar="FILE", help="the baseline file 'record' wrote")
    against.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from .. import baseline

    if args.action == "record" and (args.output.is_dir() or not args.output.parent.is_dir()):
        # Checked before any reading: the work must not end in a file that cannot be written.
        raise ProvsimError(f"{args.output}: not a file in an existing folder; pass a path such as baseline.json")
    # The baseline is read first: a missing one is the commonest mistake, and says so before any work.
    recorded = baseline.load(args.against) if args.action == "diff" else None
    documents = check_documents(args)
    current = baseline.record(documents, base=Path.cwd(), recorded_with=tuple(reading_options(args)))
    if recorded is None:
        try:
            args.output.write_text(current.to_json(), encoding="utf-8")
        except OSError as error:
            raise ProvsimError(
                f"{args.output}: cannot write the baseline ({error.strerror}); pass a writable file"
            ) from None
        count = len(current.pipelines)
        print(f"provsim baseline: recorded {count} pipeline{'' if count == 1 else 's'} in {args.output}")
        return 0
    changes = baseline.diff(recorded, current, details=baseline.details_of(documents, Path.cwd()))
    if args.format == "json":
        print(json.dumps({"baseline": str(args.against), "changes": [c.to_dict() for c in changes]}, indent=2))
    else:
        print(render_changes(changes, args))
    return 1 if changes else 0


def check_documents(args: argparse.Namespace) -> list[dict[str, Any]]:
    """``provsim check``'s JSON documents of ``args.paths`` (memory backend), sensitive values masked."""
    from ..pipeline.check import check_path

    variables = parse_variables(args.var, args.var_file)
    vhd_as = OsState(args.register_vhd_as) if args.register_vhd_as else None
    reports = [
        report
        for path in args.paths
        for report in check_path(Path(path), variables, 0, vhd_as, linux_agent=args.linux_agent)
    ]
    secrets = frozenset(value for report in reports for value in report.pipeline.sensitive)
    # A baseline is committed to the repository: no sensitive value may reach it, even inside a target's name.
    return [masked(report.to_dict(), secrets) for report in reports]


def render_changes(changes: list[Change], args: argparse.Namespace) -> str:
    """One line per change (``pipeline: registration: from -> to``), then one line of verdict."""
    if not changes:
        return f"provsim baseline: nothing changed against {args.against}"
    lines = []
    for change in changes:
        lines.append(str(change))
        if change.detail:
            lines.append(f"  {change.detail}")
    again = shlex.join(["provsim", "baseline", "record", *reading_options(args), "-o", str(args.against)])
    noun = "change" if len(changes) == 1 else "changes"
    lines.append(f"provsim baseline: {len(changes)} {noun} against {args.against}; if intended, record again: {again}")
    return "\n".join(lines)


def reading_options(args: argparse.Namespace) -> list[str]:
    """The paths and options of this run, so that the command to record again reads the same."""
    options = list(args.paths)
    for pair in args.var:
        options += ["--var", pair]
    for file in args.var_file:
        options += ["--var-file", str(file)]
    if args.register_vhd_as:
        options += ["--register-vhd-as", args.register_vhd_as]
    if args.linux_agent:
        options += ["--linux-agent", args.linux_agent]
    return options
