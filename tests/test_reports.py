"""JUnit and SARIF from ``provsim check`` parse, and agree with its JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def reports(
    provsim_cli: CliRun, tmp_path: Path, *paths: Path
) -> tuple[int, dict[str, Any], ET.Element, dict[str, Any]]:
    junit, sarif = tmp_path / "check.xml", tmp_path / "check.sarif"
    status, out, err = provsim_cli(
        "check", *map(str, paths), "--format", "json", "--junit", str(junit), "--sarif", str(sarif)
    )
    assert status in (0, 1), err
    return status, json.loads(out), ET.parse(junit).getroot(), json.loads(sarif.read_text())


def test_junit_has_one_test_case_per_registration(provsim_cli: CliRun, tmp_path: Path) -> None:
    paths = (FIXTURES / "packer" / "forgot-deprovision-centos.pkr.hcl", FIXTURES / "packer" / "linux-vhd.json")
    status, document, junit, _ = reports(provsim_cli, tmp_path, *paths)
    registrations = [r for p in document["pipelines"] for r in p["registrations"]]
    cases = junit.findall(".//testcase")
    assert len(cases) == len(registrations) == int(junit.get("tests", "0"))
    failing = [r for r in registrations if r["known"] and r["status"] != "succeeded"]
    failures = junit.findall(".//failure")
    assert len(failures) == len(failing) == int(junit.get("failures", "0")) and status == 1
    assert all("resolution:" in (f.text or "") for f in failures), "a failure says what to change"
    assert len(junit.findall(".//skipped")) == sum(not r["known"] for r in registrations), "VHDs are registered later"


def test_sarif_places_every_finding_at_its_line(provsim_cli: CliRun, tmp_path: Path) -> None:
    path = FIXTURES / "aib" / "windows-override-no-generalize.json"
    _, document, _, log = reports(provsim_cli, tmp_path, path)
    assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "provsim"
    results = log["runs"][0]["results"]
    findings = [f for p in document["pipelines"] for f in p["findings"]]
    placed = [r for r in results if r["ruleId"] not in ("PSIM001", "PSIM002")]
    assert len(placed) == len(findings) and [r["ruleId"] for r in placed] == [f["id"] for f in findings]
    for result, finding in zip(placed, findings, strict=True):
        location = result["locations"][0]["physicalLocation"]
        where = location["artifactLocation"]["uri"] + (
            f":{location['region']['startLine']}" if "region" in location else ""
        )
        assert where == finding["location"] and result["message"]["text"] == finding["message"]
    assert any(r["ruleId"] == "PSIM002" and "Resolution:" in r["message"]["text"] for r in results)
    described = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    for result in results:
        rule = described[result["ruleId"]]
        assert rule["help"]["text"] and "Fix:" in rule["help"]["text"], "code scanning shows the rule's help"


def test_a_report_that_cannot_be_written_is_refused_before_any_work(provsim_cli: CliRun, tmp_path: Path) -> None:
    status, out, err = provsim_cli(
        "check", str(FIXTURES / "packer" / "web.pkr.hcl"), "--junit", str(tmp_path / "no" / "x.xml")
    )
    assert (status, out) == (2, "") and "not a file in an existing folder" in err


def test_sarif_carries_a_sysprep_blockers_rule_and_help(provsim_cli: CliRun, tmp_path: Path) -> None:
    _, _, _, log = reports(provsim_cli, tmp_path, FIXTURES / "rules" / "PSIM024.pkr.hcl")
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "PSIM024"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 26
    described = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "Add-AppxProvisionedPackage" in described["PSIM024"]["help"]["text"]


@pytest.mark.parametrize(
    ("fixture", "rule_id", "line", "fix"),
    [
        ("PSIM025.pkr.hcl", "PSIM025", 24, "skip_clean = true"),
        ("PSIM026.json", "PSIM026", 29, "/tmp/DeprovisioningScript.sh"),
        ("PSIM027.pkr.hcl", "PSIM027", 28, "windows-restart"),
        ("PSIM028.pkr.hcl", "PSIM028", 10, "azureuser"),
        ("PSIM029.pkr.hcl", "PSIM029", 17, "Packer generates one"),
        ("PSIM030.pkr.hcl", "PSIM030", 11, "15 letters"),
    ],
)
def test_sarif_carries_the_build_end_and_os_profile_rules_with_their_help(
    provsim_cli: CliRun, tmp_path: Path, fixture: str, rule_id: str, line: int, fix: str
) -> None:
    _, _, _, log = reports(provsim_cli, tmp_path, FIXTURES / "rules" / fixture)
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == rule_id]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    described = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert fix in described[rule_id]["help"]["text"]


def test_a_command_written_verbatim_is_placed_at_its_column(provsim_cli: CliRun, tmp_path: Path) -> None:
    """Line and column where the template holds the command as written; SARIF underlines from there."""
    path = FIXTURES / "rules" / "PSIM004.pkr.hcl"
    _, document, _, log = reports(provsim_cli, tmp_path, path)
    (finding,) = [f for p in document["pipelines"] for f in p["findings"] if f["id"] == "PSIM004"]
    written = path.read_text().splitlines()[18 - 1]
    assert finding["location"].endswith(":18") and written[finding["column"] - 1 :].startswith("sudo /usr/sbin/waagent")
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "PSIM004"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 18, "startColumn": finding["column"]}


def test_a_script_file_gives_its_own_columns_and_an_escaped_inline_none(tmp_path: Path) -> None:
    from provsim.pipeline import check_path

    (tmp_path / "seal.sh").write_text("#!/bin/sh\necho sealing\n  sudo waagent -force -deprovision\n")
    head = 'source "azure-arm" "l" {\n  os_type = "Linux"\n  managed_image_name = "l"\n}\n'
    head += 'build {\n  sources = ["source.azure-arm.l"]\n  provisioner "shell" {\n'
    places = set()
    for name, body in (
        ("script.pkr.hcl", 'script = "seal.sh"'),
        ("escaped.pkr.hcl", 'inline = ["echo \\"x\\"; sudo waagent -force -deprovision"]'),
    ):
        template = tmp_path / name
        template.write_text(f"{head}    {body}\n  }}\n}}\n")
        (report,) = check_path(template)
        places |= {
            (Path(f.location.path).name, f.location.line, f.location.column)
            for f in report.findings
            if f.rule == "PSIM005"
        }
    assert places == {("seal.sh", 3, 3), ("escaped.pkr.hcl", 8, None)}, "no column where the template escapes"
