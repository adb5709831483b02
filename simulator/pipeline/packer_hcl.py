"""Packer HCL2 templates (``*.pkr.hcl``) through python-hcl2.

Reads ``variable`` defaults (given values as :mod:`.variables` says), ``locals``, ``source
"azure-arm"`` blocks and ``build`` blocks with their provisioners, and gives
one :class:`Pipeline` per azure-arm source a build uses. Strings are
interpolated for ``var.*``, ``local.*`` and ``path.root``; other expressions
(functions) are left as written. python-hcl2 gives no line numbers, so they
are found by searching the source text.

Blocks are checked as Packer checks them: a ``source`` takes two labels, a
``provisioner`` one, a ``build`` none, and a name declared twice is refused.
Values follow Packer's rules: a variable's value, however given, is text and
never expanded again (``--var x='${var.y}'`` stays as written), so values
cannot multiply; each local is evaluated once, a cycle of locals is refused
naming its members, and no string may grow beyond :data:`MAX_STRING`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from ..masking import mask
from . import shapes
from .hcl_expressions import UNKNOWN, ExpressionError, evaluate_template
from .model import Location, Pipeline, Tool
from .packer_steps import (
    ScriptBudget,
    build_user_of,
    leaves,
    os_type_of,
    packer_step,
    packer_targets,
    secret_values,
    source_image_of,
)
from .simple_blocks import split_simple_variables
from .sources import line_of, read_text, text_lines
from .variables import PackerVariables

# "$${" is HCL's escape for a literal "${": not a reference. One pattern for both, so text a
# reference brings in is never scanned again.
_REFERENCE = re.compile(r"\$\$\{|\$\{\s*(var|local|path)\.([A-Za-z0-9_-]+)\s*\}")
_WHOLE_REFERENCE = re.compile(r"^\$\{\s*(var|local|path)\.([A-Za-z0-9_-]+)\s*\}$")
#: The longest string interpolation may build. Packer has no such limit, but it evaluates each
#: local once and so never builds a string longer than the template could spell out; locals that
#: double one another thirty times would spell out 2^30 copies. A real template's longest value
#: (an inline script) is a few KiB: 1 MiB refuses only such blow-ups, with the local that crosses it.
MAX_STRING = 1024 * 1024

#: The most HCL provsim hands python-hcl2 per file, not counting plain variable blocks (read
#: without it, :mod:`.simple_blocks`) and line breaks. python-hcl2 reads about 60 KiB a second and
#: slows as files grow (436 KiB: 7 s); the largest published templates are a few dozen KiB, so
#: 256 KiB keeps a CI check within seconds and refuses only generated or hostile files.
MAX_HCL_CHARACTERS = 256 * 1024
#: The same budget for a folder of templates, all files together: twice one file's.
MAX_FOLDER_CHARACTERS = 2 * MAX_HCL_CHARACTERS
#: The deepest bracket nesting handed to python-hcl2: it recurses per level and fails near 200
#: (after seconds of work at 100,000); templates nest half a dozen.
MAX_HCL_DEPTH = 100
#: The longest chain of locals each referring to the next that is evaluated. Packer sets none;
#: provsim evaluates a chain by recursion, and real templates chain three or four.
MAX_LOCAL_CHAIN = 100

Resolve = Callable[[Any], Any]


class _Template:
    """The blocks of one or more .pkr.hcl files, with the text each came from."""

    def __init__(self) -> None:
        self.variables: dict[str, Any] = {}
        self.sensitive_variables: set[str] = set()
        self.locals: dict[str, Any] = {}
        self.sensitive_locals: set[str] = set()
        self.declared_at: dict[str, Location] = {}
        self.sources: dict[str, tuple[dict[str, Any], Path, str, int | None]] = {}
        self.builds: list[tuple[dict[str, Any], Path, str, int | None]] = []
        self.texts: dict[Path, str] = {}
        self.environment: Mapping[str, str] = {}
        self.null_defaults: set[str] = set()
        """Variables declared with ``default = null``: they have a value, null, and Packer does not stop."""

    def where(self, reference: str) -> Location | None:
        """The first line outside a comment that mentions ``reference`` (python-hcl2 gives no lines)."""
        for path, text in self.texts.items():
            lines = text_lines(text)
            offset = text.find(reference)
            while offset >= 0:
                number = lines.line_at(offset)
                code = lines.line(number).strip()
                if not code.startswith(("#", "//", "/*", "*")):
                    return Location(str(path), number)
                offset = text.find(reference, lines.starts[number] if number < lines.lines() else len(text))
        return None

    def declare(self, kind: str, name: str, where: Location) -> None:
        key = f"{kind}.{name}"
        if key in self.declared_at:
            raise ProvsimError(
                f"{where}: {kind} {name!r} is declared twice (first at {self.declared_at[key]}); Packer refuses "
                "a duplicate, keep one"
            )
        self.declared_at[key] = where


def parse_hcl_raw(path: Path, text: str, *, quote: bool = True) -> dict[str, Any]:
    """python-hcl2's reading of ``text``: strings still quoted, blocks marked ``__is_block__``.

    ``quote``: a syntax error may quote the offending text; not for var files, which hold
    secrets whose variables are not known to be sensitive until the template is read.
    """
    from .hcl_grammar import loads  # python-hcl2 and Lark load only when an HCL file is read

    _check_size_and_depth(path, text)
    try:
        document: dict[str, Any] = loads(text)
    except RecursionError:
        raise ProvsimError(f"{path}: nested too deeply to read; no template nests like that, fix the file") from None
    except Exception as error:  # lark raises several types; all mean "not valid HCL"
        line = getattr(error, "line", None)
        column = getattr(error, "column", None)
        where = f"{path}:{line}:{column}" if line else str(path)
        raise ProvsimError(f"{where}: not valid HCL ({_syntax_problem(error, quote)}); fix the syntax") from None
    return document


def _check_size_and_depth(path: Path, text: str) -> None:
    """Refuse, before parsing, what python-hcl2 would take minutes over or fail on."""
    size = len(text) - text.count("\n")
    if size > MAX_HCL_CHARACTERS:
        raise ProvsimError(
            f"{path}: {size} characters of HCL, more than provsim reads in one file ({MAX_HCL_CHARACTERS}); "
            "split the template into several .pkr.hcl files in one folder"
        )
    depth = 0
    for match in re.finditer(r"[\[{(]|[\]})]", text):
        depth += 1 if match.group() in "[{(" else -1
        if depth > MAX_HCL_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            raise ProvsimError(
                f"{path}:{line}: brackets nested deeper than {MAX_HCL_DEPTH} levels; no template nests like that, "
                "fix the file"
            )


def parse_hcl(path: Path, text: str, *, quote: bool = True) -> dict[str, Any]:
    """The blocks and attributes of an HCL file's ``text``, strings unquoted."""
    unquoted: dict[str, Any] = _unquote(parse_hcl_raw(path, text, quote=quote))
    return unquoted


