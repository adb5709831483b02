"""``provsim steps``: every sentence of the step library, with its parameters and an example.

The catalogue is read off the step library as pytest-bdd sees it: the modules
the plugin loads (``provsim.steps.plugin.STEP_MODULES``), the step
definitions pytest-bdd registered for them, their parsers and their
docstrings. Nothing is written down twice, so it cannot drift:

- the sentence comes from the step's parser: ``parsers.parse("a {os} image")``
  reads ``a <os> image``, a regular expression's named group ``(?P<path>...)``
  reads ``<path>`` and its choices ``(?:Packer|AIB)`` read ``(Packer|AIB)``;
- the parameters are the parser's fields, with the words a field accepts:
  those the pattern lists (``(?P<severity>error|warning|info)``), else those
  of the :mod:`provsim.steps.words` reader the step hands the field to
  (``words.os_state(state)``: ``generalized``, ``specialized``, from that
  reader's docstring), else those the docstring's sentence lists
  (``<generalized|specialized>``, placeholder by placeholder);
- the example is the docstring's ``Example: ``...````, kept only when the
  step's own parser matches it (a sentence without parameters is its own
  example); the summary is the rest of the docstring's first paragraph.

A step module added to the plugin shows up here, and in the README's table,
which is this command's ``--format markdown``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import re
import textwrap
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import ProvsimError

if TYPE_CHECKING:
    from pytest_bdd.parsers import StepParser
    from pytest_bdd.steps import StepFunctionContext


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="markdown: the README's table of sentences; json: every field, for tools",
    )


def run(args: argparse.Namespace) -> int:
    sentences = catalogue()
    if args.format == "json":
        print(json.dumps({"sentences": [s.to_dict() for s in sentences]}, indent=2))
    elif args.format == "markdown":
        print(render_markdown(sentences))
    else:
        print(render_text(sentences))
    return 0


@dataclass(frozen=True)
class Parameter:
    """A placeholder of a sentence."""

    name: str
    whole_number: bool
    """``{minutes:d}``: pytest-bdd hands the step an ``int``."""
    values: tuple[str, ...]
    """The words the sentence accepts, where the pattern or the docstring lists them."""
    example: str | None
    """Its value in the sentence's example."""


@dataclass(frozen=True)
class Sentence:
    """One step definition of the library."""

    keyword: str
    """``Given``, ``When`` or ``Then`` (``Step`` for a step of any kind); in a scenario ``And`` and ``But`` too."""
    text: str
    """The sentence with its placeholders, as ``<name>``."""
    pattern: str
    """What the step was registered with: the string, the parse format or the regular expression."""
    parser: str
    """``string``, ``parse``, ``cfparse`` or ``re``: how pytest-bdd matches the pattern."""
    parameters: tuple[Parameter, ...]
    example: str | None
    """A sentence the step's own parser matches, keyword included; None when its docstring has none that does."""
    summary: str
    module: str
    function: str

    @property
    def sentence(self) -> str:
        return f"{self.keyword} {self.text}"

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["sentence"] = self.sentence
        return document


def step_modules() -> list[ModuleType]:
    """The step modules the plugin loads, in its order (a module added there is in the catalogue)."""
    plugin = importlib.import_module("..steps.plugin", __package__)
    names = getattr(plugin, "STEP_MODULES", [])
    return [importlib.import_module(name) for name in names if name.rsplit(".", 1)[-1] != "fixtures"]


def catalogue() -> list[Sentence]:
    """Every sentence of the step library, module by module, in the order the modules define them."""
    try:
        from pytest_bdd.steps import step_function_context_registry
    except ImportError:  # pytest-bdd before 8.1 kept step definitions another way
        raise ProvsimError("provsim steps reads pytest-bdd's step registry; install pytest-bdd 8.1 or later") from None

    modules = step_modules()
    order = {module.__name__: index for index, module in enumerate(modules)}
    # The registry is what pytest-bdd itself looks step definitions up in: what it sees, the catalogue shows.
    # Steps defined inside a function (use_containers() registering the cell sentences again, for the module
    # that calls it) are the same sentences told another way, not sentences of their own.
    contexts = [
        c
        for c in list(step_function_context_registry.values())
        if c.step_func.__module__ in order and "<locals>" not in c.step_func.__qualname__
    ]
    contexts.sort(key=lambda c: (order[c.step_func.__module__], _first_line(c)))
    return [sentence_of(context) for context in contexts]


def _first_line(context: StepFunctionContext) -> int:
    code = getattr(context.step_func, "__code__", None)
    return code.co_firstlineno if code is not None else 0


_KEYWORDS = {"given": "Given", "when": "When", "then": "Then", None: "Step"}
_EXAMPLE = re.compile(r"Example:\s*``(.+?)``")
_SCENARIO_KEYWORD = re.compile(r"^(?:Given|When|Then|And|But|\*)\s+")


