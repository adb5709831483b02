"""Packer JSON templates: ``azure-arm`` builders and their provisioners.

``{{user `name`}}`` is replaced by the template's ``variables`` (given values
by ``--var-file`` and ``--var``); provisioners honour ``only`` and ``except`` by builder name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from .model import Location, Pipeline, Tool
from .packer_steps import os_type_of, packer_step, packer_targets
from .sources import line_of
from .variables import PackerVariables

_USER = re.compile(r"\{\{\s*user\s+[`\"]([^`\"]+)[`\"]\s*\}\}")
_TEMPLATE_DIR = re.compile(r"\{\{\s*template_dir\s*\}\}")


def read_packer_json(path: Path, document: dict[str, Any], text: str, given: PackerVariables) -> list[Pipeline]:
    """One pipeline per azure-arm builder of a Packer JSON template."""
    declared: dict[str, Any] = dict(document.get("variables") or {})
    given.apply(declared, path)
    variables = {str(k): str(v) for k, v in declared.items()}

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            value = _TEMPLATE_DIR.sub(str(path.parent), value)
            return _USER.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    builders = [b for b in document.get("builders", []) if isinstance(b, dict) and b.get("type") == "azure-arm"]
    if not builders:
        raise ProvsimError(f"{path}: no azure-arm builder; provsim checks Azure image pipelines only")
    pipelines: list[Pipeline] = []
    cursor = 1
    for builder in builders:
        body = resolve(builder)
        name = str(body.get("name") or "azure-arm")
        start = line_of(text, '"azure-arm"', cursor) or 1
        cursor = start + 1
        location = Location(str(path), start)
        os_type = os_type_of(body, f"{location}: builder {name!r}")
        pipeline = Pipeline(str(path), Tool.PACKER, name, os_type, location)
        pipeline.targets = packer_targets(body, location, text, start)
        step_cursor = line_of(text, '"provisioners"') or 1
        for index, settings in enumerate(document.get("provisioners", []), start=1):
            kind = str(settings.get("type", ""))
            line = line_of(text, f'"{kind}"', step_cursor) or step_cursor
            step_cursor = line + 1
            only, excepted = settings.get("only", []), settings.get("except", [])
            if (only and name not in only) or name in excepted:
                continue
            pipeline.steps.append(
                packer_step(
                    kind,
                    resolve(settings),
                    f"{kind} provisioner #{index}",
                    Location(str(path), line),
                    path.parent,
                    text,
                )
            )
        pipelines.append(pipeline)
    return pipelines
