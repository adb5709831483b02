"""HCL2 expressions, evaluated as Packer evaluates them, as far as a template can be known before a build.

python-hcl2 parses a template but leaves every expression as its source text
(``${var.image["os_type"]}``), and no package on PyPI evaluates HCL2
expressions with HCL's precedence (``../shared/LIBRARIES.md``), so this
module does, for the part of the language image templates use: literals,
lists and objects, ``var.``/``local.``/``path.`` references with ``.attr`` and
``[index]``, the operators with HCL's precedence, ``cond ? a : b``, string
templates, and the functions whose result is known before a build
(``lookup``, ``lower``, ``join``, ``format``, ``env`` ...).

What only the build knows (``timestamp()``, ``uuidv4()``, ``formatdate`` of
them) is :data:`UNKNOWN`: it propagates, and a template string holding one
keeps its source text, so a name reads ``web-${local.stamp}`` rather than a
made-up date.

    >>> values = {"var": {"image": {"os_type": "Linux"}, "env": "prod"}, "local": {}, "path": {"root": "/t"}}
    >>> look = lambda scope, name: values[scope][name]
    >>> evaluate_template('${var.image["os_type"]}', look)
    'Linux'
    >>> evaluate_template('${var.env == "prod" ? "golden" : "test"}-${lookup(var.image, "os_type", "x")}', look)
    'golden-Linux'
    >>> evaluate_template("web-${formatdate(\\"YYYYMMDD\\", timestamp())}", look)
    'web-${formatdate("YYYYMMDD", timestamp())}'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ProvsimError


class _Unknown:
    """A value only the build will know."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
#: ``lookup(scope, name)`` -> the value of ``var.name`` / ``local.name`` / ``path.name``, or UNKNOWN.
Lookup = Callable[[str, str], Any]


class ExpressionError(ProvsimError):
    """An expression Packer would refuse (the caller adds the file and line)."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>")
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:.,()\[\]{}=])
    )""",
    re.VERBOSE,
)
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5}
_PRECEDENCE |= {"*": 6, "/": 6, "%": 6}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def evaluate_template(text: str, lookup: Lookup, environment: Mapping[str, str] | None = None) -> Any:
    """A template string's value: a single ``${expr}`` keeps its type; otherwise a string.

    A part whose value is unknown keeps its source text (see the module docstring).
    """
    parts = _template_parts(text)
    environ = os.environ if environment is None else environment
    if len(parts) == 1 and isinstance(parts[0], tuple):
        value = _Parser(parts[0][0], lookup, environ).parse()
        return text if value is UNKNOWN else value
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        source, written = part
        value = _Parser(source, lookup, environ).parse()
        pieces.append(written if value is UNKNOWN else _as_string(value, written))
    return "".join(pieces)


