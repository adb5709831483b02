"""The step library works from a foreign repository, through the pytest11 entry point."""

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
            "@given(\"our team's naming rule is checked\")\n"
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
