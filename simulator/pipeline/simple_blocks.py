"""Plain ``variable`` blocks read without python-hcl2, so that a file of thousands stays fast.

python-hcl2 takes about half a millisecond per block and grows worse than
linearly (10,000 variables: 7 s), and generated ``variables.pkr.hcl`` files
with thousands of variables exist. A block such as::

    variable "image_version" {
      type      = string
      default   = "1.0.0"
      sensitive = false
    }

holds nothing python-hcl2 could read differently: a name, and attributes whose
values are a plain string (no escape, no ``${``), a number, a bool, null or a
primitive type. Such blocks are read here, only when they open at the top
level of the file (not inside a block, a string, a heredoc or a comment: the
file is scanned for those first, and a heredoc or ``/*`` comment anywhere
turns this off), and blanked out of the text python-hcl2 then reads, keeping
every line where it was. Everything else still goes to python-hcl2.

    >>> rest, found = split_simple_variables('variable "a" {\\n  default = "x"\\n}\\nlocals {}\\n')
    >>> found
    [('a', {'default': 'x'}, 1)]
    >>> rest
    '\\n\\n\\nlocals {}\\n'
"""

from __future__ import annotations

import re
from typing import Any

_BLOCK = re.compile(
    r'^variable[ \t]+"(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"[ \t]*\{[ \t]*\n'
    r"(?P<body>(?:[ \t]*(?:[a-z_]+[ \t]*=[ \t]*[^\n]*)?\n)*?)"
    r"[ \t]*\}[ \t]*(?=\n|\Z)",
    re.MULTILINE,
)
_ATTRIBUTE = re.compile(
    r"^[ \t]*(?P<key>type|default|description|sensitive|nullable)[ \t]*=[ \t]*"
    r'(?P<value>"[^"\\$%\n]*"|-?[0-9]{1,18}|true|false|null|string|number|bool)[ \t]*$'
)
_TOKEN = re.compile(r'\\.|"|\$\{|%\{|[{}\[\]()]|#|//|/\*|<<|\n')
_CLOSING = {"{": "}", "[": "]", "(": ")"}


def _top_level_lines(text: str) -> set[int] | None:
    """Offsets of the lines that start outside any block, string or bracket; None when unsure (heredoc, /*)."""
    starts = {0}
    stack: list[str] = []  # '"' a string; "{", "[", "(" brackets; "${" an interpolation
    comment = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "\n":
            comment = False
            if not stack:
                starts.add(match.end())
            continue
        if comment:
            continue
        inside = stack[-1] if stack else None
        if inside == '"':
            if token == '"':
                stack.pop()
            elif token in ("${", "%{"):
                stack.append("${")
            continue
        if token.startswith("\\"):
            continue
        if token in ("/*", "<<"):
            return None
        if token in ("#", "//"):
            comment = True
        elif token == '"':
            stack.append('"')
        elif token in _CLOSING:
            stack.append(token)
        elif token in ("${", "%{"):
            stack.append("${")
        elif stack and (_CLOSING.get(stack[-1]) == token or (stack[-1] == "${" and token == "}")):
            stack.pop()
        else:
            return None  # unbalanced: python-hcl2 will say where
    return starts


def _value(word: str) -> Any:
    if word.startswith('"'):
        return word[1:-1]
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        return None
    if word in ("string", "number", "bool"):
        return word
    return int(word)


def split_simple_variables(text: str) -> tuple[str, list[tuple[str, dict[str, Any], int]]]:
    """``text`` with its plain top-level variable blocks blanked, and those blocks: (name, body, line)."""
    if "variable" not in text:
        return text, []
    top = _top_level_lines(text)
    if top is None:
        return text, []
    found: list[tuple[str, dict[str, Any], int]] = []
    pieces: list[str] = []
    copied = 0
    line = 1
    for match in _BLOCK.finditer(text):
        if match.start() not in top:
            continue
        body: dict[str, Any] = {}
        simple = True
        for row in match.group("body").split("\n"):
            if not row.strip():
                continue
            attribute = _ATTRIBUTE.match(row)
            if attribute is None or attribute.group("key") in body:
                simple = False  # anything else, or an attribute given twice: python-hcl2 decides
                break
            body[attribute.group("key")] = _value(attribute.group("value"))
        if not simple:
            continue
        line += text.count("\n", copied, match.start())
        pieces.append(text[copied : match.start()])
        pieces.append("\n" * match.group().count("\n"))
        found.append((match.group("name"), body, line))
        line += match.group().count("\n")
        copied = match.end()
    pieces.append(text[copied:])
    return "".join(pieces), found
