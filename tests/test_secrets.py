"""Planted secrets appear in no output: text, JSON, stderr, findings, step output.

A sensitive variable (HCL2 ``sensitive = true``, Packer JSON
``sensitive-variables``) or a secret setting (``client_secret``) given by
``--var`` is planted where a careless template would print it: in a step that
fails, in an evidence line, in a finding. Every output channel is searched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun

SECRET = "pl4nted-S3CRET-0x5eed"

HCL = """
variable "token" {
  type      = string
  sensitive = true
}

source "azure-arm" "app" {
  os_type            = "Linux"
  image_publisher    = "Debian"
  image_offer        = "debian-12"
  image_sku          = "12"
  client_secret      = "%(client_secret)s"
  managed_image_name = "app"
}

build {
  sources = ["source.azure-arm.app"]
  provisioner "shell" {
    environment_vars = ["TOKEN=${var.token}"]
    inline = [
      "curl -u app:${var.token} https://example.invalid/setup || exit 3",
      "waagent -deprovision+user ${var.token}",
    ]
  }
}
"""

JSON_TEMPLATE = {
    "variables": {"token": ""},
    "sensitive-variables": ["token"],
    "builders": [
        {
            "type": "azure-arm",
            "os_type": "Linux",
            "image_publisher": "Debian",
            "image_offer": "debian-12",
            "image_sku": "12",
            "managed_image_name": "app",
        }
    ],
    "provisioners": [{"type": "shell", "inline": ["echo {{user `token`}}", "waagent -deprovision {{user `token`}}"]}],
}


def channels(provsim_cli: CliRun, *argv: str) -> str:
    text = provsim_cli(*argv)
    as_json = provsim_cli(*argv, "--format", "json")
    json.loads(as_json[1])
    return "\n".join([text[1], text[2], as_json[1], as_json[2]])


@pytest.mark.parametrize("how", ["--var", "env"])
def test_a_sensitive_hcl_variable_is_masked_everywhere(
    tmp_path: Path, provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    template = tmp_path / "app.pkr.hcl"
    template.write_text(HCL % {"client_secret": "an-other-s3cret-value"})
    argv = ["check", str(template)]
    if how == "--var":
        argv += ["--var", f"token={SECRET}"]
    else:
        monkeypatch.setenv("PKR_VAR_token", SECRET)
    output = channels(provsim_cli, *argv)
    assert SECRET not in output and "an-other-s3cret-value" not in output
    assert "<sensitive>" in output, "the finding quoting the line is still there, masked"


def test_sensitive_variables_of_a_packer_json_template_are_masked(tmp_path: Path, provsim_cli: CliRun) -> None:
    template = tmp_path / "app.json"
    template.write_text(json.dumps(JSON_TEMPLATE))
    output = channels(provsim_cli, "check", str(template), "--var", f"token={SECRET}")
    assert SECRET not in output


def test_an_error_quoting_a_sensitive_value_masks_it(tmp_path: Path, provsim_cli: CliRun) -> None:
    template = tmp_path / "app.pkr.hcl"
    template.write_text(HCL % {"client_secret": "x"} + "\nbroken {")
    status, out, err = provsim_cli("check", str(template), "--var", f"token={SECRET}")
    assert status == 2 and SECRET not in out + err


@pytest.mark.container
def test_a_secret_printed_by_a_failing_step_in_a_container_is_masked(
    tmp_path: Path, provsim_cli: CliRun, docker_engine: object
) -> None:
    """The step traces its commands (``sh -x``) and fails: its output, the finding and the progress lines are masked."""
    template = tmp_path / "app.pkr.hcl"
    traced = HCL.replace("    inline = [", '    inline_shebang = "/bin/sh -ex"\n    inline = [')
    template.write_text(traced % {"client_secret": "an-other-s3cret-value"})
    status, out, err = provsim_cli(
        "check", str(template), "--backend", "docker", "--format", "json", "--var", f"token={SECRET}"
    )
    assert status == 1, err
    assert SECRET not in out + err
    (pipeline,) = json.loads(out)["pipelines"]
    assert any("curl -u app:<sensitive>" in finding["message"] for finding in pipeline["findings"]), pipeline


SECRET_FEATURE = """
Feature: a sensitive variable in a failing Gherkin assertion
  Scenario: the finding list is shown, masked
    Given the Packer template "app.pkr.hcl"
    And the Packer variable "token" is "%s"
    Then there are no findings
"""


def test_a_failing_gherkin_assertion_masks_the_secret(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("app.pkr.hcl").write_text(HCL % {"client_secret": "x"})
    pytester.makefile(".feature", secret=SECRET_FEATURE % SECRET)
    pytester.makepyfile(test_secret="from pytest_bdd import scenarios\nscenarios('.')\n")
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    report = result.stdout.str()
    assert "<sensitive>" in report and SECRET not in report.replace(f'is "{SECRET}"', "")
