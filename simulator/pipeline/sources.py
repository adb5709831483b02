"""Reading template and script files: text only, with one clear error when that fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ProvsimError


def read_text(path: Path, what: str = "template", where: str = "") -> str:
    """A file's text; a missing, unreadable or binary file is a :class:`ProvsimError`."""
    prefix = f"{where}: " if where else ""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProvsimError(f"{prefix}{path}: {what} not found; check the path") from None
    except IsADirectoryError:
        raise ProvsimError(f"{prefix}{path}: is a folder; pass the {what} itself") from None
    except OSError as error:
        raise ProvsimError(f"{prefix}{path}: cannot read the {what} ({error.strerror})") from None
    if b"\0" in raw[:8192]:
        raise ProvsimError(f"{prefix}{path}: binary file, not a {what}; pass a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProvsimError(f"{prefix}{path}: not UTF-8 text at byte {error.start}; save the {what} as UTF-8") from None


def parse_json(path: Path, text: str, fix: str = "fix the syntax (truncated file?)") -> Any:
    """The JSON document in ``text``; a syntax error names the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ProvsimError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); {fix}") from None


def line_of(text: str, needle: str, start: int = 1) -> int | None:
    """The 1-based number of the first line at or after ``start`` containing ``needle``."""
    if not needle:
        return None
    for number, line in enumerate(text.splitlines()[start - 1 :], start=start):
        if needle in line:
            return number
    first = needle.strip().splitlines()[0] if needle.strip() else ""
    if first and first != needle:
        return line_of(text, first, start)
    return None
