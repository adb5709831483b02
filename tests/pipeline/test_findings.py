"""Every finding, from a small template that provokes it."""

import json
from pathlib import Path

import pytest
from provsim import OsState
from provsim.pipeline.check import PipelineReport, check_path

LINUX_SOURCE = 'source "azure-arm" "vm" {{\n  os_type = "Linux"\n{targets}}}\n'
BUILD = 'build {{\n  sources = ["source.azure-arm.vm"]\n{provisioners}}}\n'


def linux(tmp_path: Path, *inline_steps: list[str], targets: str = '  managed_image_name = "img"\n') -> PipelineReport:
    provisioners = "".join(
        '  provisioner "shell" {\n    inline = ' + json.dumps(lines) + "\n  }\n" for lines in inline_steps
    )
    path = tmp_path / "t.pkr.hcl"
    path.write_text(LINUX_SOURCE.format(targets=targets) + BUILD.format(provisioners=provisioners))
    (report,) = check_path(path)
    return report


def messages(report: PipelineReport) -> list[str]:
    return [f"{f.severity.value}: {f.message}" for f in report.findings]


def test_deprovision_not_last(tmp_path: Path) -> None:
    report = linux(tmp_path, ["sudo waagent -force -deprovision+user"], ["sudo apt-get install -y nginx"])
    assert any(m.startswith("warning: deprovision is not the last step") for m in messages(report))
    assert report.os_state is OsState.GENERALIZED


def test_waagent_without_force_deprovisions_nothing(tmp_path: Path) -> None:
    report = linux(tmp_path, ["sudo waagent -deprovision+user"])
    assert any(m.startswith("error: ") and "has no -force" in m for m in messages(report))
    assert report.os_state is OsState.SPECIALIZED


@pytest.mark.parametrize("option", ["-deprovison+user", "-deprovsion", "--deprovisoin"])
def test_a_mistyped_deprovision_option_is_named(tmp_path: Path, option: str) -> None:
    report = linux(tmp_path, [f"sudo waagent -force {option} || true"])
    assert any(m.startswith("error: ") and f"waagent has no option '{option}'" in m for m in messages(report))
    assert report.os_state is OsState.SPECIALIZED


def test_deprovision_without_user_keeps_the_build_account(tmp_path: Path) -> None:
    report = linux(tmp_path, ["sudo waagent -force -deprovision"])
    assert any("without +user" in m for m in messages(report))
    assert report.os_state is OsState.GENERALIZED
    assert any(e.startswith("build user") and e.endswith("present") for e in report.evidence)


def test_a_managed_image_declared_specialized(tmp_path: Path) -> None:
    targets = (
        '  managed_image_name = "img"\n'
        "  shared_image_gallery_destination {\n"
        '    gallery_name = "g"\n    image_name = "i"\n    image_version = "1.0.0"\n    specialized = true\n  }\n'
    )
    report = linux(tmp_path, ["echo configured"], targets=targets)
    assert any(
        m.startswith("error: managed image 'img' with a specialized gallery destination") for m in messages(report)
    )
    assert [(r.target.kind.value, r.registered_as.value) for r in report.registrations] == [
        ("gallery_image", "specialized")
    ]


def test_an_unknown_provisioner_is_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "t.pkr.hcl"
    path.write_text(
        LINUX_SOURCE.format(targets='  managed_image_name = "img"\n')
        + 'build {\n  sources = ["source.azure-arm.vm"]\n'
        + '  provisioner "ansible" {\n    playbook_file = "x.yml"\n  }\n}\n'
    )
    (report,) = check_path(path)
    assert any("does not inspect 'ansible'" in m for m in messages(report))


@pytest.mark.parametrize(
    ("command", "finding"),
    [
        ("& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /quiet /quit", "sysprep without /generalize"),
        (
            "& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit",
            "nothing waits for ImageState",
        ),
    ],
)
def test_sysprep_findings(tmp_path: Path, command: str, finding: str) -> None:
    path = tmp_path / "w.pkr.hcl"
    path.write_text(
        'source "azure-arm" "w" {\n  os_type = "Windows"\n  managed_image_name = "w"\n}\n'
        'build {\n  sources = ["source.azure-arm.w"]\n  provisioner "powershell" {\n    inline = '
        + json.dumps([command])
        + "\n  }\n}\n"
    )
    (report,) = check_path(path)
    assert any(finding in m for m in messages(report)), messages(report)
    assert all(f.location.line == 8 for f in report.findings)  # the inline command's own line


def test_sed_on_a_deprovision_script_nobody_wrote(tmp_path: Path) -> None:
    """AIB only runs /tmp/DeprovisioningScript.sh if a customizer creates it; editing it first fails."""
    template = {
        "type": "Microsoft.VirtualMachineImages/imageTemplates",
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "Canonical"},
            "customize": [
                {"type": "Shell", "name": "edit", "inline": ["sudo sed -i 's/+user//' /tmp/DeprovisioningScript.sh"]}
            ],
            "distribute": [{"type": "ManagedImage", "runOutputName": "m"}],
        },
    }
    path = tmp_path / "aib.json"
    path.write_text(json.dumps(template))
    (report,) = check_path(path)
    assert any(m.startswith("error: edit edits /tmp/DeprovisioningScript.sh with sed -i") for m in messages(report))


SED_TEMPLATE = """
source "azure-arm" "x" {
  os_type            = "Linux"
  managed_image_name = "x"
}
build {
  sources = ["source.azure-arm.x"]
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline = [
      "sed -i 's/ENABLED=1/ENABLED=0/' /etc/default/motd-news",
      "[ -f /etc/cloud/cloud.cfg ] && sed -i 's/a/b/' /etc/cloud/cloud.cfg || true",
      "%s",
      "/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",
    ]
  }
}
"""


def test_sed_on_stock_files_of_the_platform_image_is_no_error(tmp_path: Path) -> None:
    """The platform image has /etc/default/motd-news; the in-memory disk does not: nothing proves sed fails."""
    template = tmp_path / "t.pkr.hcl"
    template.write_text(SED_TEMPLATE % "true")
    (report,) = check_path(template)
    assert not [f for f in report.findings if f.severity.value == "error"], report.findings
    assert report.os_state.value == "generalized"


def test_sed_on_a_file_that_provably_does_not_exist_fails_the_build(tmp_path: Path) -> None:
    template = tmp_path / "t.pkr.hcl"
    template.write_text(SED_TEMPLATE % "sed -i 's/a/b/' /tmp/never-written.conf")
    (report,) = check_path(template)
    assert any("/tmp/never-written.conf" in f.message and f.severity.value == "error" for f in report.findings)


def test_a_command_after_the_deprovision_in_the_same_step_is_a_warning(tmp_path: Path) -> None:
    template = tmp_path / "t.pkr.hcl"
    template.write_text(
        SED_TEMPLATE.replace(
            '"/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",',
            '"/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",\n'
            '      "sync",\n      "sudo useradd deploy",',
        )
        % "true"
    )
    (report,) = check_path(template)
    after = [f for f in report.findings if "runs after the deprovision" in f.message]
    assert [f.message.split("'")[1] for f in after] == ["sudo useradd deploy"], report.findings