def sentence_of(context: StepFunctionContext) -> Sentence:
    """The catalogue's entry for one registered step definition."""
    parser = context.parser
    keyword = _KEYWORDS.get(context.type, "Step")
    text, parameters = _placeholders(parser)
    doc = " ".join((inspect.getdoc(context.step_func) or "").split("\n\n", 1)[0].split())
    whole_doc = " ".join((inspect.getdoc(context.step_func) or "").split())
    example = _example(parser, keyword, whole_doc, text if not parameters else None)
    found = _parsed(parser, example) if example else {}
    documented = _documented_values(doc, keyword, len(parameters))
    read = words_read(context.step_func, [name for name, _, _ in parameters])
    filled = tuple(
        Parameter(
            name=name,
            whole_number=whole,
            values=values or read.get(name, ()) or documented[index],
            example=str(found[name]) if name in found and found[name] is not None else None,
        )
        for index, (name, whole, values) in enumerate(parameters)
    )
    return Sentence(
        keyword=keyword,
        text=text,
        pattern=parser.name,
        parser=type(parser).__name__,
        parameters=filled,
        example=example,
        summary=_summary(doc),
        module=context.step_func.__module__,
        function=context.step_func.__name__,
    )


#: ``{name}``, ``{name:d}`` in a parse format; ``{{`` and ``}}`` are literal braces.
_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*)?(?::([^{}]*))?\}")


def _placeholders(parser: StepParser) -> tuple[str, list[tuple[str, bool, tuple[str, ...]]]]:
    """The sentence with ``<name>`` placeholders, and each placeholder's name, whether it is a number, its words."""
    kind = type(parser).__name__
    if kind in ("parse", "cfparse"):
        found: list[tuple[str, bool, tuple[str, ...]]] = []

        def field(match: re.Match[str]) -> str:
            if match.group(0) in ("{{", "}}"):
                return match.group(0)[0]
            name = match.group(1) or f"value {len(found) + 1}"
            found.append((name, (match.group(2) or "") in ("d", "n"), ()))
            return f"<{name}>"

        return _FIELD.sub(field, parser.name), found
    if kind == "re":
        return _RegexReader(parser.name).read()
    return parser.name, []


class _RegexReader:
    """Reads the regular expressions step sentences are written with as a person would say them.

    Step patterns use a small part of the syntax: literal words, named groups,
    choices and an optional letter. Anything else inside a named group is the
    group's business; outside one, a character class or a wildcard reads ``…``.

        >>> _RegexReader(r'there is an? (?P<severity>error|warning) finding about "(?P<text>[^"]+)"').read()
        ('there is a(n) <severity> finding about "<text>"', [('severity', False, ('error', 'warning')), \
('text', False, ())])
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.parameters: list[tuple[str, bool, tuple[str, ...]]] = []

    def read(self) -> tuple[str, list[tuple[str, bool, tuple[str, ...]]]]:
        return self._read(self.pattern.removeprefix("^").removesuffix("$")), self.parameters

    def _read(self, pattern: str) -> str:
        out: list[str] = []
        index = 0
        while index < len(pattern):
            char = pattern[index]
            if char == "\\" and index + 1 < len(pattern):
                escaped = pattern[index + 1]
                out.append(" " if escaped == "s" else "…" if escaped in "dwDWS" else escaped)
                index += 2
            elif char == "(":
                end = _closing(pattern, index)
                body = pattern[index + 1 : end]
                named = re.match(r"\?P<(\w+)>", body)
                if named:
                    choices = body[named.end() :]
                    words = tuple(choices.split("|")) if re.fullmatch(r"[\w' -]+(\|[\w' -]+)+", choices) else ()
                    self.parameters.append((named.group(1), choices in (r"\d+", "[0-9]+"), words))
                    out.append(f"<{named.group(1)}>")
                else:
                    out.append(f"({self._read(body.removeprefix('?:'))})")
                index = end + 1
            elif char == "[":
                index = _closing(pattern, index, "[", "]") + 1
                out.append("…")
            elif char == "?" and out:
                out[-1] = f"[{out[-1][1:-1]}]" if out[-1].startswith("(") else f"({out[-1]})"
                index += 1
            elif char in "+*":
                index += 1
            elif char == ".":
                out.append("…")
                index += 1
            else:
                out.append(char)
                index += 1
        return "".join(out)


def _closing(pattern: str, start: int, opening: str = "(", closing: str = ")") -> int:
    """The index of the bracket that closes the one at ``start`` (escapes and character classes skipped)."""
    depth, index = 0, start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[" and opening == "(":
            index = _closing(pattern, index, "[", "]") + 1
            continue
        if char == opening:
            depth += 1
        elif char == closing and (opening != "[" or index > start + 1):
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ProvsimError(f"step pattern {pattern!r}: an unbalanced {opening!r}; fix the step's pattern")


def _example(parser: StepParser, keyword: str, doc: str, exact: str | None) -> str | None:
    """The docstring's first example that the step's own parser matches; an exact sentence is its own example."""
    for written in _EXAMPLE.findall(doc):
        sentence: str = written.strip()
        if not _SCENARIO_KEYWORD.match(sentence):
            sentence = f"{keyword} {sentence}"
        if parser.is_matching(_SCENARIO_KEYWORD.sub("", sentence, count=1)):
            return sentence
    return f"{keyword} {exact}" if exact is not None else None


def _parsed(parser: StepParser, example: str) -> dict[str, Any]:
    return parser.parse_arguments(_SCENARIO_KEYWORD.sub("", example, count=1)) or {}


def _documented_values(doc: str, keyword: str, count: int) -> list[tuple[str, ...]]:
    """The choices the docstring's sentence gives its placeholders (``<Linux|Windows>``), in order.

    Used only when the docstring's sentence has as many placeholders as the
    parser has fields, so that each lines up with its own.
    """
    literal = re.match(rf"``{keyword} (.+?)``", doc)
    placeholders = re.findall(r"<([^<>]+)>", literal.group(1)) if literal else []
    if len(placeholders) != count:
        return [()] * count
    return [tuple(p.split("|")) if "|" in p else () for p in placeholders]


def words_read(function: Any, parameters: list[str]) -> dict[str, tuple[str, ...]]:
    """The words each parameter accepts, for those the step reads with a :mod:`provsim.steps.words` reader.

    Found in the step's code: a call ``words.<reader>(<parameter>)``, in the
    step or in a function of its module it hands the parameter to (``an_image(provsim,
    os, state)``). The words are the ``literals`` of the reader's docstring,
    which is the reader's own documentation of what it accepts.
    """
    words = importlib.import_module("..steps.words", __package__)
    module = inspect.getmodule(function)
    found: dict[str, tuple[str, ...]] = {}
    if module is None or getattr(module, "words", None) is not words:
        return found

    def visit(function: Any, names: dict[str, str], depth: int) -> None:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError, SyntaxError):
            return
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            passed = _passed_names(call, names)
            target = call.func
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "words":
                reader = getattr(words, target.attr, None)
                argument = call.args[0] if call.args else None
                if reader is not None and isinstance(argument, ast.Name) and argument.id in names:
                    found.setdefault(names[argument.id], _literals(inspect.getdoc(reader) or ""))
            elif isinstance(target, ast.Name) and passed and depth < 3:
                helper = getattr(module, target.id, None)
                if inspect.isfunction(helper) and helper.__module__ == module.__name__:
                    visit(helper, _by_parameter(helper, call, names), depth + 1)

    visit(function, {name: name for name in parameters}, 0)
    return found


def _passed_names(call: ast.Call, names: dict[str, str]) -> bool:
    arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
    return any(isinstance(argument, ast.Name) and argument.id in names for argument in arguments)


def _by_parameter(helper: Any, call: ast.Call, names: dict[str, str]) -> dict[str, str]:
    """The helper's parameter names -> the sentence's, for the sentence's parameters passed on as they are."""
    parameters = list(inspect.signature(helper).parameters)
    passed: dict[str, str] = {}
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Name) and argument.id in names and position < len(parameters):
            passed[parameters[position]] = names[argument.id]
    for keyword in call.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id in names:
            passed[keyword.arg] = names[keyword.value.id]
    return passed


