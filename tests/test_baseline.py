"""The regression suite: ``provsim baseline record`` on main, ``provsim baseline diff`` on a pull request."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from provsim.baseline import Baseline, Expected, diff, finding_key, load, record

CliRun = Callable[..., tuple[int, str, str]]  # the provsim_cli fixture (tests/conftest.py)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

LINUX_DEPROVISION = '"/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"'
WINDOWS_SYSPREP = '"& $env:SystemRoot\\\\System32\\\\Sysprep\\\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm",'


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of two pipelines, as CI checks it out: the current folder is its root."""
    images = tmp_path / "images"
    images.mkdir()
    shutil.copy(FIXTURES / "packer" / "web.pkr.hcl", images)
    shutil.copytree(FIXTURES / "packer" / "scripts", images / "scripts")
    shutil.copy(FIXTURES / "packer" / "windows.pkr.hcl", tmp_path / "windows.pkr.hcl")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _remove(path: Path, text: str) -> None:
    template = path.read_text()
    assert text in template, f"the fixture changed: {text} is no longer in {path}"
    path.write_text(template.replace(text, '"sync"' if text == LINUX_DEPROVISION else ""))


def test_nothing_changed_passes(provsim_cli: CliRun, checkout: Path) -> None:
    assert provsim_cli("baseline", "record", "images", "windows.pkr.hcl", "-o", "main.json")[0] == 0
    status, out, err = provsim_cli("baseline", "diff", "images", "windows.pkr.hcl", "--against", "main.json")
    assert (status, err) == (0, "")
    assert out == "provsim baseline: nothing changed against main.json\n"


def test_a_removed_deprovision_step_is_caught(provsim_cli: CliRun, checkout: Path) -> None:
    provsim_cli("baseline", "record", "images", "windows.pkr.hcl", "-o", "main.json")
    _remove(checkout / "images" / "web.pkr.hcl", LINUX_DEPROVISION)
    _remove(checkout / "windows.pkr.hcl", WINDOWS_SYSPREP)
    status, out, _ = provsim_cli("baseline", "diff", "images", "windows.pkr.hcl", "--against", "main.json")
    assert status == 1
    lines = out.splitlines()
    # pipeline, registration (or what else changed), from and to, one change a line
    assert "images/web.pkr.hcl (packer web): OS state: generalized -> specialized" in lines
    assert "windows.pkr.hcl (packer iis): OS state: generalized -> specialized" in lines
    failing = "windows.pkr.hcl (packer iis): managed_image:iis-2022 captured as generalized: succeeded -> "
    assert any(line.startswith(failing + "provisioning_failure") for line in lines), out
    # the fix in the pipeline's terms under the registration, and how to accept the change
    assert lines[lines.index(failing + "provisioning_failure") + 1].startswith("  resolution: ")
    assert lines[-1].endswith("record again: provsim baseline record images windows.pkr.hcl -o main.json")


def test_json_lists_the_changes(provsim_cli: CliRun, checkout: Path) -> None:
    provsim_cli("baseline", "record", "windows.pkr.hcl", "-o", "main.json")
    _remove(checkout / "windows.pkr.hcl", WINDOWS_SYSPREP)
    status, out, _ = provsim_cli("baseline", "diff", "windows.pkr.hcl", "--against", "main.json", "--format", "json")
    changes = json.loads(out)["changes"]
    assert status == 1
    assert {"pipeline": "windows.pkr.hcl (packer iis)", "item": "OS state", "from": "generalized"}.items() <= (
        changes[0].items()
    )
    assert {(c["item"], c["from"], c["to"]) for c in changes} >= {
        ("managed_image:iis-2022 captured as generalized", "succeeded", "provisioning_failure")
    }


def test_moving_a_step_down_keeps_the_baseline(provsim_cli: CliRun, checkout: Path) -> None:
    """Finding keys hold no line numbers: a comment added above the findings changes nothing."""
    override = FIXTURES / "aib" / "windows-override-no-generalize.json"
    shutil.copy(override, checkout / "aib.json")
    provsim_cli("baseline", "record", "aib.json", "-o", "main.json")
    assert json.loads((checkout / "main.json").read_text())["pipelines"]["aib.json (aib win-no-generalize)"][
        "findings"
    ], "the fixture should have a finding"
    text = (checkout / "aib.json").read_text()
    (checkout / "aib.json").write_text("\n\n\n" + text)  # every line of the template moves down by three
    assert provsim_cli("baseline", "diff", "aib.json", "--against", "main.json")[0] == 0