def _syntax_problem(error: Exception, quote: bool = True) -> str:
    """Lark's error in a user's words (its token names, such as RBRACE, mean nothing to them)."""
    token = getattr(error, "token", None)
    expected = set(getattr(error, "expected", ()) or ())
    if token is not None and token.type == "$END":
        if "DBLQUOTE" in expected:
            return "the file ends inside a string: a closing quote is missing; truncated file?"
        if "RBRACE" in expected:
            return "the file ends inside a block: a closing } is missing; truncated file?"
        return "the file ends too early; truncated file?"
    if token is not None and not quote:
        return "unexpected text here"
    if token is not None:
        shown = str(token).strip().splitlines()[0] if str(token).strip() else str(token)
        return f"unexpected {shown[:60]!r}"
    char = getattr(error, "char", None)
    if char is not None:
        return f"unexpected character {char!r}" if quote else "unexpected character here"
    if isinstance(error, ValueError) and "digits" in str(error):
        return "a number too long to convert; write it as a string"
    text = str(error).strip()
    if not quote or not text:
        return type(error).__name__
    return text.splitlines()[0][:120]


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return decode_string(value[1:-1])
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, dict):
        # python-hcl2 adds "__is_block__", "__comments__" and the like: metadata, not template content.
        return {_unquote(k): _unquote(v) for k, v in value.items() if not (k.startswith("__") and k.endswith("__"))}
    return value