def _literals(doc: str) -> tuple[str, ...]:
    """``"``Linux`` or ``Windows`` (any case)."`` -> ``("Linux", "Windows")``: the first paragraph's literals."""
    return tuple(re.findall(r"``([^`]+)``", doc.split("\n\n", 1)[0]))


def _summary(doc: str) -> str:
    """The docstring's first paragraph without its leading sentence: what the step does."""
    rest = re.sub(r"^``[^`]+``\s*[:,;.]?\s*", "", doc)
    rest = re.sub(r":\w+:`~?([^`]+)`", r"``\1``", rest)
    return rest.strip()


def render_markdown(sentences: list[Sentence]) -> str:
    """The README's table: one row per sentence (``|`` escaped, as GitHub's tables need even in code)."""
    rows = ["| sentence | parameters | example | module |", "| --- | --- | --- | --- |"]
    for sentence in sentences:
        cells = [
            _code(sentence.sentence),
            "; ".join(_markdown_parameter(p) for p in sentence.parameters) or "-",
            _code(sentence.example) if sentence.example else "(none in its docstring)",
            _code(sentence.module),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def _markdown_parameter(parameter: Parameter) -> str:
    shown = f"`<{parameter.name}>`"
    if parameter.values:
        shown += ": " + ", ".join(_code(v) for v in parameter.values)
    elif parameter.whole_number:
        shown += ": a whole number"
    return shown


def render_text(sentences: list[Sentence]) -> str:
    """Sentences grouped by module, each with what it does, its parameters and its example."""
    lines: list[str] = []
    module = None
    for sentence in sentences:
        if sentence.module != module:
            module = sentence.module
            lines += [""] if lines else []
            lines.append(f"{module}:")
        lines.append(f"  {sentence.sentence}")
        if sentence.summary:
            lines.append(f"      {sentence.summary.replace('``', '')}")
        for parameter in sentence.parameters:
            accepts = (
                " | ".join(parameter.values)
                if parameter.values
                else "a whole number"
                if parameter.whole_number
                else "text"
            )
            example = f" (e.g. {parameter.example})" if parameter.example else ""
            lines.append(f"      <{parameter.name}>: {accepts}{example}")
        lines.append(f"      example: {sentence.example or '(none in its docstring)'}")
    return "\n".join(lines)