def test_a_baseline_made_elsewhere_is_the_same(
    provsim_cli: CliRun, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded in one checkout, diffed in another folder: pipelines are named by paths relative to the checkout."""
    provsim_cli("baseline", "record", "images", "-o", "main.json")
    other = checkout / "pull-request"
    shutil.copytree(checkout / "images", other / "images")
    status, out, _ = provsim_cli("baseline", "diff", str(other / "images"), "--against", "main.json")
    assert status == 1 and "pull-request/images/web.pkr.hcl (packer web): the pipeline: absent -> present" in out
    monkeypatch.chdir(other)
    assert provsim_cli("baseline", "diff", "images", "--against", str(checkout / "main.json"))[0] == 0


def test_a_pipeline_added_or_gone_is_a_change(provsim_cli: CliRun, checkout: Path) -> None:
    provsim_cli("baseline", "record", "images", "-o", "main.json")
    status, out, _ = provsim_cli("baseline", "diff", "images", "windows.pkr.hcl", "--against", "main.json")
    assert status == 1 and "windows.pkr.hcl (packer iis): the pipeline: absent -> present" in out
    (checkout / "images" / "web.pkr.hcl").unlink()
    shutil.copy(checkout / "windows.pkr.hcl", checkout / "images")
    status, out, _ = provsim_cli("baseline", "diff", "images", "--against", "main.json")
    assert status == 1 and "images/web.pkr.hcl (packer web): the pipeline: present -> absent" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no baseline there; record it with 'provsim baseline record PATH... -o main.json'"),
        ('{"pipelines": ', "main.json:1:15: not valid JSON"),
        ("[]", "not a provsim baseline (no 'provsim_baseline' key)"),
        ('{"provsim_baseline": 7, "pipelines": {}}', "a provsim baseline of format 7, this provsim reads format 1"),
        ('{"provsim_baseline": 1, "pipelines": []}', "'pipelines' is not an object"),
        ('{"provsim_baseline": 1, "pipelines": {"p": {"os_type": "linux", "os_state": "generalized"}}}', "'p'"),
        ('{"provsim_baseline": 1, "recorded_with": "x", "pipelines": {}}', "'recorded_with' is not a list"),
        ("\0", "binary file"),
    ],
)
def test_a_bad_or_missing_baseline_is_one_line_naming_the_file_and_the_fix(
    provsim_cli: CliRun, checkout: Path, content: str | None, expected: str
) -> None:
    if content is not None:
        (checkout / "main.json").write_text(content)
    status, out, err = provsim_cli("baseline", "diff", "windows.pkr.hcl", "--against", "main.json")
    assert (status, out) == (2, "")
    assert err.startswith("provsim: main.json") and expected in err and err.count("\n") == 1, err
    assert "provsim baseline record" in err


def test_a_baseline_folder_or_unwritable_output_is_bad_input(provsim_cli: CliRun, checkout: Path) -> None:
    assert provsim_cli("baseline", "diff", "windows.pkr.hcl", "--against", "images")[0] == 2
    status, _, err = provsim_cli("baseline", "record", "windows.pkr.hcl", "-o", "missing/main.json")
    assert status == 2 and "not a file in an existing folder" in err
    assert provsim_cli("baseline", "record", "windows.pkr.hcl")[0] == 2  # -o is required


def test_sensitive_values_never_reach_the_baseline(provsim_cli: CliRun, checkout: Path) -> None:
    (checkout / "secret.pkr.hcl").write_text(
        'variable "image" {\n  type = string\n  sensitive = true\n  default = "hunter2-image"\n}\n'
        'source "azure-arm" "x" {\n  os_type = "Linux"\n  managed_image_name = var.image\n}\n'
        'build {\n  sources = ["source.azure-arm.x"]\n}\n'
    )
    provsim_cli("baseline", "record", "secret.pkr.hcl", "-o", "main.json")
    recorded = (checkout / "main.json").read_text()
    assert "hunter2" not in recorded and "managed_image:<sensitive>" in recorded


def test_finding_keys_leave_out_what_moves() -> None:
    base = Path("/ci/repo")
    moved = [
        {"severity": "warning", "location": f"/ci/repo/web.pkr.hcl:{line}", "message": message}
        for line, message in [
            (12, "shell provisioner #2 runs after the deprovision (/ci/repo/web.pkr.hcl:9)"),
            (40, "shell provisioner #5 runs after the deprovision (/ci/repo/web.pkr.hcl:31)"),
        ]
    ]
    assert finding_key(moved[0], base) == finding_key(moved[1], base)
    assert (
        finding_key(moved[0], base)
        == "warning web.pkr.hcl: shell provisioner #N runs after the deprovision (web.pkr.hcl)"
    )
    other = dict(moved[0], severity="error")
    assert finding_key(other, base) != finding_key(moved[0], base)


def test_two_alike_findings_are_two() -> None:
    """A second finding with the same key is a change: keys are counted, not merely collected."""
    expected = Expected("linux", "generalized", {}, ("warning a: x",))
    twice = Expected("linux", "generalized", {}, ("warning a: x", "warning a: x"))
    changes = diff(Baseline({"p": expected}), Baseline({"p": twice}))
    assert [str(c) for c in changes] == ['p: finding "warning a: x": present -> present 2 times']


def test_the_file_reads_back_as_written(tmp_path: Path) -> None:
    documents = [
        {
            "path": str(tmp_path / "t.pkr.hcl"),
            "name": "t",
            "tool": "packer",
            "os_type": "linux",
            "os_state": "generalized",
            "registrations": [
                {"target": "vhd:v", "stage": "capture", "registered_as": as_, "status": status}
                for as_, status in (("generalized", "succeeded"), ("specialized", "provisioning_timeout"))
            ],
            "findings": [],
        }
    ]
    baseline = record(documents, base=tmp_path, recorded_with=("t.pkr.hcl",))
    (tmp_path / "b.json").write_text(baseline.to_json())
    assert load(tmp_path / "b.json") == baseline
    assert list(baseline.pipelines) == ["t.pkr.hcl (packer t)"]
    assert baseline.pipelines["t.pkr.hcl (packer t)"].registrations == {
        "vhd:v captured as generalized": "succeeded",
        "vhd:v captured as specialized": "provisioning_timeout",
    }


BASELINE_FEATURE = """
Feature: Our images against the baseline of main
  Scenario: the Windows image
    Given the Packer template "windows.pkr.hcl"
    Then the pipeline matches the baseline "main.json"
"""


def test_the_sentence_fails_with_the_changes_and_the_command_to_record_again(
    pytester: pytest.Pytester, provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIXTURES / "packer" / "windows.pkr.hcl", pytester.path)
    shutil.copy(FIXTURES / "packer" / "web.pkr.hcl", pytester.path)
    shutil.copytree(FIXTURES / "packer" / "scripts", pytester.path / "scripts")
    monkeypatch.chdir(pytester.path)
    provsim_cli("baseline", "record", "windows.pkr.hcl", "web.pkr.hcl", "-o", "main.json")
    pytester.makefile(".feature", images=BASELINE_FEATURE)
    pytester.makepyfile(test_images="from pytest_bdd import scenarios\n\nscenarios('.')\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)  # web.pkr.hcl is not this template's

    _remove(pytester.path / "windows.pkr.hcl", WINDOWS_SYSPREP)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the pipeline no longer does what the baseline recorded:",
            "*windows.pkr.hcl (packer iis): managed_image:iis-2022 captured as generalized: succeeded -> "
            "provisioning_failure",
            "*record the baseline again*: provsim baseline record windows.pkr.hcl web.pkr.hcl -o main.json",
        ]
    )


def test_the_sentence_with_a_missing_baseline_is_one_line(pytester: pytest.Pytester) -> None:
    shutil.copy(FIXTURES / "packer" / "windows.pkr.hcl", pytester.path)
    pytester.makefile(".feature", images=BASELINE_FEATURE)
    pytester.makepyfile(test_images="from pytest_bdd import scenarios\n\nscenarios('.')\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*main.json: no baseline there; record it with 'provsim baseline record*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_options_that_change_outcomes_are_recorded_with_the_baseline(provsim_cli: CliRun, checkout: Path) -> None:
    """The command to record again repeats them, so the new baseline reads the pipelines the same way."""
    argv = ["images", "--var", "image_version=2.0.0", "--register-vhd-as", "generalized", "--linux-agent", "waagent"]
    assert provsim_cli("baseline", "record", *argv, "-o", "main.json")[0] == 0
    recorded = json.loads((checkout / "main.json").read_text())
    assert recorded["recorded_with"] == argv
    assert (
        "managed_image:web-2.0.0 captured as generalized"
        in recorded["pipelines"]["images/web.pkr.hcl (packer web)"]["registrations"]
    )
    status, out, _ = provsim_cli("baseline", "diff", "images", "--against", "main.json")
    assert status == 1 and "managed_image:web-1.0.0 captured as generalized: absent -> succeeded" in out
    assert provsim_cli("baseline", "diff", *argv, "--against", "main.json")[0] == 0
