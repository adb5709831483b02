"""``sed``'s ``s/RE/REPLACEMENT/FLAGS``, translated to Python's :mod:`re` so the in-memory disk edits like GNU sed.

Templates edit stock files with sed far more than with anything else
(``sed -i 's/^#\\?Provisioning.Agent=.*/Provisioning.Agent=auto/' /etc/waagent.conf``),
and a dot or a star in the pattern is the rule, not the exception. So the
pattern is read the way GNU sed reads it: a POSIX *basic* regular expression
(``+ ? | ( ) { }`` are literal, ``\\+ \\? \\| \\( \\) \\{ \\}`` are GNU's
operators), or an *extended* one with ``-E``/``-r``; the replacement's ``&``
and ``\\1``..``\\9`` are the match and its groups. sed works a line at a time,
so a pattern never spans lines. Anything else (other commands, addresses,
flags beyond ``g`` and ``I``, unbalanced brackets) is ``None``: provsim then
says it cannot tell what the file holds, rather than guess.

The host's own GNU sed is the oracle: ``tests/pipeline/test_sed.py`` runs both
on the same expressions and lines.

    >>> edit = substitution(r"s/^#\\?\\s*Provisioning.Agent=.*/Provisioning.Agent=waagent/")
    >>> edit.apply("# Provisioning.Agent=auto\\nOther=1\\n")
    'Provisioning.Agent=waagent\\nOther=1\\n'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r" \t\n\r\f\v",
    "blank": r" \t",
    "punct": r"!-/:-@\[-`{-~",
    "xdigit": "0-9A-Fa-f",
}
#: GNU extensions after a backslash that mean the same in Python.
_GNU_ESCAPES = frozenset("wWsSbB")


@dataclass(frozen=True)
class Substitution:
    """One ``s`` command: a compiled pattern, a Python replacement template, every match or the first per line."""

    pattern: re.Pattern[str]
    template: str
    every: bool

    def apply(self, text: str) -> str:
        if not text:
            return text
        # sed sees the lines, not the newline that ends the last one.
        body, end = (text[:-1], "\n") if text.endswith("\n") else (text, "")
        return "\n".join(self._line(line) for line in body.split("\n")) + end

    def _line(self, line: str) -> str:
        # Not re.sub: sed skips an empty match right after a match ("s/x*/-/g" on "abc" gives "-a-b-c-",
        # and "s/.*/X/g" gives one X where Python's re.sub gives two).
        out: list[str] = []
        pos, last_end = 0, -1
        while pos <= len(line):
            match = self.pattern.search(line, pos)
            if match is None:
                break
            start, end = match.span()
            if start == end == last_end:
                if start >= len(line):
                    break
                out.append(line[pos : start + 1])
                pos = start + 1
                continue
            out.append(line[pos:start])
            out.append(match.expand(self.template))
            last_end = end
            if start == end:
                out.append(line[start : start + 1])
                pos = start + 1
            else:
                pos = end
            if not self.every:
                break
        out.append(line[pos:])
        return "".join(out)


def substitution(expression: str, *, extended: bool = False) -> Substitution | None:
    """The ``s`` command ``expression`` as a :class:`Substitution`, or None when it is more than that."""
    expression = expression.strip()
    if len(expression) < 4 or expression[0] != "s" or expression[1] in "\\\n":
        return None
    parts = _split(expression[2:], expression[1])
    if parts is None:
        return None
    source, replacement, flags = parts
    if not set(flags) <= {"g", "I", "i"}:
        return None
    pattern = _regex(source, extended)
    template = _template(replacement)
    if pattern is None or template is None:
        return None
    try:
        compiled = re.compile(pattern, re.IGNORECASE if set(flags) & {"I", "i"} else 0)
    except re.error:
        return None
    if compiled.groups < max((int(d) for d in re.findall(r"\\g<(\d)>", template)), default=0):
        return None
    return Substitution(compiled, template, "g" in flags)


def _split(body: str, delimiter: str) -> tuple[str, str, str] | None:
    """RE, replacement and flags of ``RE<d>REPLACEMENT<d>FLAGS`` (a backslash before the delimiter escapes it)."""
    fields: list[str] = []
    current: list[str] = []
    index = 0
    in_bracket = False
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            current.append(following if following == delimiter else char + following)
            index += 2
            continue
        if not fields and char == "[" and not in_bracket:
            in_bracket = True
        elif in_bracket and char == "]":
            in_bracket = False
        if char == delimiter and not in_bracket and len(fields) < 2:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if len(fields) != 2:
        return None
    return fields[0], fields[1], "".join(current)


def _regex(source: str, extended: bool) -> str | None:
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        at_start = not out or out[-1] in ("(", "|")
        if char == "\\":
            if index + 1 >= len(source):
                return None
            following = source[index + 1]
            index += 2
            if following.isdigit():
                out.append(f"\\{following}")
            elif following == "n":
                out.append("\\n")
            elif following == "t":
                out.append("\\t")
            elif following in _GNU_ESCAPES:
                out.append(f"\\{following}")
            elif not extended and following in "(){}+?|":
                out.append(following)
            else:
                out.append(re.escape(following))
            continue
        if char == "[":
            bracket = _bracket(source, index)
            if bracket is None:
                return None
            text, index = bracket
            out.append(text)
            continue
        index += 1
        if char == "*" and (at_start or out[-1] == "^"):
            out.append("\\*")
        elif char in ".*":
            out.append(char)
        elif char == "^":
            out.append("^" if (at_start or extended) else "\\^")
        elif char == "$":
            last = index == len(source) or source[index : index + 2] in ("\\)", "\\|") or extended
            out.append("$" if last else "\\$")
        elif extended and char in "(){}+?|":
            out.append(char)
        else:
            out.append(re.escape(char))
    return "".join(out)


def _bracket(source: str, start: int) -> tuple[str, int] | None:
    """A POSIX bracket expression from ``source[start] == '['``: its Python text and the index after it."""
    index = start + 1
    out = ["["]
    if index < len(source) and source[index] == "^":
        out.append("^")
        index += 1
    first = True
    while index < len(source):
        char = source[index]
        if char == "]" and not first:
            out.append("]")
            return "".join(out), index + 1
        first = False
        if source.startswith("[:", index):
            end = source.find(":]", index + 2)
            if end < 0 or source[index + 2 : end] not in _CLASSES:
                return None
            out.append(_CLASSES[source[index + 2 : end]])
            index = end + 2
            continue
        # In POSIX a backslash is an ordinary character inside brackets; so are ']' (first) and '^' (not first).
        out.append("\\" + char if char in "\\]^[" else char)
        index += 1
    return None


def _template(replacement: str) -> str | None:
    out: list[str] = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        index += 1
        if char == "&":
            out.append("\\g<0>")
        elif char == "\\":
            if index >= len(replacement):
                return None
            following = replacement[index]
            index += 1
            if following.isdigit():
                out.append(f"\\g<{following}>")
            elif following == "n":
                out.append("\n")
            elif following == "t":
                out.append("\t")
            elif following == "\\":
                out.append("\\\\")
            elif following in "LlUuE":
                return None  # GNU case conversion: more than provsim models
            else:
                out.append(following)
        else:
            out.append(char)
    return "".join(out)
