"""Refusals of the platform that a template already shows: a gallery definition of the other generation or state.

A gallery image version must have its definition's Hyper-V generation; a
version built from a Gen2 source into a Gen1 definition is refused ("has a
different Hypervisor generation ['V2'] than the parent gallery image ['V1']";
AIB: "Error with Hyper-V Version validation (cross-generation)", FACTS.md
section 8). The source's generation is read off its SKU only where the SKU
says it (``-gen2``, ``g2``, ``gen2``; ``gen1``): many SKUs without a suffix
are Gen2 today, so no suffix is no evidence. The definition's generation is
known only where the same ARM template declares the gallery image
(``Microsoft.Compute/galleries/images`` with ``hyperVGeneration``); Packer
templates never state it, so for them nothing is judged. The same holds for the
definition's ``osState`` against the state the output is registered in.

    >>> sku_generation("22_04-lts-gen2"), sku_generation("2022-datacenter-g2"), sku_generation("server")
    ('V2', 'V2', None)
"""

from __future__ import annotations

import re
from typing import Any

from ..model import OsState
from .findings import Finding, Severity
from .model import Location, Pipeline, Target, TargetKind, Tool
from .sources import TextLines

_GEN2 = re.compile(r"(?:-gen2|gen2|-g2|g2)$", re.IGNORECASE)
_GEN1 = re.compile(r"(?:-gen1|gen1)$", re.IGNORECASE)
_PARAMETER = re.compile(r"^\[parameters\('([^']+)'\)\]$")
#: The resource type of a gallery image definition, as ARM spells it (compared case-insensitively).
DEFINITION_TYPE = "microsoft.compute/galleries/images"


def sku_generation(sku: str) -> str | None:
    """``V2`` or ``V1`` when the SKU's suffix names the Hyper-V generation, else None."""
    if _GEN2.search(sku):
        return "V2"
    if _GEN1.search(sku):
        return "V1"
    return None


def gallery_definitions(document: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The properties of every gallery image definition an ARM document declares, in order."""
    if not isinstance(document, dict) or depth > 8:
        return []
    found: list[dict[str, Any]] = []
    properties = document.get("properties")
    if str(document.get("type", "")).lower() == DEFINITION_TYPE and isinstance(properties, dict):
        found.append(properties)
    resources = document.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        found.extend(gallery_definitions(resource, depth + 1))
    return found


#: The settings of a gallery image definition the rules compare with the template's source and outputs.
DEFINITION_SETTINGS = ("hyperVGeneration", "osState")


def declared(pipeline: Pipeline, setting: str) -> tuple[list[str], int | None]:
    """Every gallery definition's ``setting`` in ``pipeline``'s ARM template (upper case), and the first one's line.

    Empty when the template declares no definition, a definition leaves the
    setting out or writes another expression: then nothing is known about all
    of them.
    """
    values, line = pipeline.gallery_definitions.get(setting, ((), None))
    return list(values), line


def definition_settings(document: Any, lines: TextLines) -> dict[str, tuple[tuple[str, ...], int | None]]:
    """What :attr:`Pipeline.gallery_definitions` holds, read once per ARM document by the AIB reader.

    A ``[parameters('gen')]`` takes the parameter's ``defaultValue``, as the
    AIB reader does.

        >>> from provsim.pipeline.sources import text_lines
        >>> document = {"resources": [{"type": "Microsoft.Compute/galleries/images",
        ...     "properties": {"hyperVGeneration": "v2", "osState": "[parameters('state')]"}}]}
        >>> definition_settings(document, text_lines('{"hyperVGeneration": "v2"}'))
        {'hyperVGeneration': (('V2',), 1)}
    """
    definitions = gallery_definitions(document)
    if not definitions:
        return {}
    parameters = document.get("parameters") if isinstance(document, dict) else None
    defaults = {
        name: spec.get("defaultValue")
        for name, spec in (parameters.items() if isinstance(parameters, dict) else [])
        if isinstance(spec, dict)
    }
    found: dict[str, tuple[tuple[str, ...], int | None]] = {}
    for setting in DEFINITION_SETTINGS:
        values = [_resolved(d.get(setting), defaults) for d in definitions]
        if all(isinstance(v, str) and not v.strip().startswith("[") for v in values):
            found[setting] = (tuple(str(v).strip().upper() for v in values), lines.find(f'"{setting}"'))
    return found


def _resolved(value: Any, defaults: dict[str, Any]) -> Any:
    match = _PARAMETER.match(value.strip()) if isinstance(value, str) else None
    return defaults.get(match.group(1)) if match else value


def hyper_v_findings(pipeline: Pipeline) -> list[Finding]:
    """A gallery output whose source generation differs from every definition the template declares."""
    if pipeline.tool is not Tool.AIB or pipeline.source_image is None:
        return []
    source = sku_generation(pipeline.source_image.sku)
    galleries = [t for t in pipeline.targets if t.kind is TargetKind.GALLERY_IMAGE]
    if source is None or not galleries:
        return []
    generations, line = declared(pipeline, "hyperVGeneration")
    if not generations or any(g not in ("V1", "V2") or g == source for g in generations):
        return []  # no definition, one provsim cannot read, or one that matches: nothing is known to differ
    return [
        Finding(
            Severity.ERROR,
            f"gallery output {target.name!r}: the source {pipeline.source_image} is Hyper-V {source}, "
            f"as its SKU says; the gallery image definition is {generations[0]}; "
            "the gallery refuses the version (cross-generation); build from a source of the definition's "
            f"generation, or declare the definition with hyperVGeneration {source!r}",
            Location(pipeline.path, line) if line is not None else target.location,
            "PSIM022",
        )
        for target in galleries
    ]


def os_state_findings(pipeline: Pipeline, registered: dict[Target, OsState]) -> list[Finding]:
    """A gallery output registered in another OS state than every definition the template declares.

    The gallery refuses such a version ("has a different OS state ['Specialized']
    than the parent gallery image OS state ['Generalized']", azure-cli #24972),
    whatever a VM created from it would do.
    """
    if not any(t.kind is TargetKind.GALLERY_IMAGE for t in registered):
        return []
    states, line = declared(pipeline, "osState")
    findings: list[Finding] = []
    for target, state in registered.items():
        wanted = state.value.upper()
        if target.kind is not TargetKind.GALLERY_IMAGE or not states or any(s == wanted for s in states):
            continue
        findings.append(
            Finding(
                Severity.ERROR,
                f"gallery output {target.name!r} is registered {state.value}, the gallery image definition's "
                f"osState is {states[0].capitalize()}: the gallery refuses the version (a different OS state); "
                f"declare the definition {state.value.capitalize()}, or publish to a definition of that state",
                Location(pipeline.path, line) if line is not None else target.location,
                "PSIM023",
            )
        )
    return findings
