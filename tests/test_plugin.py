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
