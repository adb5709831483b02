"""Rendering outcomes for people (table, markdown, text) and for scripts (JSON)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

from .cells import Cell
from .outcome import Outcome


def matrix_row(cell: Cell, outcome: Outcome) -> dict[str, str | None]:
    """One cell in the JSON contract of ``provsim matrix``."""
    row = outcome.to_dict()
    return {
        "os_type": row["os_type"],
        "os_state": cell.os_state.value,
        "stage": row["stage"],
        "registered_as": row["registered_as"],
        "status": row["status"],
        "error_code": row["error_code"],
        "reason": row["reason"],
        "resolution": row["resolution"],
    }


def render_outcomes(outcomes: Sequence[tuple[Cell, Outcome]], fmt: str) -> str:
    rows = [matrix_row(cell, outcome) for cell, outcome in outcomes]
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "markdown":
        lines = [
            "| OS | OS state | stage | registered as | status | error code | reason | resolution |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            cells = [str(row[key] or "") for key in row]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(lines)
    header = f"{'OS':<8}{'OS state':<13}{'stage':<9}{'registered as':<15}{'status':<22}{'error code':<27}"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['os_type']:<8}{row['os_state']:<13}{row['stage']:<9}{row['registered_as']:<15}"
            f"{row['status']:<22}{row['error_code'] or '-':<27}"
        )
        indent = " " * 8
        lines.append(textwrap.fill(f"reason: {row['reason']}", 110, initial_indent=indent, subsequent_indent=indent))
        if row["resolution"]:
            lines.append(
                textwrap.fill(f"resolution: {row['resolution']}", 110, initial_indent=indent, subsequent_indent=indent)
            )
    return "\n".join(lines)


def render_timeline(cell: Cell, outcome: Outcome, seed: int) -> str:
    title = (
        f"{cell.os_type.display} image whose OS is {cell.os_state.value}, {cell.stage.value}"
        f"{'ed' if cell.stage.value == 'upload' else 'd'} as {cell.registered_as.value} (seed {seed})"
    )
    lines = [title, ""]
    lines += [event.render() for event in outcome.timeline.events]
    lines += ["", f"status:     {outcome.status.value}"]
    if outcome.error_code:
        lines.append(f"error code: {outcome.error_code.value}")
    lines.append(textwrap.fill(f"reason:     {outcome.reason}", 100, subsequent_indent=" " * 12))
    if outcome.resolution:
        lines.append(textwrap.fill(f"resolution: {outcome.resolution}", 100, subsequent_indent=" " * 12))
    if outcome.source_vm is not None:
        state = "usable" if outcome.source_vm.usable else "not usable"
        lines.append(textwrap.fill(f"source VM:  {state}: {outcome.source_vm.reason}", 100, subsequent_indent=" " * 12))
    lines.append(f"duration:   {outcome.duration / 60:.1f} minutes (virtual)")
    return "\n".join(lines)
