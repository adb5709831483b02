"""Where a Packer template's variables get their values, in Packer's order.

Lowest precedence first, as Packer documents it:

1. the ``default`` of the ``variable`` block (or of a ``variables`` block);
2. ``PKR_VAR_<name>`` in the environment (HCL2 templates only);
3. ``*.auto.pkrvars.hcl`` and ``*.auto.pkrvars.json`` next to the templates,
   in lexical order, when a folder is checked;
4. ``--var-file`` files, in the order given;
5. ``--var NAME=VALUE``.

Packer interleaves 4 and 5 in command-line order; argparse keeps the two
apart, so here every ``--var`` wins over every ``--var-file``.

A ``--var`` naming an undeclared variable is an error, as in Packer; a var
file or environment variable naming one is passed over (Packer only warns).

    >>> values = PackerVariables(assigned={"image_version": "1.2.3"})
    >>> declared = {"image_version": "0.0.1", "location": "westeurope"}
    >>> values.apply(declared, Path("web.pkr.hcl"))
    >>> declared["image_version"]
    '1.2.3'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from .sources import parse_json, read_text

ENVIRONMENT_PREFIX = "PKR_VAR_"
#: Top-level blocks of a Packer template: never in a var file.
TEMPLATE_BLOCKS = frozenset({"build", "locals", "packer", "source", "variable", "variables"})


@dataclass(frozen=True)
class PackerVariables:
    """The values a user gives a Packer template's variables from outside it."""

    assigned: Mapping[str, str] = field(default_factory=dict)
    """``--var NAME=VALUE``: the last word."""
    files: tuple[Path, ...] = ()
    """``--var-file``: ``.pkrvars.hcl`` or JSON files of ``name = value``."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """The process environment; only ``PKR_VAR_*`` entries are read."""

    def apply(
        self, declared: dict[str, Any], template: Path, *, hcl: bool = False, seen: dict[str, list[Any]] | None = None
    ) -> None:
        """Set ``declared`` (name -> default) to the values Packer would build with.

        ``template`` is the file or folder being checked: a folder brings its
        ``*.auto.pkrvars.*`` files; ``hcl`` says whether ``PKR_VAR_*`` counts.
        ``seen`` collects every value each variable had on the way, the default and those
        overridden too: a sensitive variable's every value is a secret, used or not.
        """
        if seen is not None:
            for name, value in declared.items():
                seen.setdefault(name, []).append(value)
        layers: list[Mapping[str, Any]] = []
        if hcl:
            prefix = ENVIRONMENT_PREFIX
            layers.append({k.removeprefix(prefix): v for k, v in self.environment.items() if k.startswith(prefix)})
        if template.is_dir():
            automatic = sorted({*template.glob("*.auto.pkrvars.hcl"), *template.glob("*.auto.pkrvars.json")})
            layers.extend(read_var_file(path) for path in automatic)
        layers.extend(read_var_file(path) for path in self.files)
        for layer in [*layers, self.assigned]:
            for name, value in layer.items():
                if name not in declared:
                    if layer is self.assigned:
                        known = ", ".join(sorted(declared)) or "none"
                        raise ProvsimError(
                            f"{template}: --var {name}: no such variable in the template (declared: {known})"
                        )
                    continue
                declared[name] = value
                if seen is not None:
                    seen.setdefault(name, []).append(value)


def read_var_file(path: Path) -> dict[str, Any]:
    """The ``name = value`` pairs of a var file: JSON when it looks like JSON, HCL otherwise."""
    text = read_text(path, what="var file")
    if text.lstrip().startswith("{"):
        values: dict[str, Any] = parse_json(path, text, fix="fix the var file")  # "{" opens an object
        return values
    from .packer_hcl import parse_hcl  # packer_hcl imports this module

    values = parse_hcl(path, text, quote=False)  # its values may be secrets: errors quote nothing
    blocks = sorted(TEMPLATE_BLOCKS & values.keys())
    if blocks:
        # Packer refuses blocks here too; silently reading no values would hide a swapped argument.
        raise ProvsimError(
            f"{path}: a template, not a var file (it has {', '.join(blocks)} blocks); "
            "pass a file of name = value lines to --var-file"
        )
    return values
