"""The step library works from a foreign repository, through the pytest11 entry point."""

import re

import pytest

FEATURE = """
Feature: Our golden image
  Scenario: We capture a generalized Linux image as generalized
    Given a Linux build VM whose OS is generalized
    When it is captured as generalized
    And a VM is created from it
    Then VM creation succeeds
    And the error code is none
"""

WRONG_EXPECTATION = """
Feature: A wrong expectation
  Scenario: We wrongly expect a specialized OS registered as generalized to work
    Given an on-premises Windows disk whose OS is specialized
    When it is uploaded as generalized
    And a VM is created from it
    Then VM creation succeeds
"""

TEST_MODULE = "from pytest_bdd import scenarios\n\nscenarios('.')\n"


def test_a_foreign_repository_uses_the_steps(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", golden=FEATURE)
    pytester.makepyfile(test_golden=TEST_MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_failing_scenario_shows_the_seed_to_replay(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", wrong=WRONG_EXPECTATION)
    pytester.makepyfile(test_wrong=TEST_MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider", "--provsim-seed", "4242")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*provsim seed: 4242*", "*seed 4242: replay with pytest --provsim-seed=4242*"])
    result.stdout.fnmatch_lines(["*expected succeeded, got provisioning_failure*"])


def test_an_unknown_os_word_is_reported_plainly(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", bad=FEATURE.replace("Linux build VM", "Plan9 build VM"))
    pytester.makepyfile(test_bad=TEST_MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unknown OS type 'Plan9': expected one of linux, windows*"])
    assert "raise ProvsimError" not in result.stdout.str(), "a word of the feature file needs no traceback"


OWN_STEPS_FEATURE = """
Feature: Our golden image, with a sentence of our own
  Scenario: We capture a generalized Linux image as generalized
    Given a Linux build VM whose OS is generalized
    And our team's naming rule is checked
    When it is captured as generalized
    And a VM is created from it
    Then VM creation succeeds
"""


def test_a_repository_with_its_own_steps_and_simulator_packages(pytester: pytest.Pytester) -> None:
    """The usual pytest-bdd layout (a top-level ``steps`` package) and a ``simulator`` module of the user's own.

    provsim installs its names under ``provsim`` only, so neither clashes with
    the plugin: both the user's sentences and provsim's work in one scenario.
    """
    pytester.mkpydir("steps")
    pytester.makepyfile(
        **{
            "steps/common": "from pytest_bdd import given\n\n"
            '@given("our team\'s naming rule is checked")\n'
            "def naming_rule():\n    import simulator\n    assert simulator.OURS\n",
            "simulator": "OURS = True\n",
            "conftest": "pytest_plugins = ['steps.common']\n",
        }
    )
    pytester.makefile(".feature", golden=OWN_STEPS_FEATURE)
    pytester.makepyfile(test_golden=TEST_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


TEMPLATE_FEATURE = """
Feature: A template, asked as if it were one VM
  Scenario: the error code of a template
    Given the Packer template "t.pkr.hcl"
    Then the error code is none
"""


def test_a_cell_sentence_after_a_template_says_which_sentence_to_use(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("t.pkr.hcl").write_text(
        'source "azure-arm" "x" {\n  os_type = "Linux"\n  managed_image_name = "x"\n}\n'
        'build {\n  sources = ["source.azure-arm.x"]\n}\n'
    )
    pytester.makefile(".feature", template=TEMPLATE_FEATURE)
    pytester.makepyfile(test_template=TEST_MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*this scenario checks a template: name the output*"])


CUSTOM_STEP_CONFTEST = """
from pytest_bdd import parsers, then

from provsim.pipeline.check import PipelineReport
from provsim.steps.fixtures import ScenarioContext
from provsim.steps.pipelines import TemplateCheck


@then(parsers.parse("the image is named after the team {team}"))
def named_after_the_team(provsim_template: dict[str, TemplateCheck], team: str) -> None:
    report: PipelineReport = provsim_template["current"].report()
    names = [r.target.name for r in report.registrations]
    assert all(name.startswith(team) for name in names), names


@then("the source VM was captured")
def source_vm_captured(provsim: ScenarioContext) -> None:
    assert provsim.source_vm is not None
"""

LINUX_FEATURE = """
Feature: Linux golden image
  Scenario: the web image
    Given the Packer template "web.pkr.hcl"
    Then the image is named after the team web
    And every registration succeeds
"""

CELL_FEATURE = """
Feature: A captured build VM
  Scenario: captured as generalized
    Given a Linux build VM whose OS is generalized
    When it is captured as generalized
    Then the source VM was captured
"""

WEB_TEMPLATE = """
source "azure-arm" "web" {
  os_type            = "Linux"
  managed_image_name = "web-1"
}
build {
  sources = ["source.azure-arm.web"]
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline          = ["/usr/sbin/waagent -force -deprovision+user && sync"]
  }
}
"""


def test_own_sentences_in_conftest_and_one_module_for_many_features(pytester: pytest.Pytester) -> None:
    """The README's layout: features in folders, one test module binding them all, custom steps in conftest.

    Each scenario is collected once (two features, two tests), and the custom steps use provsim's typed
    fixtures (``provsim``, ``provsim_template``).
    """
    pytester.makeconftest(CUSTOM_STEP_CONFTEST)
    pytester.path.joinpath("web.pkr.hcl").write_text(WEB_TEMPLATE)
    features = pytester.mkdir("features")
    (features / "linux").mkdir()
    (features / "cells").mkdir()
    (features / "linux" / "golden.feature").write_text(LINUX_FEATURE)
    (features / "cells" / "capture.feature").write_text(CELL_FEATURE)
    pytester.makepyfile(test_features="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_xdist_workers_replay_the_seed_the_header_shows(pytester: pytest.Pytester) -> None:
    """Each worker used to draw its own seed: the header showed one and the failure another."""
    pytester.makefile(".feature", wrong=WRONG_EXPECTATION)
    pytester.makepyfile(test_wrong=TEST_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    (header,) = re.findall(r"provsim seed: (\d+)", output)
    assert re.findall(r"seed (\d+): replay with pytest --provsim-seed=(\d+)", output) == [(header, header)]


OVERRIDE_CONFTEST = """
from pytest_bdd import then


@then("VM creation succeeds")
def our_own_success(provsim):
    provsim.outcome = None
    raise AssertionError("our own sentence ran")
"""


def test_a_repository_sentence_outranks_the_plugin_one(pytester: pytest.Pytester) -> None:
    """The plugin registers its modules itself (no ``pytest_plugins`` list): still before the repository's
    conftest, so a sentence the repository defines again is the repository's."""
    pytester.makeconftest(OVERRIDE_CONFTEST)
    pytester.makefile(".feature", golden=FEATURE)
    pytester.makepyfile(test_golden=TEST_MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*our own sentence ran*"])


WRONG_OS_FEATURE = """
Feature: A Linux template said to build Windows
  Scenario: the wrong OS
    Given the Packer template "t.pkr.hcl"
    Then the pipeline builds a Windows image
"""


def test_the_step_modules_asserts_are_rewritten_and_a_module_can_be_left_out(pytester: pytest.Pytester) -> None:
    """As ``pytest_plugins`` would: a failed bare assert of a step shows its values, and
    ``-p no:provsim.steps.<module>`` leaves that module's sentences out."""
    pytester.path.joinpath("t.pkr.hcl").write_text(
        'source "azure-arm" "x" {\n  os_type = "Linux"\n  managed_image_name = "x"\n}\n'
        'build {\n  sources = ["source.azure-arm.x"]\n}\n'
    )
    pytester.makefile(".feature", wrong=WRONG_OS_FEATURE)
    pytester.makepyfile(test_wrong=TEST_MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert <OsType.LINUX: 'linux'> is <OsType.WINDOWS: 'windows'>*"])
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:provsim.steps.pipelines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*Step definition is not found: Given "the Packer template*'])


def test_a_session_without_containers_leaves_the_stop_signals_alone(pytester: pytest.Pytester) -> None:
    """SIGTERM and SIGHUP are taken over (to remove containers) only by a session that makes containers."""
    pytester.makepyfile(
        test_signals="import signal\n\n"
        "def test_default_handlers():\n"
        "    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL\n"
        "    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
