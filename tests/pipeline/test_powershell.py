"""PowerShell steps, from the language's documented rules (about_Comments, about_Quoting_Rules).

No PowerShell runs on this Linux machine to hold the memory backend against, so
the cases come from the documentation: ``#`` comments to the end of the line,
``<# ... #>`` block comments over several lines, neither inside a string, and
strings given to ``Write-Host``/``echo`` are shown, not run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from provsim.pipeline import check_path

SYSPREP = r"& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm"
WAIT = (
    "while($true) { $s = (Get-ItemProperty HKLM:\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion"
    "\\\\Setup\\\\State).ImageState; "
    "if($s -ne 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE') { Start-Sleep -s 5 } else { break } }"
)

TEMPLATE = """
source "azure-arm" "win" {
  os_type            = "Windows"
  managed_image_name = "win"
}
build {
  sources = ["source.azure-arm.win"]
  provisioner "powershell" {
    inline = [%s]
  }
}
"""


def state_of(tmp_path: Path, *lines: str) -> str:
    template = tmp_path / "win.pkr.hcl"
    template.write_text(TEMPLATE % ", ".join(f'"{line}"' for line in lines))
    (report,) = check_path(template)
    return report.os_state.value


@pytest.mark.parametrize(
    ("lines", "state"),
    [
        ((SYSPREP, WAIT), "generalized"),
        ((f"# {SYSPREP}", WAIT), "specialized"),
        ((f"Write-Host 'prepared' # {SYSPREP}",), "specialized"),
        (("<# the old way:", SYSPREP, "#>", WAIT), "specialized"),
        ((f"<# one line #> {SYSPREP}", WAIT), "generalized"),
        (("Write-Host 'a # is not a comment in a string'", SYSPREP, WAIT), "generalized"),
        ((f"Write-Host '{SYSPREP}'", WAIT), "specialized"),
        ((f"echo '{SYSPREP}'", WAIT), "specialized"),
        ((f"Write-Output 'next: {SYSPREP}'", SYSPREP, WAIT), "generalized"),
        ((f"if ($false) {{ {SYSPREP} }}", WAIT), "specialized"),
        ((f"if ($true) {{ {SYSPREP} }} else {{ Write-Host skipped }}", WAIT), "generalized"),
        ((f"if ($true) {{ Write-Host kept }} else {{ {SYSPREP} }}", WAIT), "specialized"),
    ],
    ids=[
        "sysprep",
        "after-hash",
        "trailing-comment",
        "block-comment",
        "after-a-closed-block",
        "hash-in-string",
        "printed",
        "echoed",
        "printed-then-run",
        "if-false",
        "if-true",
        "else-of-if-true",
    ],
)
def test_comments_never_count_as_run(tmp_path: Path, lines: tuple[str, ...], state: str) -> None:
    assert state_of(tmp_path, *lines) == state


def warnings_of(tmp_path: Path, *lines: str) -> list[str]:
    template = tmp_path / "win.pkr.hcl"
    template.write_text(TEMPLATE % ", ".join(f'"{line}"' for line in lines))
    (report,) = check_path(template)
    return [f.message for f in report.findings if f.severity.value == "warning"]


def test_sysprep_without_the_imagestate_wait_is_a_warning_in_every_form(tmp_path: Path) -> None:
    sysprep = r"& C:\\\\Windows\\\\System32\\\\Sysprep\\\\Sysprep.exe /oobe /generalize"
    shutdown = warnings_of(tmp_path, f"{sysprep} /shutdown")
    assert any("/shutdown powers the build VM off" in message for message in shutdown)
    quiet = warnings_of(tmp_path, f"{sysprep} /quiet")
    assert any("nothing waits for ImageState" in message for message in quiet)


def test_a_wait_on_a_variable_is_a_wait(tmp_path: Path) -> None:
    lines = (
        SYSPREP,
        "$EndState = 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE'",
        "while ((Get-ItemProperty HKLM:\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Setup\\\\State)"
        ".ImageState -ne $EndState) { Start-Sleep -s 5 }",
    )
    assert not [m for m in warnings_of(tmp_path, *lines) if "ImageState" in m]