_HEREDOC = re.compile(r"^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n(.*?)^[ \t]*\2[ \t]*$", re.DOTALL | re.MULTILINE)
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_ESCAPED = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def decode_string(raw: str) -> str:
    r"""A string as HCL decodes it: escapes in quoted strings, heredocs without their markers.

    python-hcl2 keeps both as written, so an ``inline`` heredoc would reach the
    shell with its ``<<EOT`` line. Interpolations (``${...}``) are left for the
    expression evaluator, which decodes the strings inside them itself.

    >>> decode_string(r'café	bar "x"')
    'café	bar "x"'
    >>> decode_string("<<-EOT\n    sudo waagent -force -deprovision+user\n      sync\n    EOT")
    'sudo waagent -force -deprovision+user\n  sync\n'
    """
    heredoc = _HEREDOC.match(raw)
    if heredoc:
        lines = heredoc.group(3).splitlines(keepends=True)
        if heredoc.group(1):  # <<- : the least-indented line's indentation comes off every line
            indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            cut = min(indents, default=0)
            lines = [line[cut:] if line.strip() else line.lstrip(" \t") for line in lines]
        return "".join(lines)
    pieces: list[str] = []
    index = 0
    while index < len(raw):
        start = raw.find("${", index)
        if start < 0 or raw.startswith("$${", start - 1 if start else start):
            end_literal = len(raw) if start < 0 else start + 2
            pieces.append(_ESCAPE.sub(_decode_escape, raw[index:end_literal]))
            index = end_literal
            continue
        pieces.append(_ESCAPE.sub(_decode_escape, raw[index:start]))
        close = _interpolation_end(raw, start + 2)
        # Inside an interpolation, only the quotes around nested strings were escaped by the serializer.
        pieces.append(raw[start:close].replace('\\"', '"'))
        index = close
    return "".join(pieces)


def _decode_escape(match: re.Match[str]) -> str:
    if match.group(1) or match.group(2):
        return chr(int(match.group(1) or match.group(2), 16))
    return _ESCAPED.get(match.group(3), "\\" + match.group(3))


def _interpolation_end(raw: str, index: int) -> int:
    depth = 0
    while index < len(raw):
        if raw[index] == "{":
            depth += 1
        elif raw[index] == "}":
            if depth == 0:
                return index + 1
            depth -= 1
        index += 1
    return len(raw)


_LABELS = {0: "no label", 1: "one label", 2: "two labels"}
_EXAMPLES = {
    "variable": 'variable "name" { ... }',
    "local": 'local "name" { expression = ... }',
    "locals": "locals { ... }",
    "variables": "variables { ... }",
    "source": 'source "azure-arm" "name" { ... }',
    "build": "build { ... }",
    "provisioner": 'provisioner "shell" { ... }',
}


def _block_lines(text: str, block_type: str, start: int = 0, nested: bool = False) -> list[int]:
    """The lines where ``block_type`` blocks open, in order (at the start of a line when not ``nested``)."""
    indent = r"[ \t]*" if nested else ""
    pattern = re.compile(rf"^{indent}{re.escape(block_type)}\b[^=\n]*\{{", re.MULTILINE)
    lines = text_lines(text)
    return [lines.line_at(match.start()) for match in pattern.finditer(text, start)]


