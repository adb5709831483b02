"""``provsim check``: the JSON contract, exit statuses, one-line errors with nothing on stdout."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

CliRun = Callable[..., tuple[int, str, str]]  # the provsim_cli fixture (tests/conftest.py)


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REGISTRATION_KEYS = {
    *("target", "stage", "registered_as", "status", "error_code", "reason", "resolution", "known", "timeline"),
}


def test_json_contract(provsim_cli: CliRun) -> None:
    status, out, _ = provsim_cli("check", str(FIXTURES / "packer" / "linux-vhd.json"), "--format", "json")
    (pipeline,) = json.loads(out)["pipelines"]
    assert {"path", "tool", "os_type", "os_state", "evidence", "registrations", "findings"} <= set(pipeline)
    assert (pipeline["tool"], pipeline["os_type"], pipeline["os_state"]) == ("packer", "linux", "generalized")
    assert all(set(r) == REGISTRATION_KEYS for r in pipeline["registrations"])
    statuses = {r["registered_as"]: r["status"] for r in pipeline["registrations"]}
    assert statuses == {"generalized": "succeeded", "specialized": "provisioning_timeout"}
    assert not any(r["known"] for r in pipeline["registrations"]), "a VHD is registered later, by its user"
    assert status == 0, "a VHD tried both ways always has a failing way: that is not the pipeline's failure"


def test_a_vhd_registered_as_its_user_says_decides_the_exit_status(provsim_cli: CliRun) -> None:
    vhd = str(FIXTURES / "packer" / "linux-vhd.json")
    status, out, _ = provsim_cli("check", vhd, "--register-vhd-as", "specialized", "--format", "json")
    (registration,) = json.loads(out)["pipelines"][0]["registrations"]
    assert (registration["registered_as"], registration["known"], status) == ("specialized", True, 1)
    status, out, _ = provsim_cli("check", vhd, "--register-vhd-as", "generalized")
    assert status == 0 and "(if you register it so)" not in out
    _, out, _ = provsim_cli("check", vhd)
    assert "captured as specialized (if you register it so): provisioning_timeout" in out


def test_fail_on_makes_findings_fail_ci(provsim_cli: CliRun) -> None:
    """A warning alone (the build user stays in the image) succeeds unless the team asks warnings to fail."""
    warned = str(FIXTURES / "aib" / "override-no-user.json")
    assert provsim_cli("check", warned)[0] == 0
    assert provsim_cli("check", warned, "--fail-on", "error")[0] == 0
    assert provsim_cli("check", warned, "--fail-on", "warning")[0] == 1


def test_exit_0_when_every_registration_succeeds(provsim_cli: CliRun) -> None:
    status, out, _ = provsim_cli(
        "check", str(FIXTURES / "packer" / "web.pkr.hcl"), str(FIXTURES / "aib" / "ubuntu.json")
    )
    assert status == 0 and "managed_image:web-1.0.0 captured as generalized: succeeded" in out


def test_findings_carry_severity_and_location(provsim_cli: CliRun) -> None:
    path = FIXTURES / "aib" / "windows-override-no-generalize.json"
    _, out, _ = provsim_cli("check", str(path), "--format", "json")
    findings = json.loads(out)["pipelines"][0]["findings"]
    assert {"severity": "error", "location": "C:\\DeprovisioningScript.ps1:1"}.items() <= findings[0].items()


def test_skip_step_goes_with_the_docker_backend(provsim_cli: CliRun) -> None:
    status, out, err = provsim_cli("check", str(FIXTURES / "packer" / "web.pkr.hcl"), "--skip-step", "1")
    assert (status, out) == (2, "") and "--skip-step goes with --backend docker" in err


def test_var_file_and_environment(provsim_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = tmp_path / "release.pkrvars.hcl"
    values.write_text('image_version = "3.1.0"\n')
    web = str(FIXTURES / "packer" / "web.pkr.hcl")
    _, out, _ = provsim_cli("check", web, "--var-file", str(values))
    assert "managed_image:web-3.1.0" in out
    monkeypatch.setenv("PKR_VAR_image_version", "4.0.0")
    _, out, _ = provsim_cli("check", web)
    assert "managed_image:web-4.0.0" in out
    status, out, err = provsim_cli("check", web, "--var-file", str(tmp_path / "absent.pkrvars.hcl"))
    assert (status, out) == (2, "") and "var file not found" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"builders": [', "not valid JSON"),
        ('source "azure-arm" "x" {', "not valid HCL (the file ends inside a block: a closing } is missing"),
        ('source "azure-arm" "x" {\n  os_type = "Lin', "the file ends inside a string"),
        ('{"builders": [{"type": "docker"}]}', "no azure-arm builder"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_nothing_on_stdout(
    provsim_cli: CliRun, tmp_path: Path, content: str, message: str
) -> None:
    good = FIXTURES / "packer" / "web.pkr.hcl"
    bad = tmp_path / "bad.pkr.hcl"
    bad.write_text(content)
    status, out, err = provsim_cli("check", str(good), str(bad))
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and str(bad) in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "nothing to check"),
        (["check", "--rootfs", "disk.tar"], "--rootfs needs --os linux"),
        (["check", "x.pkr.hcl", "--var", "novalue"], "expected NAME=VALUE"),
    ],
)
def test_bad_arguments(provsim_cli: CliRun, argv: list[str], message: str) -> None:
    status, out, err = provsim_cli(*argv)
    assert status == 2 and out == "" and message in err


def test_docker_backend_refuses_windows_before_touching_an_engine(
    provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("provsim.containers.engine.unreachable_reason", lambda: None)
    status, out, err = provsim_cli("check", str(FIXTURES / "packer" / "windows.pkr.hcl"), "--backend", "docker")
    assert status == 2 and out == "" and "Linux pipelines only" in err


def test_docker_backend_without_an_engine_says_what_to_do(provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("provsim.containers.engine.unreachable_reason", lambda: "connection refused")
    status, out, err = provsim_cli("check", str(FIXTURES / "packer" / "web.pkr.hcl"), "--backend", "docker")
    assert status == 2 and out == "" and "connection refused" in err and len(err.strip().splitlines()) == 1


@pytest.mark.container
def test_docker_backend_catches_a_deprovision_that_fails_silently(provsim_cli: CliRun) -> None:
    path = FIXTURES / "containers" / "deprovision_fails_silently.pkr.hcl"
    # On a waagent-only image, the specialized OS keeps its identity: the seed's failure cell.
    argv = ("check", str(path), "--backend", "docker", "--format", "json")
    status, out, _ = provsim_cli(*argv, "--linux-agent", "waagent")
    (pipeline,) = json.loads(out)["pipelines"]
    assert status == 1 and pipeline["os_state"] == "specialized" and pipeline["backend"] == "docker"
    assert pipeline["registrations"][0]["error_code"] == "OSProvisioningClientError"
    assert any("provisioned present" in fact for fact in pipeline["evidence"])
    # Debian 12 provisions with cloud-init: the real cloud-init sees a new instance and applies the profile anyway.
    status, out, _ = provsim_cli(*argv)
    (pipeline,) = json.loads(out)["pipelines"]
    assert status == 0 and pipeline["os_state"] == "specialized"
    assert "never deprovisioned" in pipeline["registrations"][0]["reason"]


@pytest.mark.container
@pytest.mark.parametrize("fixture", ["aib/override-no-user.json", "aib/override-skips-deprovision.json"])
def test_both_backends_agree_on_aib_overrides(provsim_cli: CliRun, fixture: str) -> None:
    """AIB's hidden step runs what the customizer wrote, in memory and in a container alike."""
    argv = ["check", str(FIXTURES / fixture), "--format", "json"]
    _, memory_out, _ = provsim_cli(*argv)
    _, docker_out, _ = provsim_cli(*argv, "--backend", "docker")
    (memory,), (docker,) = json.loads(memory_out)["pipelines"], json.loads(docker_out)["pipelines"]
    assert docker["os_state"] == memory["os_state"]
    verdicts = [[(r["target"], r["registered_as"], r["status"]) for r in p["registrations"]] for p in (memory, docker)]
    assert verdicts[0] == verdicts[1]