def _template_parts(text: str) -> list[str | tuple[str, str]]:
    """Literal text and ``(expression, as written)`` pairs; ``$${`` is a literal ``${``."""
    parts: list[str | tuple[str, str]] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$${", index):
            literal.append("${")
            index += 3
        elif text.startswith("${", index):
            end = _closing_brace(text, index + 2)
            if end is None:  # not an interpolation HCL would accept: leave it as written
                literal.append(text[index:])
                break
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append((text[index + 2 : end].strip(), text[index : end + 1]))
            index = end + 1
        else:
            literal.append(text[index])
            index += 1
    if literal or not parts:
        parts.append("".join(literal))
    return parts


def _closing_brace(text: str, start: int) -> int | None:
    depth, index, quoted = 0, start, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return None


def _as_string(value: Any, written: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        raise ExpressionError(f"{written} is {'a list' if isinstance(value, list) else 'an object'} inside a string")
    return str(value)


class _Parser:
    """A Pratt parser that evaluates as it parses (HCL has no side effects, so that is safe)."""

    def __init__(self, source: str, lookup: Lookup, environment: Mapping[str, str]) -> None:
        self.source = source
        self.position = 0
        self.lookup = lookup
        self.environment = environment

    # -- tokens -----------------------------------------------------------------------------------
    def peek(self) -> tuple[str, str] | None:
        match = _TOKEN.match(self.source, self.position)
        if match is None or match.lastgroup is None:
            if self.source[self.position :].strip():
                raise ExpressionError(f"cannot read {self.source!r} at {self.source[self.position :][:20]!r}")
            return None
        return match.lastgroup, match.group(match.lastgroup)

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise ExpressionError(f"in {self.source!r}: expected {expected or 'more'}")
        match = _TOKEN.match(self.source, self.position)
        assert match is not None
        self.position = match.end()
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] == text

    # -- grammar ----------------------------------------------------------------------------------
    def parse(self) -> Any:
        value = self.expression()
        if self.peek() is not None:
            raise ExpressionError(f"cannot read {self.source!r}: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def expression(self) -> Any:
        condition = self.binary(1)
        if not self.at("?"):
            return condition
        self.take("?")
        yes = self.expression()
        self.take(":")
        no = self.expression()
        if condition is UNKNOWN:
            return UNKNOWN
        if not isinstance(condition, bool):
            raise ExpressionError(f"in {self.source!r}: a condition must be true or false")
        return yes if condition else no

    def binary(self, floor: int) -> Any:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or _PRECEDENCE.get(token[1], 0) < floor:
                return left
            operator = self.take()[1]
            right = self.binary(_PRECEDENCE[operator] + 1)
            left = _apply(operator, left, right, self.source)

    def unary(self) -> Any:
        if self.at("!"):
            self.take("!")
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else not value
        if self.at("-"):
            self.take("-")
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else -value
        return self.postfix(self.primary())

    def postfix(self, value: Any) -> Any:
        while True:
            if self.at("."):
                self.take(".")
                name = self.take()[1]
                value = _index(value, name, self.source)
            elif self.at("["):
                self.take("[")
                key = self.expression()
                self.take("]")
                value = _index(value, key, self.source)
            else:
                return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text) if "." in text or "e" in text.lower() else int(text)
        if kind == "string":
            return self.string()
        if kind == "op" and text == "(":
            value = self.expression()
            self.take(")")
            return value
        if kind == "op" and text == "[":
            return self.sequence("]")
        if kind == "op" and text == "{":
            return self.mapping()
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if self.at("("):
                self.take("(")
                return self.call(text, self.sequence(")"))
            if text in ("var", "local", "path") and self.at("."):
                self.take(".")
                return self.lookup(text, self.take()[1])
            # build.User, source.name, packer.version, a dynamic block's iterator (azure_tag.key), each.value:
            # values Packer gives during the build. Unknown here, never a guess and never a refusal.
            return UNKNOWN
        raise ExpressionError(f"in {self.source!r}: unexpected {text!r}")

    def string(self) -> Any:
        # A quoted string is itself a template: escapes, and interpolations evaluated here.
        start = self.position
        index = start
        while index < len(self.source) and self.source[index] != '"':
            if self.source[index] == "\\":
                index += 1
            elif self.source.startswith("${", index):
                end = _closing_brace(self.source, index + 2)
                index = end if end is not None else index
            index += 1
        raw = self.source[start:index]
        self.position = index + 1
        decoded = re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, raw)
        return evaluate_template(decoded, self.lookup, self.environment)

    def sequence(self, closing: str) -> list[Any]:
        items: list[Any] = []
        while not self.at(closing):
            items.append(self.expression())
            if self.at(","):
                self.take(",")
            elif not self.at(closing):
                raise ExpressionError(f"in {self.source!r}: expected ',' or {closing!r}")
        self.take(closing)
        return items

    def mapping(self) -> Any:
        result: dict[str, Any] = {}
        while not self.at("}"):
            key = self.expression() if not self._bare_key() else self.take()[1]
            if not (self.at("=") or self.at(":")):
                raise ExpressionError(f"in {self.source!r}: expected '=' in an object")
            self.take()
            result[str(key)] = self.expression()
            if self.at(","):
                self.take(",")
        self.take("}")
        return result

    def _bare_key(self) -> bool:
        token = self.peek()
        return token is not None and token[0] == "name" and token[1] not in ("true", "false", "null", "var", "local")

    def call(self, name: str, arguments: list[Any]) -> Any:
        if name in _BUILD_TIME:
            return UNKNOWN
        if name == "try":
            return next((value for value in arguments if value is not UNKNOWN), UNKNOWN)
        if any(argument is UNKNOWN for argument in arguments):
            return UNKNOWN
        if name == "env":
            return self.environment.get(str(arguments[0]), "") if arguments else ""
        function = _FUNCTIONS.get(name)
        if function is None:
            return UNKNOWN  # a function provsim does not evaluate: unknown, never a guess
        try:
            return function(*arguments)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            raise ExpressionError(f"in {self.source!r}: {name}() cannot take these arguments ({error})") from None


