"""Packer HCL2 templates (``*.pkr.hcl``) through python-hcl2.

Reads ``variable`` defaults (given values as :mod:`.variables` says), ``locals``, ``source
"azure-arm"`` blocks and ``build`` blocks with their provisioners, and gives
one :class:`Pipeline` per azure-arm source a build uses. Strings are
interpolated for ``var.*``, ``local.*`` and ``path.root``; other expressions
(functions) are left as written. python-hcl2 gives no line numbers, so they
are found by searching the source text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from .model import Location, Pipeline, Tool
from .packer_steps import os_type_of, packer_step, packer_targets
from .sources import line_of, read_text
from .variables import PackerVariables

# "$${" is HCL's escape for a literal "${": not a reference.
_REFERENCE = re.compile(r"(?<!\$)\$\{\s*(var|local|path)\.([A-Za-z0-9_-]+)\s*\}")


class _Template:
    """The blocks of one or more .pkr.hcl files, with the text each came from."""

    def __init__(self) -> None:
        self.variables: dict[str, Any] = {}
        self.locals: dict[str, Any] = {}
        self.sources: dict[str, tuple[dict[str, Any], Path, str]] = {}
        self.builds: list[tuple[dict[str, Any], Path, str]] = []
        self.texts: dict[Path, str] = {}

    def where(self, reference: str) -> Location | None:
        """The first line outside a comment that mentions ``reference`` (python-hcl2 gives no lines)."""
        for path, text in self.texts.items():
            for number, line in enumerate(text.splitlines(), start=1):
                code = line.strip()
                if reference in line and not code.startswith(("#", "//", "/*", "*")):
                    return Location(str(path), number)
        return None


def parse_hcl(path: Path, text: str) -> dict[str, Any]:
    """The blocks and attributes of an HCL file's ``text``, strings unquoted."""
    import hcl2  # a heavy import: only when an HCL file is read

    try:
        document: dict[str, Any] = hcl2.loads(text)
    except Exception as error:  # lark raises several types; all mean "not valid HCL"
        line = getattr(error, "line", None)
        column = getattr(error, "column", None)
        where = f"{path}:{line}:{column}" if line else str(path)
        raise ProvsimError(f"{where}: not valid HCL ({_syntax_problem(error)}); fix the syntax") from None
    unquoted: dict[str, Any] = _unquote(document)
    return unquoted


def _syntax_problem(error: Exception) -> str:
    """Lark's error in a user's words (its token names, such as RBRACE, mean nothing to them)."""
    token = getattr(error, "token", None)
    expected = set(getattr(error, "expected", ()) or ())
    if token is not None and token.type == "$END":
        if "DBLQUOTE" in expected:
            return "the file ends inside a string: a closing quote is missing; truncated file?"
        if "RBRACE" in expected:
            return "the file ends inside a block: a closing } is missing; truncated file?"
        return "the file ends too early; truncated file?"
    if token is not None:
        shown = str(token).strip().splitlines()[0] if str(token).strip() else str(token)
        return f"unexpected {shown!r}"
    char = getattr(error, "char", None)
    if char is not None:
        return f"unexpected character {char!r}"
    text = str(error).strip()
    return text.splitlines()[0][:120] if text else type(error).__name__


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, dict):
        # python-hcl2 adds "__is_block__", "__comments__" and the like: metadata, not template content.
        return {_unquote(k): _unquote(v) for k, v in value.items() if not (k.startswith("__") and k.endswith("__"))}
    return value


def read_packer_hcl(path: Path, variables: PackerVariables) -> list[Pipeline]:
    """Pipelines of a .pkr.hcl file, or of every .pkr.hcl file in a folder."""
    files = sorted(path.glob("*.pkr.hcl")) if path.is_dir() else [path]
    if not files:
        raise ProvsimError(f"{path}: no *.pkr.hcl files in this folder; pass a template or a folder of them")
    template = _Template()
    for file in files:
        text = read_text(file)
        template.texts[file] = text
        document = parse_hcl(file, text)
        for block in document.get("variable", []):
            for name, body in block.items():
                template.variables[name] = body.get("default") if isinstance(body, dict) else None
        for block in document.get("variables", []):  # the older form: names and defaults in one block
            template.variables.update(block)
        for block in document.get("locals", []):
            template.locals.update(block)
        for block in document.get("source", []):
            for kind, named in block.items():
                for name, body in named.items():
                    template.sources[f"{kind}.{name}"] = (body, file, text)
        template.builds.extend((body, file, text) for body in document.get("build", []))
    variables.apply(template.variables, path, hcl=True)
    # Packer's path.root is the template's folder; absolute, so scripts below it resolve from anywhere.
    root = str((path if path.is_dir() else path.parent).resolve())
    pipelines: list[Pipeline] = []
    for build, file, text in template.builds:
        for reference in _build_sources(build):
            # Packer also accepts "sources." (seen in published templates).
            key = reference.removeprefix("source.").removeprefix("sources.")
            if not key.startswith("azure-arm."):
                continue
            if key not in template.sources:
                raise ProvsimError(f"{file}: build uses {reference!r}, but no such source is declared")
            body, source_file, source_text = template.sources[key]
            unset: dict[str, Location] = {}
            resolve = _resolver(template, root, path, unset)
            pipeline = _pipeline(key, resolve(body), source_file, source_text, build, file, text, resolve)
            pipeline.unset_variables = unset
            pipelines.append(pipeline)
    if not pipelines:
        raise ProvsimError(f"{path}: no build uses an azure-arm source; provsim checks Azure image pipelines only")
    return pipelines