def _blocks(
    body: dict[str, Any],
    block_type: str,
    labels: int,
    where: Callable[[int], Location],
    attribute_at: Callable[[str], Location | None] = lambda _: None,
) -> list[tuple[tuple[str, ...], dict[str, Any], Location]]:
    """The ``block_type`` blocks of a raw body: their labels, raw body and place, refusing a wrong shape.

    ``attribute_at`` finds the line of ``name = ...``, for a block written as an attribute.
    """
    value = body.get(block_type)
    if value is None:
        return []
    example = _EXAMPLES.get(block_type, f"{block_type} {{ ... }}")
    if not isinstance(value, list):
        place = where(0)
        if place.line is None:
            place = attribute_at(block_type) or place
        raise ProvsimError(
            f"{place}: {block_type} is an attribute ({shapes.kind_of(value)}), not a block; write {example}"
        )
    found: list[tuple[tuple[str, ...], dict[str, Any], Location]] = []
    for index, item in enumerate(value):
        place = where(index)
        names: list[str] = []
        node: Any = item
        while isinstance(node, dict) and "__is_block__" not in node and len(node) == 1:
            ((key, node),) = node.items()
            names.append(str(_unquote(key)))
        if not isinstance(node, dict) or "__is_block__" not in node:
            raise ProvsimError(f"{place}: {block_type} is an attribute, not a block; write {example}")
        if len(names) != labels:
            raise ProvsimError(
                f"{place}: a {block_type} block takes {_LABELS[labels]}, this one has {len(names)}; write {example}"
            )
        found.append((tuple(names), node, place))
    return found


def _placer(path: Path, lines: list[int]) -> Callable[[int], Location]:
    return lambda index: Location(str(path), lines[index] if index < len(lines) else None)


def read_packer_hcl(path: Path, variables: PackerVariables) -> list[Pipeline]:
    """Pipelines of a .pkr.hcl file, or of every .pkr.hcl file in a folder."""
    files = sorted(path.glob("*.pkr.hcl")) if path.is_dir() else [path]
    if not files:
        raise ProvsimError(f"{path}: no *.pkr.hcl files in this folder; pass a template or a folder of them")
    template = _Template()
    total = 0
    for file in files:
        text = read_text(file)
        template.texts[file] = text
        rest, simple = split_simple_variables(text)
        total += len(rest) - rest.count("\n")
        if total > MAX_FOLDER_CHARACTERS:
            raise ProvsimError(
                f"{path}: the folder's .pkr.hcl files hold more than {MAX_FOLDER_CHARACTERS} characters of HCL "
                f"(plain variable blocks aside), more than provsim reads; check a smaller folder"
            )
        _read_file(template, file, rest, parse_hcl_raw(file, rest), simple)
    template.environment = variables.environment
    _evaluate_defaults(template, path)
    seen: dict[str, list[Any]] = {}
    variables.apply(template.variables, path, hcl=True, seen=seen)
    sensitive = {value for name in template.sensitive_variables for value in leaves(seen.get(name))}
    try:
        pipelines = _pipelines(template, path, sensitive)
    except ProvsimError as error:
        raise ProvsimError(mask(error.message, sensitive)) from None
    if not pipelines:
        raise ProvsimError(f"{path}: no build uses an azure-arm source; provsim checks Azure image pipelines only")
    return pipelines


def _evaluate_defaults(template: _Template, path: Path) -> None:
    """Variable defaults may call functions (``env("HOME")``, ``lower(...)``), never refer to other values.

    Values given for a variable (``--var``, ``PKR_VAR_``, var files) are taken as they are, never evaluated.
    """

    def no_references(scope: str, name: str) -> Any:
        return UNKNOWN  # refused earlier, with its line, for var. and local.

    for name, default in template.variables.items():
        if isinstance(default, str) and "${" in default:
            try:
                template.variables[name] = evaluate_template(default, no_references, template.environment)
            except ExpressionError as error:
                where = template.declared_at.get(f"var.{name}") or path
                raise ProvsimError(f"{where}: variable {name!r}: {error.message}") from None