def _unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape.startswith("u") and len(escape) == 5:
        return chr(int(escape[1:], 16))
    return _ESCAPES.get(escape, "\\" + escape)


def _index(value: Any, key: Any, source: str) -> Any:
    if value is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        if str(key) not in value:
            raise ExpressionError(f"in {source!r}: the object has no key {key!r}")
        return value[str(key)]
    if isinstance(value, list):
        try:
            return value[int(key)]
        except (ValueError, IndexError):
            raise ExpressionError(f"in {source!r}: no element {key!r} in a list of {len(value)}") from None
    raise ExpressionError(f"in {source!r}: cannot index {type(value).__name__} with {key!r}")


def _apply(operator: str, left: Any, right: Any, source: str) -> Any:
    if (operator == "&&" and left is False) or (operator == "||" and left is True):
        return left
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    try:
        match operator:
            case "==":
                return left == right
            case "!=":
                return left != right
            case "&&":
                return bool(left) and bool(right)
            case "||":
                return bool(left) or bool(right)
            case "<":
                return left < right
            case ">":
                return left > right
            case "<=":
                return left <= right
            case ">=":
                return left >= right
            case "+":
                return _number(left) + _number(right)
            case "-":
                return _number(left) - _number(right)
            case "*":
                return _number(left) * _number(right)
            case "/":
                return _number(left) / _number(right)
            case "%":
                return _number(left) % _number(right)
    except (TypeError, ZeroDivisionError, ValueError) as error:
        raise ExpressionError(f"in {source!r}: {operator} cannot combine these values ({error})") from None
    raise ExpressionError(f"in {source!r}: unknown operator {operator}")


def _number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int | float):
        return value
    number = float(str(value))
    return int(number) if number.is_integer() else number


def _format(spec: str, *values: Any) -> str:
    """Go's ``fmt`` verbs as Packer's ``format`` takes them, one value per verb (``%%`` is a percent sign)."""
    remaining = list(values)

    def verb(match: re.Match[str]) -> str:
        written = match.group(0)
        if written == "%%":
            return "%"
        value = remaining.pop(0)
        if written[-1] == "q":
            return '"' + _as_string(value, written).replace('"', '\\"') + '"'
        if written[-1] in "df":
            return (written % _number(value)) if written[-1] == "f" else (written % int(_number(value)))
        return (written[:-1] + "s") % _as_string(value, written)

    return re.sub(r"%%|%[-+ #0-9.]*[sdvqf]", verb, str(spec))


#: Functions whose result only the build knows.
_BUILD_TIME = frozenset({"timestamp", "uuidv4", "uuidv5", "formatdate", "timeadd", "bcrypt", "file", "templatefile"})
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lookup": lambda mapping, key, *default: mapping[key] if key in mapping or not default else default[0],
    "lower": lambda text: str(text).lower(),
    "upper": lambda text: str(text).upper(),
    "trimspace": lambda text: str(text).strip(),
    "join": lambda separator, items: str(separator).join(str(item) for item in items),
    "split": lambda separator, text: str(text).split(str(separator)),
    "concat": lambda *lists: [item for items in lists for item in items],
    "replace": lambda text, old, new: str(text).replace(str(old), str(new)),
    "coalesce": lambda *values: next(value for value in values if value not in (None, "")),
    "length": lambda value: len(value),
    "contains": lambda items, value: value in items,
    "element": lambda items, index: items[int(index) % len(items)],
    "format": _format,
    "tostring": lambda value: _as_string(value, str(value)),
    "tonumber": _number,
}
