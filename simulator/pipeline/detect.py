"""Recognising a template's dialect from its content, and reading it."""

from __future__ import annotations

from pathlib import Path

from ..errors import ProvsimError
from .aib import is_aib, read_aib
from .model import Pipeline
from .packer_hcl import read_packer_hcl
from .packer_json import read_packer_json
from .sources import parse_json, read_text
from .variables import PackerVariables


def read_pipelines(path: Path, variables: PackerVariables | None = None) -> list[Pipeline]:
    """Every pipeline in a Packer HCL2 file or folder, a Packer JSON template or an AIB template.

    The dialect comes from the content: JSON with ``builders`` is Packer,
    JSON with an ``imageTemplates`` resource is AIB, anything else is read as
    HCL2.
    """
    given = variables or PackerVariables()
    if path.is_dir():
        return read_packer_hcl(path, given)
    text = read_text(path)
    if not text.strip():
        raise ProvsimError(f"{path}: empty file; pass a Packer template (.pkr.hcl or JSON) or an AIB template")
    if text.lstrip().startswith(("{", "[")):
        document = parse_json(path, text)
        if isinstance(document, dict) and "builders" in document:
            return read_packer_json(path, document, text, given)
        if is_aib(document):
            if given.assigned or given.files:
                raise ProvsimError(
                    f"{path}: --var and --var-file apply to Packer templates; AIB templates take ARM parameters"
                )
            return read_aib(path, document, text)
        raise ProvsimError(
            f"{path}: JSON, but neither a Packer template (no 'builders') nor an AIB template (no "
            "'Microsoft.VirtualMachineImages/imageTemplates' resource)"
        )
    return read_packer_hcl(path, given)
