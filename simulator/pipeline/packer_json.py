"""Packer JSON templates: ``azure-arm`` builders and their provisioners.

``{{user `name`}}`` is replaced by the template's ``variables`` (given values
by ``--var-file`` and ``--var``); provisioners honour ``only`` and ``except`` by builder name.
The shapes Packer's template parser insists on are checked first: ``builders`` a list of
objects, ``provisioners`` a list of objects with a ``type``, ``variables`` an object of
strings, ``sensitive-variables`` a list of names (whose values every output masks).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from ..masking import mask
from . import shapes
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
from .sources import NEARBY, line_of
from .variables import PackerVariables

_USER = re.compile(r"\{\{\s*user\s+[`\"]([^`\"]+)[`\"]\s*\}\}")
_ENV = re.compile(r"\{\{\s*env\s+[`\"]([^`\"]+)[`\"]\s*\}\}")
_TEMPLATE_DIR = re.compile(r"\{\{\s*template_dir\s*\}\}")


def read_packer_json(path: Path, document: dict[str, Any], text: str, given: PackerVariables) -> list[Pipeline]:
    """One pipeline per azure-arm builder of a Packer JSON template."""

    def at(key: str, start: int = 1) -> str:
        return str(Location(str(path), line_of(text, f'"{key}"', start)))

    raw_variables = shapes.mapping(
        document.get("variables"), at("variables"), "variables", 'write an object of names, {"name": "value"}'
    )
    declared: dict[str, Any] = {}
    for name, value in raw_variables.items():
        if isinstance(value, list | dict):
            raise ProvsimError(
                f"{at(name)}: variable {name!r} is {shapes.kind_of(value)}; Packer JSON variables are strings"
            )
        # A default may read the environment ({{env `NAME`}}: Packer allows it in variables only); unset is "".
        if isinstance(value, str):
            value = _ENV.sub(lambda match: given.environment.get(match.group(1), ""), value)
        declared[name] = value
    names = shapes.texts(document.get("sensitive-variables"), at("sensitive-variables"), "sensitive-variables")
    seen: dict[str, list[Any]] = {}
    given.apply(declared, path, seen=seen)
    variables = {str(k): shapes.text(v, at(k), f"variable {k!r}") or "" for k, v in declared.items()}
    sensitive = {value for name in names for value in leaves(seen.get(name))}
    try:
        return _pipelines(path, document, text, variables, sensitive)
    except ProvsimError as error:
        raise ProvsimError(mask(error.message, sensitive)) from None


def _pipelines(
    path: Path, document: dict[str, Any], text: str, variables: dict[str, str], sensitive: set[str]
) -> list[Pipeline]:
    def at(key: str, start: int = 1) -> str:
        return str(Location(str(path), line_of(text, f'"{key}"', start)))

    def resolve(value: Any) -> Any:
        # Variable values are inserted as they are, never expanded again (as Packer does).
        if isinstance(value, str):
            # Packer's {{template_dir}} is the template's folder as an absolute path: joined onto nothing else.
            value = _TEMPLATE_DIR.sub(lambda _: str(path.resolve().parent), value)
            return _USER.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    builders = shapes.objects(
        document.get("builders"),
        at("builders"),
        "builders",
        'write a list of builder objects, [{"type": "azure-arm", ...}]',
        optional=False,
    )
    provisioners = shapes.objects(
        document.get("provisioners"), at("provisioners"), "provisioners", 'write a list, [{"type": "shell", ...}]'
    )
    azure = [b for b in builders if b.get("type") == "azure-arm"]
    if not azure:
        raise ProvsimError(f"{path}: no azure-arm builder; provsim checks Azure image pipelines only")
    pipelines: list[Pipeline] = []
    cursor = 1
    for builder in azure:
        start = line_of(text, '"azure-arm"', cursor) or 1
        cursor = start + 1
        location = Location(str(path), start)
        body = resolve(builder)
        name = shapes.text(body.get("name"), at("name", start), "builder name") or "azure-arm"
        os_type = os_type_of(body, f"{location}: builder {name!r}")
        pipeline = Pipeline(str(path), Tool.PACKER, name, os_type, location, source_image=source_image_of(body))
        pipeline.build_user = build_user_of(body)
        pipeline.settings = body
        pipeline.targets = packer_targets(body, location, text, start, hcl=False)
        found = set(sensitive) | secret_values(body)
        step_cursor = line_of(text, '"provisioners"') or 1
        budget = ScriptBudget()
        for index, settings in enumerate(provisioners, start=1):
            where = str(Location(str(path), step_cursor))
            kind = settings.get("type")
            if kind is not None and not isinstance(kind, str):
                raise ProvsimError(
                    f'{where}: provisioner #{index}: type is {shapes.kind_of(kind)}; write a string, such as "shell"'
                )
            if not kind:
                raise ProvsimError(f'{where}: provisioner #{index} has no "type"; add one, such as "type": "shell"')
            line = line_of(text, f'"{kind}"', step_cursor, NEARBY) or step_cursor
            step_cursor = line + 1
            step_where = str(Location(str(path), line))
            only = shapes.texts(settings.get("only"), step_where, f"provisioner #{index}: only")
            excepted = shapes.texts(settings.get("except"), step_where, f"provisioner #{index}: except")
            if (only and name not in only) or name in excepted:
                continue
            resolved = resolve(settings)
            found |= secret_values(resolved)
            pipeline.steps.append(
                packer_step(
                    kind,
                    resolved,
                    f"{kind} provisioner #{index}",
                    Location(str(path), line),
                    path.parent,
                    text,
                    hcl=False,
                    budget=budget,
                )
            )
        pipeline.sensitive = frozenset(found)
        pipelines.append(pipeline)
    return pipelines