def test_a_folder_of_mixed_templates_is_read_in_every_dialect(provsim_cli: CliRun) -> None:
    status, out, err = provsim_cli("check", str(FIXTURES / "mixed-folder"))
    assert status == 0, err
    assert "(packer api)" in out and "(aib ubuntu-nginx)" in out and "(packer vhd)" in out
    assert out.rstrip().splitlines()[-1].startswith("3 pipelines, 3 known registrations: 3 succeeded")


def test_a_folder_without_templates_says_so(provsim_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "not-a-template"}')
    status, out, err = provsim_cli("check", str(tmp_path))
    assert (status, out) == (2, "") and "no template in this folder" in err


def test_an_image_template_in_a_nested_deployment_is_read(provsim_cli: CliRun) -> None:
    status, out, err = provsim_cli("check", str(FIXTURES / "aib" / "nested-deployment.json"))
    assert status == 0, err
    assert "(aib ubuntu-nginx)" in out


def test_a_bicep_file_asks_for_az_bicep_build(provsim_cli: CliRun) -> None:
    status, out, err = provsim_cli("check", str(FIXTURES / "aib" / "image.bicep"))
    assert (status, out) == (2, "") and "a Bicep file" in err and "az bicep build --file image.bicep" in err


def test_one_file_of_a_folder_is_pointed_to_the_folder(provsim_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "sources.pkr.hcl").write_text('source "azure-arm" "web" {\n  os_type = "Linux"\n}\n')
    (tmp_path / "build.pkr.hcl").write_text('build {\n  sources = ["source.azure-arm.web"]\n}\n')
    status, _, err = provsim_cli("check", str(tmp_path / "build.pkr.hcl"))
    assert status == 2 and f"check the folder as packer build does: provsim check {tmp_path}" in err


@pytest.mark.container
def test_both_backends_read_the_same_residue(provsim_cli: CliRun) -> None:
    """The image hygiene findings come off each backend's own disk; the real waagent and cloud-init leave the same."""
    argv = ["check", str(FIXTURES / "containers" / "generalizes.pkr.hcl"), "--format", "json"]
    _, memory_out, _ = provsim_cli(*argv)
    _, docker_out, _ = provsim_cli(*argv, "--backend", "docker")
    (memory,), (docker,) = json.loads(memory_out)["pipelines"], json.loads(docker_out)["pipelines"]
    residue = [sorted(f["id"] for f in p["findings"] if f.get("id", "").startswith("PSIM1")) for p in (memory, docker)]
    assert residue[0] == residue[1] == ["PSIM104", "PSIM105"], "the sudo rule survives the real deprovision too"


def test_bicep_behind_a_brace_in_a_json_file_still_asks_for_az_bicep_build(provsim_cli: CliRun, tmp_path: Path) -> None:
    """Valid JSON is never taken for Bicep; text that fails as JSON and has Bicep's lines is Bicep."""
    template = tmp_path / "image.json"
    template.write_text("{\nresource image 'Microsoft.VirtualMachineImages/imageTemplates@2022-02-14' = {\n}\n")
    status, out, err = provsim_cli("check", str(template))
    assert (status, out) == (2, "") and "a Bicep file" in err and "az bicep build --file image.json" in err