def _read_file(
    template: _Template,
    file: Path,
    text: str,
    document: dict[str, Any],
    simple: list[tuple[str, dict[str, Any], int]],
) -> None:
    """Declare what one file holds; ``simple`` are the variable blocks read without python-hcl2."""

    def top(block_type: str) -> Callable[[int], Location]:
        return _placer(file, _block_lines(text, block_type))

    def attribute(name: str) -> Location | None:
        found = re.search(rf"^[ \t]*{re.escape(name)}[ \t]*=", text, re.MULTILINE)
        return Location(str(file), text_lines(text).line_at(found.start())) if found else None

    variables = _blocks(document, "variable", 1, top("variable"), attribute)
    declared = [(labels, _unquote(raw), place) for labels, raw, place in variables]
    declared += [((name,), body, Location(str(file), line)) for name, body, line in simple]
    declared.sort(key=lambda found: found[2].line or 0)
    for (name,), body, place in declared:
        template.declare("variable", name, place)
        default = body.get("default")
        if "default" in body and default is None:
            template.null_defaults.add(name)
        if any(_REFERENCE.search(value) for value in leaves(default) if "${" in value):
            raise ProvsimError(
                f"{place}: variable {name!r}: its default refers to a variable or local; Packer refuses "
                "this (Variables not allowed): use a local for derived values"
            )
        template.variables[name] = default
        if shapes.flag(body.get("sensitive"), str(place), f"variable {name!r}: sensitive"):
            template.sensitive_variables.add(name)
    # The older form: names and defaults in one block.
    for _, raw, place in _blocks(document, "variables", 0, top("variables"), attribute):
        for name, default in _unquote(raw).items():
            template.declare("variable", name, place)
            template.variables[name] = default
    for _, raw, place in _blocks(document, "locals", 0, top("locals"), attribute):
        for name, expression in _unquote(raw).items():
            template.declare("local", name, place)
            template.locals[name] = expression
    for (name,), raw, place in _blocks(document, "local", 1, top("local"), attribute):
        body = _unquote(raw)
        template.declare("local", name, place)
        template.locals[name] = body.get("expression")
        if shapes.flag(body.get("sensitive"), str(place), f"local {name!r}: sensitive"):
            template.sensitive_locals.add(name)
    for (kind, name), raw, place in _blocks(document, "source", 2, top("source"), attribute):
        template.declare("source", f"{kind}.{name}", place)
        template.sources[f"{kind}.{name}"] = (raw, file, text, place.line)
    for _, raw, place in _blocks(document, "build", 0, top("build"), attribute):
        template.builds.append((raw, file, text, place.line))


def _pipelines(template: _Template, path: Path, sensitive: set[str]) -> list[Pipeline]:
    # Packer's path.root is the template's folder; absolute, so scripts below it resolve from anywhere.
    root = str((path if path.is_dir() else path.parent).resolve())
    pipelines: list[Pipeline] = []
    for raw_build, file, text, build_line in template.builds:
        build_where = Location(str(file), build_line)
        for reference, rename, overrides in _build_sources(raw_build, text, build_line, file):
            # Packer also accepts "sources." (seen in published templates).
            key = reference.removeprefix("source.").removeprefix("sources.")
            if not key.startswith("azure-arm."):
                continue
            if key not in template.sources:
                hint = (
                    f"; if another .pkr.hcl file of {path.parent} declares it, check the folder as packer build does: "
                    f"provsim check {path.parent}"
                    if path.is_file() and len(list(path.parent.glob("*.pkr.hcl"))) > 1
                    else ""
                )
                raise ProvsimError(f"{build_where}: build uses {reference!r}, but no such source is declared{hint}")
            raw_body, source_file, source_text, source_line = template.sources[key]
            unset: dict[str, Location] = {}
            resolve, resolved_locals = _resolver(template, root, path, unset)
            # A source block inside the build sets or overrides the source's fields for this build (Packer merges).
            body = resolve({**_unquote(raw_body), **overrides})
            name = rename or key.split(".", 1)[1]
            source = (source_file, source_text, source_line)
            pipeline, secrets = _pipeline(key, name, body, source, raw_build, (file, text, build_line), resolve)
            build_name = shapes.text(_unquote(raw_build.get("name")), str(build_where), "build: name")
            if build_name:
                # As Packer names it in its output: several builds of one source stay apart.
                pipeline.name = f"{build_name}.{name}"
            pipeline.unset_variables = unset
            found = set(sensitive) | secret_values(body) | secrets
            for local in template.sensitive_locals & resolved_locals.keys():
                found |= leaves(resolved_locals[local])
            pipeline.sensitive = frozenset(found)
            pipelines.append(pipeline)
    return pipelines


