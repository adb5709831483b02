"""Silencing a rule where the template says so: ``# provsim: ignore PSIM005`` and ``# provsim: ignore-file PSIM005``.

A comment ``provsim: ignore ID[, ID...]`` (after ``#`` or ``//``) silences
those rules on the block that starts on its line or the next one (a
provisioner, a customizer), or on that one line when no block starts there.
``provsim: ignore-file ID`` silences them in the whole file. JSON has no
comments: there, ``provsim check --ignore ID`` is the way.

    >>> text = 'build {\\n  # provsim: ignore PSIM005\\n  provisioner "shell" {\\n    inline = ["x"]\\n  }\\n}\\n'
    >>> sorted(read_suppressions(text).lines["PSIM005"])
    [2, 3, 4, 5]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import ProvsimError
from .findings import Finding
from .sources import read_text

_COMMENT = re.compile(r"(?:#|//)\s*provsim:\s*(ignore-file|ignore)\s+([A-Za-z0-9_., -]+)")


@dataclass
class Suppressions:
    """Rule ids silenced in a whole file, and per line."""

    whole_file: set[str] = field(default_factory=set)
    lines: dict[str, set[int]] = field(default_factory=dict)

    def silences(self, rule: str, line: int | None) -> bool:
        if rule in self.whole_file:
            return True
        return line is not None and line in self.lines.get(rule, set())


def read_suppressions(text: str) -> Suppressions:
    """The suppression comments of one file's text."""
    found = Suppressions()
    rows = text.splitlines()
    for number, row in enumerate(rows, start=1):
        match = _COMMENT.search(row)
        if match is None:
            continue
        ids = {word.upper() for word in re.split(r"[\s,]+", match.group(2)) if word}
        if match.group(1) == "ignore-file":
            found.whole_file |= ids
            continue
        span = _block_lines(rows, number)
        for rule in ids:
            found.lines.setdefault(rule, set()).update(span)
    return found


def _block_lines(rows: list[str], comment_line: int) -> range:
    """The comment's own line through the end of a block opening on it or on the next line."""
    for start in (comment_line, comment_line + 1):
        if start > len(rows):
            break
        code = rows[start - 1].split("#", 1)[0]
        if "{" in code:
            depth = 0
            for number in range(start, len(rows) + 1):
                line = rows[number - 1].split("#", 1)[0]
                depth += line.count("{") - line.count("}")
                if depth <= 0:
                    return range(comment_line, number + 1)
            return range(comment_line, len(rows) + 1)
    return range(comment_line, comment_line + 2)


def _suppressions_of(path: str) -> Suppressions:
    try:
        stat = Path(path).stat()
    except (OSError, ValueError):
        return Suppressions()  # a path on the build VM (C:/DeprovisioningScript.ps1), not in the repository
    return _suppressions_at(path, stat.st_mtime_ns, stat.st_size)


@cache
def _suppressions_at(path: str, mtime: int, size: int) -> Suppressions:
    # Keyed by the file's time and size too: a long pytest session may check a template, edit it, check again.
    try:
        return read_suppressions(read_text(Path(path)))
    except ProvsimError:
        return Suppressions()


def unsilenced(findings: list[Finding]) -> list[Finding]:
    """The findings no suppression comment in their own file silences."""
    kept = []
    for finding in findings:
        if finding.rule is not None and _suppressions_of(finding.location.path).silences(
            finding.rule, finding.location.line
        ):
            continue
        kept.append(finding)
    return kept