def _build_sources(build: dict[str, Any]) -> list[str]:
    names = [str(s) for s in build.get("sources", [])]
    for block in build.get("source", []):
        names.extend(str(name) for name in block)
    return names


def _resolver(template: _Template, root: str, path: Path, unset: dict[str, Location]) -> Any:
    """Interpolation of strings; records in ``unset`` the variables used that have no value."""

    def value_of(scope: str, name: str) -> str | None:
        table = {"var": template.variables, "local": template.locals}.get(scope)
        if scope == "path":
            return root if name == "root" else None
        if table is not None and name not in table:
            # Packer refuses such a template; most often one file of a folder was passed alone.
            where = template.where(f"{scope}.{name}") or path
            raise ProvsimError(
                f"{where}: {scope}.{name} is used but not declared; declare it, or check the whole folder of "
                "templates that declares it"
            )
        if table is None or table[name] is None:
            if scope == "var" and name not in unset:
                unset[name] = template.where(f"var.{name}") or Location(str(path))
            return None
        found = table[name]
        return str(found).lower() if isinstance(found, bool) else str(found)

    def resolve(value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):

            def substitute(match: re.Match[str]) -> str:
                found = value_of(match.group(1), match.group(2))
                return match.group(0) if found is None or depth > 8 else str(resolve(found, depth + 1))

            return _REFERENCE.sub(substitute, value).replace("$${", "${")
        if isinstance(value, list):
            return [resolve(item, depth) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item, depth) for key, item in value.items()}
        return value

    return resolve


def _pipeline(
    key: str,
    body: dict[str, Any],
    source_file: Path,
    source_text: str,
    build: dict[str, Any],
    build_file: Path,
    build_text: str,
    resolve: Any,
) -> Pipeline:
    name = key.split(".", 1)[1]
    source_line = line_of(source_text, f'"{name}"') or None
    location = Location(str(source_file), source_line)
    os_type = os_type_of(body, f"{location}: source {key}")
    pipeline = Pipeline(str(source_file), Tool.PACKER, name, os_type, location)
    pipeline.targets = packer_targets(body, location, source_text, source_line or 1)
    build_line = line_of(build_text, "build") or 1
    cursor = build_line
    for index, block in enumerate(build.get("provisioner", []), start=1):
        for kind, settings in block.items():
            line = _provisioner_line(build_text, kind, cursor)
            cursor = line + 1
            if not _applies(settings, key):
                continue
            settings = resolve(settings)
            step_location = Location(str(build_file), line)
            pipeline.steps.append(
                packer_step(
                    kind, settings, f"{kind} provisioner #{index}", step_location, build_file.parent, build_text
                )
            )
    return pipeline


def _provisioner_line(text: str, kind: str, start: int) -> int:
    """The line of the next ``provisioner "kind"`` block (the label may be unquoted)."""
    pattern = re.compile(rf'^\s*provisioner\s+"?{re.escape(kind)}"?\s*\{{')
    for number, line in enumerate(text.splitlines()[start - 1 :], start=start):
        if pattern.match(line):
            return number
    return start


def _applies(settings: dict[str, Any], key: str) -> bool:
    """``only``/``except`` name sources as ``azure-arm.name``, or by type or name alone."""
    kind, name = key.split(".", 1)

    def names(field: str) -> set[str]:
        return {str(s).removeprefix("source.") for s in settings.get(field, [])}

    only, excepted = names("only"), names("except")
    mine = {key, kind, name}
    return (not only or bool(only & mine)) and not excepted & mine
