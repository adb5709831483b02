"""A Linux step run the way Packer and AIB run it, on the in-memory build VM.

Packer's ``shell`` provisioner writes ``inline`` as one script, each command on
its own line after ``#!{inline_shebang}`` (default ``/bin/sh -e``, so a failing
command stops the step), uploads it and each ``script``/``scripts`` file to
``/tmp``, and runs ``execute_command`` (default ``chmod +x {{ .Path }};
{{ .Vars }} {{ .Path }}``) as the SSH user, ``{{ .Vars }}`` being Packer's own
variables and ``environment_vars``. AIB's hidden last step runs ``sudo sh
/tmp/DeprovisioningScript.sh``, with AIB's default commands there unless a
customizer wrote the file. The same is done here, with the same shell
interpreter (:mod:`.shell`) for the template's text, Packer's wrapper and
anything they start, so ``sudo`` in ``execute_command`` or a gate on
``environment_vars`` counts exactly as on the build VM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Location, Pipeline, Step
from .effects import Place
from .shell import Context, Field, Outcome, Placer, Shell

DEFAULT_SHEBANG = "/bin/sh -e"
DEFAULT_EXECUTE = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
REMOTE_FOLDER = "/tmp"
_PATH = re.compile(r"\{\{\s*\.Path\s*\}\}")
_VARS = re.compile(r"\{\{\s*\.Vars\s*\}\}")


@dataclass(frozen=True)
class StepScript:
    """One script a step uploads: its text, where it goes, and where each of its lines was written."""

    text: str
    path: str
    placer: Placer


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def packer_vars(step: Step, pipeline: Pipeline) -> str:
    """``{{ .Vars }}`` as Packer writes it: its own variables, then the step's ``environment_vars``."""
    pairs = [("PACKER_BUILDER_TYPE", "azure-arm"), ("PACKER_BUILD_NAME", pipeline.name)]
    for assignment in step.environment_vars:
        key, _, value = assignment.partition("=")
        pairs.append((key, value))
    return " ".join(f"{key}={_quote(value)}" for key, value in pairs)


def step_scripts(step: Step, first_upload: int) -> list[StepScript]:
    """The scripts a shell step uploads, numbered from ``first_upload`` as the container backend numbers them."""
    scripts: list[StepScript] = []
    number = first_upload
    if step.inline:
        shebang = step.inline_shebang or DEFAULT_SHEBANG
        text = f"#!{shebang}\n" + "".join(f"{command}\n" for command in step.inline)
        scripts.append(StepScript(text, f"{REMOTE_FOLDER}/script_{number}.sh", _inline_placer(step)))
        number += 2
    for script in step.scripts:
        if script.text is None:
            continue
        path = script.location.path

        def placer(row: int, column: int, path: str = path) -> Place:
            return Place(path, row + 1, column + 1)

        scripts.append(StepScript(script.text, f"{REMOTE_FOLDER}/script_{number}.sh", placer))
        number += 2
    return scripts


def _inline_placer(step: Step) -> Placer:
    """Row 0 is the shebang; each inline command's rows map to where it was written in the template."""
    rows: list[Location] = []
    for index, command in enumerate(step.inline):
        written = step.inline_lines[index] if index < len(step.inline_lines) else None
        for offset in range(max(1, command.count("\n") + 1)):
            line = written + offset if written is not None else step.location.line
            rows.append(Location(step.location.path, line))

    def placer(row: int, column: int) -> Place:
        if 1 <= row <= len(rows):
            where = rows[row - 1]
            return Place(where.path, where.line, column + 1)
        return Place(step.location.path, step.location.line)

    return placer


def run_shell_step(step: Step, pipeline: Pipeline, context: Context, first_upload: int = 1) -> tuple[Outcome, int]:
    """Upload and run a shell step's scripts through its ``execute_command``; stops at the first failure.

    Returns the outcome and the next upload number.
    """
    outcome = Outcome(0, False)
    number = first_upload
    for script in step_scripts(step, number):
        context.disk.write_text(script.path, script.text)
        context.placers[script.path] = script.placer
        command = _PATH.sub(script.path, step.execute_command or DEFAULT_EXECUTE)
        command = _VARS.sub(packer_vars(step, pipeline), command)
        result = run_command(command, context, step.location)
        outcome = Outcome(result.status, outcome.ran or result.ran)
        number += 2
        if result.status != 0:
            break
    return outcome, number


def run_command(command: str, context: Context, where: Location, env: dict[str, Field] | None = None) -> Outcome:
    """Run a command line as the build user, the way the tool's SSH session runs it with ``/bin/sh``."""

    def placer(row: int, column: int) -> Place:
        return Place(where.path, where.line)

    shell = Shell(context, root=False, env=dict(env or {}), placer=placer)
    return shell.run(command)
