"""Reading template and script files: text only, with one clear error when that fails.

Templates are CI input that anyone with a branch can change, so every file is
checked before it is read: only regular files (a FIFO would block the read
forever, ``/dev/zero`` never ends), at most :data:`MAX_FILE_BYTES`, UTF-8 text
without NUL bytes. JSON documents are checked for what Python's ``json``
accepts but nothing downstream can use: nesting deeper than
:data:`MAX_DEPTH`, numbers longer than Python converts, lone surrogates.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import re
import stat
from pathlib import Path
from typing import Any, NoReturn

from ..errors import ProvsimError

#: The largest file provsim reads. The biggest published Packer and ARM templates are
#: a few hundred KiB and scripts a few dozen; 8 MiB leaves room for generated ARM
#: templates with many resources while keeping a file read (and held) well below
#: what a CI runner has, so a huge file is refused, not a MemoryError.
MAX_FILE_BYTES = 8 * 1024 * 1024
#: The deepest JSON nesting accepted. Real templates nest a dozen levels; Python's own
#: parser gives up (RecursionError) near 1000, and every reader walks documents
#: recursively, so the limit sits far below that.
MAX_DEPTH = 64
#: Digits in one JSON integer: Python refuses to convert more than 4300 (CVE-2020-10735);
#: Packer and ARM read numbers as 64-bit values, which have at most 20.
MAX_INT_DIGITS = 400


def _plain(path: Path) -> str:
    # What a user typed, printable even when the name holds bytes that are not UTF-8.
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def regular_file(path: Path, what: str = "template", where: str = "") -> os.stat_result:
    """``path``'s status, refusing anything but a regular file of at most :data:`MAX_FILE_BYTES`.

    Checked before opening: opening a FIFO blocks until someone writes to it,
    and a device such as ``/dev/zero`` can be read forever.
    """
    prefix = f"{where}: " if where else ""
    shown = _plain(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise ProvsimError(f"{prefix}{shown}: {what} not found; check the path") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name
        reason = getattr(error, "strerror", None) or "not a usable path"
        raise ProvsimError(f"{prefix}{shown}: cannot read the {what} ({reason}); check the path") from None
    if stat.S_ISDIR(status.st_mode):
        raise ProvsimError(f"{prefix}{shown}: is a folder; pass the {what} itself")
    if not stat.S_ISREG(status.st_mode):
        raise ProvsimError(
            f"{prefix}{shown}: not a regular file (a pipe, socket or device); pass the {what} as a plain file"
        )
    if status.st_size > MAX_FILE_BYTES:
        raise ProvsimError(
            f"{prefix}{shown}: {status.st_size} bytes, more than provsim reads "
            f"({MAX_FILE_BYTES // (1024 * 1024)} MiB); pass the {what} itself, not a generated or binary file"
        )
    return status


def read_bytes(path: Path, what: str = "template", where: str = "") -> bytes:
    """A regular file's bytes (see :func:`regular_file`), read without ever blocking on a pipe."""
    prefix = f"{where}: " if where else ""
    regular_file(path, what, where)
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening does not wait.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise ProvsimError(f"{prefix}{_plain(path)}: cannot read the {what} ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ProvsimError(f"{prefix}{_plain(path)}: not a regular file; pass the {what} as a plain file")
        try:
            raw = file.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise ProvsimError(f"{prefix}{_plain(path)}: cannot read the {what} ({error.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:  # it grew after the check
        raise ProvsimError(f"{prefix}{_plain(path)}: more than {MAX_FILE_BYTES} bytes; pass the {what} itself")
    return raw


def read_text(path: Path, what: str = "template", where: str = "") -> str:
    """A file's text; a missing, irregular, huge, empty-of-text or binary file is a :class:`ProvsimError`."""
    prefix = f"{where}: " if where else ""
    raw = read_bytes(path, what, where)
    if b"\0" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\0")) + 1
        raise ProvsimError(f"{prefix}{_plain(path)}:{line}: a NUL byte: binary file, not a {what}; pass a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ProvsimError(
            f"{prefix}{_plain(path)}:{line}: not UTF-8 text at byte {error.start}; save the {what} as UTF-8"
        ) from None


class _LongNumber(Exception):
    def __init__(self, digits: str) -> None:
        super().__init__(digits)
        self.digits = digits


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _LongNumber(digits)
    return int(digits)


class _NotJson(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def _parse_constant(word: str) -> Any:
    # Python reads NaN and Infinity; JSON has no such words, and Packer's and ARM's parsers refuse them.
    raise _NotJson(word)


def parse_json(path: Path, text: str, fix: str = "fix the syntax (truncated file?)") -> Any:
    """The JSON document in ``text``; a syntax error names the file, line and column.

    Refused too, with the line: nesting deeper than :data:`MAX_DEPTH`, an
    integer longer than :data:`MAX_INT_DIGITS` digits, and a string holding a
    lone UTF-16 surrogate (``"\\ud800"``), which is no character at all and
    cannot be printed.
    """
    lines = text_lines(text)
    try:
        document = json.loads(text, parse_int=_parse_int, parse_constant=_parse_constant)
    except json.JSONDecodeError as error:
        raise ProvsimError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); {fix}") from None
    except _LongNumber as error:
        line = lines.find(error.digits[:MAX_INT_DIGITS])
        raise ProvsimError(
            f"{path}:{line or '?'}: a number of {len(error.digits)} digits; Packer and ARM take 64-bit numbers, "
            "write it as a string"
        ) from None
    except _NotJson as error:
        raise ProvsimError(
            f"{path}:{lines.find(error.word) or '?'}: {error.word} is not JSON (Packer and ARM refuse it); "
            'write a number or a string such as "NaN"'
        ) from None
    except RecursionError:
        line = lines.line_at(_deepest_offset(text))
        raise ProvsimError(
            f"{path}:{line}: JSON nested deeper than {MAX_DEPTH} levels; no template nests like that, fix the file"
        ) from None
    _check_json_values(path, document, lines)
    return document


def _deepest_offset(text: str) -> int:
    """Where brackets first go deeper than :data:`MAX_DEPTH` (strings are not skipped: an estimate for a line)."""
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return match.start()
    return 0


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_json_values(path: Path, document: Any, lines: TextLines) -> None:
    """Depth and surrogates, walked without recursion (the document may be arbitrarily deep)."""
    text = lines.text
    # A lone surrogate can only come from a \\u escape (or be in the text itself, when it was not read from a
    # file): without either, the strings need no look, and an ARM file of 10,000 templates has 100,000 of them.
    escaped = "\\u" in text and _SURROGATE_ESCAPE.search(text)
    if not (escaped or (not text.isascii() and _SURROGATE.search(text))):
        _check_depth(path, document, lines)
        return
    if isinstance(document, str):
        _check_string(path, document, lines)
    stack: list[tuple[Any, int]] = [(document, 1)] if isinstance(document, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            _too_deep(path, lines)
        items = value.values() if isinstance(value, dict) else value
        for key in value if isinstance(value, dict) else ():
            _check_string(path, key, lines)
        for item in items:
            if isinstance(item, dict | list):
                stack.append((item, depth + 1))
            elif isinstance(item, str):
                _check_string(path, item, lines)


def _check_depth(path: Path, document: Any, lines: TextLines) -> None:
    """The depth alone, a level at a time: json.loads makes exact dicts and lists, so their type is enough."""
    level = [document] if type(document) in _CONTAINERS else []
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            _too_deep(path, lines)
        below = []
        for value in level:
            for item in value.values() if type(value) is dict else value:
                if type(item) in _CONTAINERS:
                    below.append(item)
        level = below
        depth += 1


_CONTAINERS = (dict, list)


def _too_deep(path: Path, lines: TextLines) -> NoReturn:
    line = lines.line_at(_deepest_offset(lines.text))
    raise ProvsimError(
        f"{path}:{line}: JSON nested deeper than {MAX_DEPTH} levels; no template nests like that, fix the file"
    )


def _check_string(path: Path, value: str, lines: TextLines) -> None:
    if _SURROGATE.search(value):
        escape = re.search(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", lines.text)
        line = lines.line_at(escape.start()) if escape else "?"
        raise ProvsimError(
            f"{path}:{line}: a lone UTF-16 surrogate escape (such as \\ud800) is not a character; "
            "write the character itself or a complete surrogate pair"
        )


class TextLines:
    """A file's text with where each line starts, so finding a line is a search and a bisection.

    Readers look up many lines in one file (every step, every resource); re-splitting
    the text for each lookup made a 1000-resource ARM template take half a minute.
    Lines are counted at ``\\n``, as editors and Packer count them.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def line_at(self, offset: int) -> int:
        """The 1-based line holding character ``offset``."""
        return bisect.bisect_right(self.starts, offset)

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` (empty past the end)."""
        if not 1 <= number <= len(self.starts):
            return ""
        end = self.starts[number] - 1 if number < len(self.starts) else len(self.text)
        return self.text[self.starts[number - 1] : end]

    def lines(self) -> int:
        return len(self.starts)

    def find(self, needle: str, start: int = 1, within: int | None = None) -> int | None:
        """The first line at or after ``start`` containing ``needle`` (see :func:`line_of`)."""
        if not needle:
            return None
        if start > len(self.starts):
            return None
        begin = self.starts[max(start, 1) - 1]
        last = max(start, 1) + within if within is not None else None
        end = self.starts[last - 1] if last is not None and last <= len(self.starts) else len(self.text)
        offset = self.text.find(needle, begin, end)
        if offset >= 0:
            return self.line_at(offset)
        first = needle.strip().splitlines()[0] if needle.strip() else ""
        if first and first != needle:
            return self.find(first, start, within)
        return None


def current_text(path: str) -> str | None:
    """The text of the file at ``path`` as it is now, or None when it is gone or not text a reader takes.

    Read once per version of the file (its size and modification time), so
    readers that look back at a template per pipeline or per finding (an ARM
    file of 1000 image templates) read it once; the same string comes back,
    so caches keyed on it hash it once.
    """
    try:
        status = os.stat(path)
    except OSError:
        return None
    return _text_of(path, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _text_of(path: str, size: int, modified: int) -> str | None:
    try:
        return read_text(Path(path))
    except ProvsimError:
        return None


@functools.lru_cache(maxsize=16)
def text_lines(text: str) -> TextLines:
    """The :class:`TextLines` of ``text``, made once per file (readers pass the same string object around)."""
    return TextLines(text)


#: How far (in lines) a reader looks for one item of a list it walks (a step, a setting, a
#: customizer). A needle that is not in the text as written (an escaped quote, a \u escape) would
#: otherwise be searched to the end of the file once per item: minutes for 40,000 steps.
NEARBY = 2000


def line_of(text: str, needle: str, start: int = 1, within: int | None = None) -> int | None:
    """The 1-based number of the first line at or after ``start`` (and before ``start + within``)
    containing ``needle``.

    A needle spanning lines that is not found is looked up by its first line.
    """
    return text_lines(text).find(needle, start, within)
