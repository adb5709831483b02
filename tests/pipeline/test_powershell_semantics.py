"""A table of PowerShell cases from the language's documented semantics, one about_* help topic per row.

No PowerShell runs on this Linux machine, so each verdict is what the cited
help topic says PowerShell does with the step: sysprep runs (the image ends
``generalized``) or it does not (``specialized``). Rows this reader still gets
wrong are strict xfails naming the gap, so closing one turns the row red until
its mark is taken off.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from provsim.pipeline import check_path

from tests.pipeline.test_powershell import WAIT, state_of

#: A real sysprep, awaited by WAIT; written without backslashes so rows need no HCL escaping.
S = "& Sysprep.exe /oobe /generalize /quiet /quit /mode:vm"
#: The documented full path, HCL-escaped (two backslashes in HCL are one in PowerShell).
FULL = r"$env:SystemRoot\\System32\\Sysprep\\Sysprep.exe"
GEN, SPEC = "generalized", "specialized"


def gap(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


CASES = [
    # about_Comments: '#' to the end of the line, '<# ... #>' over lines, neither inside a string.
    pytest.param("about_Comments", (f"# {S}",), SPEC, id="hash-line"),
    pytest.param("about_Comments", (f"Write-Host ok # {S}",), SPEC, id="trailing-comment"),
    pytest.param("about_Comments", ("<#", S, "#>"), SPEC, id="block-comment"),
    pytest.param("about_Comments", (f"<# note #> {S}",), GEN, id="after-closed-block"),
    pytest.param("about_Comments", (f"<# one #> <# {S} #>",), SPEC, id="second-block"),
    pytest.param("about_Comments", ("Write-Host 'a # b'", S), GEN, id="hash-in-string"),
    # about_Quoting_Rules: strings and here-strings are data.
    pytest.param("about_Quoting_Rules", (f"Write-Host '{S}'",), SPEC, id="printed-single"),
    pytest.param("about_Quoting_Rules", (f'Write-Host \\"{S}\\"',), SPEC, id="printed-double"),
    pytest.param("about_Quoting_Rules", ("$doc = @'", S, "'@"), SPEC, id="verbatim-here-string"),
    pytest.param("about_Quoting_Rules", ('$doc = @\\"', S, '\\"@'), SPEC, id="expandable-here-string"),
    pytest.param(
        "about_Quoting_Rules",
        (f"$doc = '{S}'",),
        SPEC,
        id="assigned-string",
    ),
    # about_Write-Host / Write-Output / about_Aliases (echo): arguments are shown, not run.
    pytest.param("about_Output_Streams", (f"Write-Output '{S}'",), SPEC, id="write-output"),
    pytest.param("about_Aliases", (f"echo '{S}'",), SPEC, id="echo"),
    pytest.param("about_Output_Streams", (f"Write-Verbose '{S}'",), SPEC, id="write-verbose"),
    pytest.param("about_Output_Streams", (f"Write-Output 'next'; {S}",), GEN, id="printed-then-run"),
    # about_If and about_Booleans: branches decided from literals.
    pytest.param("about_If", (f"if ($false) {{ {S} }}",), SPEC, id="if-false"),
    pytest.param("about_If", (f"if ($true) {{ {S} }}",), GEN, id="if-true"),
    pytest.param("about_If", (f"if ($true) {{ Write-Host ok }} else {{ {S} }}",), SPEC, id="else-of-true"),
    pytest.param("about_If", (f"if ($false) {{ Write-Host ok }} else {{ {S} }}",), GEN, id="else-of-false"),
    pytest.param("about_Booleans", (f"if (0) {{ {S} }}",), SPEC, id="if-zero"),
    pytest.param("about_Booleans", (f"if ($null) {{ {S} }}",), SPEC, id="if-null"),
    pytest.param("about_Booleans", (f"if ('') {{ {S} }}",), SPEC, id="if-empty-string"),
    pytest.param(
        "about_If",
        (f"if ($false) {{ Write-Host a }} elseif ($false) {{ {S} }}",),
        SPEC,
        id="elseif-false",
    ),
    # about_Return, about_Language_Keywords (exit, throw): nothing after them runs.
    pytest.param("about_Language_Keywords", ("exit 0", S), SPEC, id="exit-before"),
    pytest.param("about_Return", ("return", S), SPEC, id="return-before"),
    pytest.param("about_Throw", ("throw 'stop'", S), SPEC, id="throw-before"),
    pytest.param("about_Language_Keywords", (S, WAIT, "exit 0"), GEN, id="exit-after"),
    pytest.param(
        "about_Variables", (f"$seal = '{S}'", "Invoke-Expression $seal"), GEN, id="invoke-expression-variable"
    ),
    pytest.param("about_Variables", (f"$seal = '{S}'", "Write-Host $seal"), SPEC, id="printed-variable"),
    pytest.param(
        "about_Variables",
        ("$tool = 'Sysprep.exe'", "$tool = 'notepad.exe'", "& $tool /oobe /generalize /quiet /quit"),
        SPEC,
        id="reassigned-variable",
    ),
    pytest.param(
        "about_Variables",
        ("$arguments = '/oobe /generalize /quiet /quit'", "& Sysprep.exe $arguments"),
        GEN,
        id="arguments-from-variable",
    ),
    pytest.param(
        "about_Variables",
        ("& $tool /oobe /generalize /quiet /quit", "$tool = 'Sysprep.exe'"),
        SPEC,
        id="variable-assigned-after-use",
    ),
    pytest.param("about_If", (f"if ($false) {{ Write-Host a }} elseif ($true) {{ {S} }}",), GEN, id="elseif-true"),
    pytest.param("about_If", (f"if ($false) {{ Write-Host a }} else {{ {S} }}",), GEN, id="else-of-false"),
    pytest.param("about_If", (f"if ($true) {{ Write-Host a }} elseif ($x) {{ {S} }}",), SPEC, id="elseif-after-true"),
    pytest.param("about_Return", ("if ($true) { return }", S), SPEC, id="return-in-live-branch"),
    pytest.param("about_Return", ("if ($false) { exit 1 }", S), GEN, id="exit-in-dead-branch"),
    pytest.param(
        "about_Language_Keywords",
        ("if ($true) { exit 1 }", S),
        SPEC,
        id="exit-in-live-branch",
    ),
    # about_Functions: a body runs only when the function is called, by any case of its name.
    pytest.param("about_Functions", (f"function Seal {{ {S} }}",), SPEC, id="function-never-called"),
    pytest.param("about_Functions", (f"function Seal {{ {S} }}", "Seal"), GEN, id="function-called"),
    pytest.param("about_Functions", (f"function Seal {{ {S} }}", "seal"), GEN, id="function-called-any-case"),
    # about_Operators (call operator &) and about_Environment_Variables.
    pytest.param("about_Operators", (S,), GEN, id="call-operator"),
    pytest.param(
        "about_Environment_Variables", (f"& {FULL} /oobe /generalize /quiet /quit /mode:vm",), GEN, id="env-path"
    ),
    pytest.param("about_Quoting_Rules", (f'& \\"{FULL}\\" /oobe /generalize /quiet /quit',), GEN, id="quoted-env-path"),
    pytest.param(
        "about_Operators",
        ("$tool = 'Sysprep.exe'", "& $tool /oobe /generalize /quiet /quit"),
        GEN,
        id="call-through-variable",
    ),
    # Start-Process (Microsoft.PowerShell.Management): -FilePath or the first positional, -ArgumentList or the second.
    pytest.param(
        "about_Parameters",
        ("Start-Process -FilePath Sysprep.exe -ArgumentList '/oobe','/generalize','/quiet','/quit','/mode:vm' -Wait",),
        GEN,
        id="start-process",
    ),
    pytest.param(
        "about_Parameters",
        ("Start-Process Sysprep.exe '/oobe /generalize /quiet /quit /mode:vm' -NoNewWindow -Wait",),
        GEN,
        id="start-process-positional",
    ),
    pytest.param(
        "about_Parameters",
        ("Start-Process -File Sysprep.exe -Arg '/oobe /generalize /quiet /quit /mode:vm' -Wait",),
        GEN,
        id="start-process-abbreviated-parameters",
    ),
    pytest.param(
        "about_Arithmetic_Operators",
        (
            "$sysprep = $env:windir + '\\\\System32\\\\Sysprep\\\\sysprep.exe'",
            "Start-Process -FilePath $sysprep -ArgumentList ('/oobe /generalize /quiet /quit /mode:vm') -Wait",
        ),
        GEN,
        id="start-process-joined-path-parenthesized-arguments",
    ),
    pytest.param(
        "about_Parameters", ("Write-Host 'Start-Process Sysprep.exe /generalize'",), SPEC, id="start-process-printed"
    ),
    pytest.param(
        "about_Parameters", ("Start-Process notepad.exe -ArgumentList '/generalize'",), SPEC, id="start-other-program"
    ),
    # about_Environment_Variables: a variable the step does not set may be set on the build VM: undecided,
    # counted as not run, with a warning (test_undecided_condition_warns below).
    pytest.param("about_Environment_Variables", (f"if ($env:SEAL -eq 'yes') {{ {S} }}",), SPEC, id="env-condition"),
    pytest.param("about_If", (f"if (Test-Path C:\\\\seal.txt) {{ {S} }}",), SPEC, id="file-condition"),
    # about_Try_Catch_Finally: the try body runs, and so does finally.
    pytest.param("about_Try_Catch_Finally", (f"try {{ {S} }} catch {{ Write-Host failed }}",), GEN, id="try-body"),
    pytest.param("about_Try_Catch_Finally", (f"try {{ Write-Host ok }} finally {{ {S} }}",), GEN, id="finally"),
    # about_Pipelines, about_Parsing: ';' separates statements, a pipeline runs its first command.
    pytest.param("about_Parsing", (f"Write-Host ok; {S}",), GEN, id="semicolon"),
    pytest.param("about_Pipelines", (f"{S} | Out-Null",), GEN, id="pipeline"),
    pytest.param("about_Parsing", ("cmd /c Sysprep.exe /oobe /generalize /quiet /quit",), GEN, id="cmd-c"),
    pytest.param("about_PowerShell_exe", (f"powershell -Command '{S}'",), GEN, id="powershell-command"),
]


@pytest.mark.parametrize(("topic", "lines", "state"), CASES)
def test_documented_semantics(tmp_path: Path, topic: str, lines: tuple[str, ...], state: str) -> None:
    assert topic.startswith("about_")
    assert state_of(tmp_path, *lines, WAIT) == state


ENV_TEMPLATE = """
source "azure-arm" "win" {
  os_type            = "Windows"
  managed_image_name = "win"
}
build {
  sources = ["source.azure-arm.win"]
  provisioner "powershell" {
    environment_vars = [%s]
    inline = ["if ($env:SEAL -eq 'yes') { %s }", "%s"]
  }
}
"""


@pytest.mark.parametrize(
    ("environment", "state", "warned"),
    [
        ('"SEAL=yes"', GEN, False),  # the step sets it: decided, the block runs
        ('"SEAL=YES"', GEN, False),  # -eq compares strings case-insensitively (about_Comparison_Operators)
        ('"SEAL=no"', SPEC, False),  # decided the other way: no warning, nothing to guess
        ('"OTHER=yes"', SPEC, True),  # not set by the step: only the build VM knows
        ("", SPEC, True),
    ],
    ids=["set", "set-other-case", "set-otherwise", "other-variable", "none"],
)
def test_undecided_condition_warns(tmp_path: Path, environment: str, state: str, warned: bool) -> None:
    """A deprovision behind a condition only the VM decides is counted as not run, and says so at its line."""
    template = tmp_path / "win.pkr.hcl"
    template.write_text(ENV_TEMPLATE % (environment, S, WAIT))
    (report,) = check_path(template)
    assert report.os_state.value == state
    undecided = [finding for finding in report.findings if finding.rule == "PSIM007"]
    assert bool(undecided) == warned
    if warned:
        assert undecided[0].location.line == 10
        assert "$env:SEAL -eq 'yes'" in undecided[0].message
