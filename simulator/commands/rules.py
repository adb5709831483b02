"""``provsim rules``: every rule a finding can carry, with what it checks, why, the fix and the source."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ..rules import RULES, Rule


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps({"rules": [asdict(rule) for rule in RULES]}, indent=2))
    elif args.format == "markdown":
        print(markdown())
    else:
        print("\n\n".join(_text(rule) for rule in RULES))
    return 0


def markdown() -> str:
    """The rules as a Markdown table (id, name, severity, what it checks, fix)."""
    rows = ["| id | name | severity | what it checks | fix |", "| --- | --- | --- | --- | --- |"]
    rows += [f"| {r.id} | `{r.name}` | {r.severity} | {r.summary} | {r.fix} |".replace("\n", " ") for r in RULES]
    return "\n".join(rows)


def _text(rule: Rule) -> str:
    return "\n".join(
        [
            f"{rule.id} {rule.name} ({rule.severity})",
            f"  checks:  {rule.summary}",
            f"  why:     {rule.rationale}",
            f"  fires:   {rule.example}",
            f"  fix:     {rule.fix}",
            f"  source:  {rule.source}",
        ]
    )
