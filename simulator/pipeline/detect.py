"""Recognising a template's dialect from its content, and reading it."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ProvsimError
from .aib import UnreadTemplate, is_aib, unread_templates
from .model import Pipeline
from .packer_json import read_packer_json
from .sources import parse_json, read_text
from .variables import PackerVariables


def read_pipelines(path: Path, variables: PackerVariables | None = None) -> list[Pipeline]:
    """Every pipeline in a Packer HCL2 file or folder, a Packer JSON template or an AIB template.

    The dialect comes from the content: JSON with ``builders`` is Packer,
    JSON with an ``imageTemplates`` resource is AIB, anything else is read as
    HCL2.
    """
    return [read(pipeline) for pipeline in pipelines_to_read(path, variables)]


def pipelines_to_read(path: Path, variables: PackerVariables | None = None) -> list[Pipeline | UnreadTemplate]:
    """As :func:`read_pipelines`, but an AIB image template is left unread (:meth:`UnreadTemplate.read`).

    Every file is read and parsed here, and a file-wide mistake refused here;
    what a template alone gets wrong is refused when it is read.
    """
    given = variables or PackerVariables()
    if path.is_dir():
        return _read_folder(path, given)
    return _read_file(path, given)


def read(pipeline: Pipeline | UnreadTemplate) -> Pipeline:
    """The pipeline, read if it was not."""
    return pipeline if isinstance(pipeline, Pipeline) else pipeline.read()


def _read_folder(folder: Path, given: PackerVariables) -> list[Pipeline | UnreadTemplate]:
    """A folder as ``packer build DIR`` reads its ``*.pkr.hcl`` files, plus each JSON template in it by its dialect.

    Teams keep Packer JSON and AIB templates side by side in one folder; JSON
    that is neither (var files, ARM parameter files) is not a template and is
    passed over.
    """
    pipelines: list[Pipeline | UnreadTemplate] = []
    if any(folder.glob("*.pkr.hcl")):
        from .packer_hcl import read_packer_hcl  # HCL's reader (and its expressions) for HCL only

        pipelines += read_packer_hcl(folder, given)
    for candidate in sorted(folder.glob("*.json")):
        if candidate.name.endswith(".pkr.json"):
            raise ProvsimError(
                f"{candidate}: HCL2 in JSON syntax (.pkr.json) is not read by provsim yet; "
                "check the .pkr.hcl form of the template, or pass the other templates one by one"
            )
        if candidate.name.endswith(".pkrvars.json") or not candidate.is_file():
            continue
        text = read_text(candidate)
        document = parse_json(candidate, text) if text.strip() else None
        if isinstance(document, dict) and "builders" in document:
            pipelines += read_packer_json(candidate, document, text, given)
        elif isinstance(document, dict) and is_aib(document):
            pipelines += unread_templates(candidate, document, text)
    if not pipelines:
        raise ProvsimError(
            f"{folder}: no template in this folder (no *.pkr.hcl, and no *.json holding a Packer or AIB template); "
            "pass a template or a folder of them"
        )
    return pipelines


#: Lines only Bicep has: ``resource name 'Microsoft.X/y@2022-02-14' = {``, ``param x string``, ``targetScope = ...``.
_BICEP = re.compile(r"^\s*(resource\s+\w+\s+'[\w.]+/[\w/]+@|param\s+\w+\s+\w+|targetScope\s*=)", re.MULTILINE)


def _bicep(path: Path) -> ProvsimError:
    return ProvsimError(
        f"{path}: a Bicep file; provsim reads ARM JSON: build it first with 'az bicep build --file {path.name}' "
        "and check the .json it writes"
    )


def _read_file(path: Path, given: PackerVariables) -> list[Pipeline | UnreadTemplate]:
    text = read_text(path)
    looks_json = text.lstrip().startswith(("{", "["))
    # Valid JSON has no Bicep line (its strings hold no line break): JSON is looked at only when it is not valid.
    if path.suffix.lower() == ".bicep" or (not looks_json and _BICEP.search(text)):
        raise _bicep(path)
    if not text.strip():
        raise ProvsimError(f"{path}: empty file; pass a Packer template (.pkr.hcl or JSON) or an AIB template")
    if looks_json:
        try:
            document = parse_json(path, text)
        except ProvsimError:
            if _BICEP.search(text):
                raise _bicep(path) from None
            raise
        if isinstance(document, dict) and "builders" in document:
            return list(read_packer_json(path, document, text, given))
        if is_aib(document):
            if given.assigned or given.files:
                raise ProvsimError(
                    f"{path}: --var and --var-file apply to Packer templates; AIB templates take ARM parameters"
                )
            return list(unread_templates(path, document, text))
        raise ProvsimError(
            f"{path}: JSON, but neither a Packer template (no 'builders') nor an AIB template (no "
            "'Microsoft.VirtualMachineImages/imageTemplates' resource)"
        )
    from .packer_hcl import read_packer_hcl

    return list(read_packer_hcl(path, given))
