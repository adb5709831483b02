"""A foreign repository builds its own template in a container, from Gherkin alone."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.container

TEMPLATE = """\
source "azure-arm" "golden" {
  os_type            = "Linux"
  managed_image_name = "golden"
}

build {
  sources = ["source.azure-arm.golden"]

  provisioner "shell" {
    inline = ["echo hello | sudo tee /etc/motd", "sudo /usr/sbin/waagent -force -deprovision+user"]
  }
}
"""

FEATURE = """\
@container
Feature: Our golden image, built for real
  Scenario: The image generalizes, so a VM from the managed image provisions
    Given the Packer template "packer/golden.pkr.hcl"
    When it is built in a container
    Then the disk is generalized by the evidence
    And VM creation ends in success
"""


def test_a_template_named_by_its_path(pytester: pytest.Pytester, docker_engine: tuple[Any, str]) -> None:
    pytester.mkdir("packer")
    (pytester.path / "packer" / "golden.pkr.hcl").write_text(TEMPLATE)
    pytester.makefile(".feature", golden=FEATURE)
    pytester.makepyfile(test_golden='from pytest_bdd import scenarios\nscenarios("golden.feature")\n')
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\n")  # no marker config: the plugin registers @container
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)