def _build_sources(
    build: dict[str, Any], text: str, build_line: int | None, file: Path
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The sources a build uses, each with the name and the fields a ``source`` block inside the build gives it."""
    where = str(Location(str(file), line_of(text, "sources", build_line or 1) or build_line))
    names: list[tuple[str, str | None, dict[str, Any]]] = [
        (reference, None, {}) for reference in shapes.texts(_unquote(build.get("sources")), where, "build: sources")
    ]
    lines = _block_lines(text, "source", text_lines(text).starts[(build_line or 1) - 1], nested=True)
    for (reference,), raw, place in _blocks(build, "source", 1, _placer(file, lines)):
        body = _unquote(raw)
        rename = shapes.text(body.get("name"), str(place), f"source {reference!r}: name")
        names.append((reference, rename, {key: value for key, value in body.items() if key != "name"}))
    return names


def _resolver(template: _Template, root: str, path: Path, unset: dict[str, Location]) -> tuple[Resolve, dict[str, Any]]:
    """Interpolation of values, and the locals it evaluated; records in ``unset`` the variables without a value."""
    evaluated: dict[str, Any] = {}
    evaluating: list[str] = []

    def undeclared(scope: str, name: str) -> ProvsimError:
        # Packer refuses such a template; most often one file of a folder was passed alone.
        where = template.where(f"{scope}.{name}") or path
        return ProvsimError(
            f"{where}: {scope}.{name} is used but not declared; declare it, or check the whole folder of "
            "templates that declares it"
        )

    def value_of(scope: str, name: str) -> Any:
        """The referenced value, or None when it has none (left as written)."""
        if scope == "path":
            return root if name == "root" else None
        if scope == "var":
            if name not in template.variables:
                raise undeclared(scope, name)
            if template.variables[name] is None and name not in unset and name not in template.null_defaults:
                unset[name] = template.where(f"var.{name}") or Location(str(path))
            # A variable's value is never interpolated again: Packer takes it as given.
            return template.variables[name]
        if name not in template.locals:
            raise undeclared(scope, name)
        if name in evaluated:
            return evaluated[name]
        if name in evaluating:
            cycle = [*evaluating[evaluating.index(name) :], name]
            where = template.declared_at.get(f"local.{name}") or Location(str(path))
            raise ProvsimError(
                f"{where}: locals refer to each other in a cycle ({' -> '.join(f'local.{n}' for n in cycle)}); "
                "Packer refuses this, break the cycle"
            )
        if len(evaluating) >= MAX_LOCAL_CHAIN:
            where = template.declared_at.get(f"local.{name}") or Location(str(path))
            raise ProvsimError(
                f"{where}: local.{evaluating[0]} starts a chain of more than {MAX_LOCAL_CHAIN} locals each "
                "referring to the next; shorten the chain"
            )
        evaluating.append(name)
        try:
            evaluated[name] = resolve(template.locals[name], name)
        finally:
            evaluating.pop()
        return evaluated[name]

    def as_text(found: Any, scope: str, name: str) -> str:
        if isinstance(found, bool):
            return str(found).lower()
        if isinstance(found, list | dict):
            where = template.where(f"{scope}.{name}") or path
            raise ProvsimError(
                f"{where}: {scope}.{name} is {shapes.kind_of(found)} inside a string; Packer cannot include it "
                f'in a string template, use it on its own ({scope}.{name}, not "...${{{scope}.{name}}}...")'
            )
        return str(found)

    def known(scope: str, name: str) -> Any:
        if scope not in ("var", "local", "path"):
            return UNKNOWN
        found = value_of(scope, name)
        if found is None and scope == "var" and name in template.null_defaults:
            return None  # default = null is a value (optional variables in runner-images rely on it)
        return UNKNOWN if found is None else found

    def resolve(value: Any, local: str | None = None) -> Any:
        if isinstance(value, str):
            if "${" not in value:
                return value
            try:
                result = evaluate_template(value, known, template.environment)
            except ExpressionError as error:
                where = template.declared_at.get(f"local.{local}") if local else None
                raise ProvsimError(f"{where or path}: {error.message}") from None
            if isinstance(result, str) and len(result) > MAX_STRING:
                what = f"local.{local}" if local else "a value"
                where = template.declared_at.get(f"local.{local}") if local else None
                raise ProvsimError(
                    f"{where or path}: {what} expands to {len(result)} characters, more than provsim builds "
                    f"({MAX_STRING}); locals repeating each other multiply, write the value out"
                )
            return result
        if isinstance(value, list):
            return [resolve(item, local) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item, local) for key, item in value.items()}
        return value

    return resolve, evaluated


def _pipeline(
    key: str,
    name: str,
    body: dict[str, Any],
    source: tuple[Path, str, int | None],
    build: dict[str, Any],
    build_at: tuple[Path, str, int | None],
    resolve: Resolve,
) -> tuple[Pipeline, set[str]]:
    """One source's pipeline, with the secret settings its provisioners set."""
    source_file, source_text, source_line = source
    build_file, build_text, build_line = build_at
    location = Location(str(source_file), source_line)
    os_type = os_type_of(body, f"{location}: source {key}")
    pipeline = Pipeline(str(source_file), Tool.PACKER, name, os_type, location, source_image=source_image_of(body))
    pipeline.build_user = build_user_of(body)
    pipeline.settings = body
    pipeline.targets = packer_targets(body, location, source_text, source_line or 1)
    secrets: set[str] = set()
    budget = ScriptBudget()
    starts = text_lines(build_text).starts
    lines = _block_lines(build_text, "provisioner", starts[(build_line or 1) - 1], nested=True)
    for index, ((kind,), raw, step_location) in enumerate(
        _blocks(build, "provisioner", 1, _placer(build_file, lines)), start=1
    ):
        settings = _unquote(raw)
        if not _applies(settings, key, name, str(step_location)):
            listed = shapes.texts(settings.get("only"), str(step_location), "only")
            if kind_of_source := next((item for item in listed if item == key.split(".", 1)[0]), None):
                pipeline.skipped.append(
                    (
                        f"{kind} provisioner #{index} does not run: only = [{kind_of_source!r}] names no source, "
                        f'Packer matches whole names; write only = ["{key.split(".", 1)[0]}.{name}"]',
                        step_location,
                    )
                )
            continue
        settings = resolve(settings)
        step = packer_step(
            kind, settings, f"{kind} provisioner #{index}", step_location, build_file.parent, build_text, budget=budget
        )
        secrets |= secret_values(settings)
        pipeline.steps.append(step)
    return pipeline, secrets


def _applies(settings: dict[str, Any], key: str, name: str, where: str) -> bool:
    """``only``/``except`` as Packer matches them: exactly ``type.name``, the name a build's source block gives.

    Packer's ``OnlyExcept.Skip`` compares whole names, so ``only = ["azure-arm"]``
    runs the step on no source at all: a deprovision step written that way never
    runs (a pattern seen in published templates).
    """
    kind, _ = key.split(".", 1)

    def names(field: str) -> set[str]:
        return set(shapes.texts(settings.get(field), where, field))

    only, excepted = names("only"), names("except")
    mine = f"{kind}.{name}"
    return (not only or mine in only) and mine not in excepted
