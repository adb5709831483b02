"""``provsim check``: read image pipeline templates and predict every registration's outcome."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from simulator.errors import ProvsimError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="Packer HCL2 file or folder, Packer JSON template, or AIB template"
    )
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="override a Packer variable (repeatable)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated OS profiles (default 0)")


def parse_variables(pairs: list[str]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ProvsimError(f"--var {pair!r}: expected NAME=VALUE")
        variables[name.strip()] = value
    return variables


def run(args: argparse.Namespace) -> int:
    from simulator.pipeline.check import check_path

    variables = parse_variables(args.var)
    # Read and simulate everything before printing anything: a bad input must not leave half a report.
    reports = [report for path in args.paths for report in check_path(Path(path), variables, args.seed)]
    if args.format == "json":
        print(json.dumps({"pipelines": [r.to_dict() for r in reports]}, indent=2))
    else:
        print("\n\n".join(render_text(r.to_dict()) for r in reports))
    return 0 if all(r.succeeded for r in reports) else 1


def render_text(report: dict[str, Any]) -> str:
    wrap = textwrap.TextWrapper(width=100, initial_indent="      ", subsequent_indent="        ")
    lines = [
        f"{report['path']} ({report['tool']} {report['name']}): {report['os_type']} image, OS {report['os_state']}",
        "  evidence:",
        *(f"    - {item}" for item in report["evidence"]),
        "  registrations:",
    ]
    for registration in report["registrations"]:
        verdict = registration["status"] + (f" ({registration['error_code']})" if registration["error_code"] else "")
        lines.append(f"    {registration['target']} captured as {registration['registered_as']}: {verdict}")
        if registration["error_code"]:
            lines.append(wrap.fill(f"reason: {registration['reason']}"))
            lines.append(wrap.fill(f"resolution: {registration['resolution']}"))
    if not report["registrations"]:
        lines.append("    none")
    if report["findings"]:
        lines.append("  findings:")
        lines += [f"    {f['severity']}: {f['location']}: {f['message']}" for f in report["findings"]]
    return "\n".join(lines)
