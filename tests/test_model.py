"""Value types read user words forgivingly and refuse the rest with a one-line error."""

import pytest
from provsim import ErrorCode, OsState, OsType, ProvsimError, Stage, Status
from provsim.model import Timeline
from provsim.steps import words


@pytest.mark.parametrize(("text", "expected"), [("Linux", OsType.LINUX), (" WINDOWS ", OsType.WINDOWS)])
def test_os_type_words(text: str, expected: OsType) -> None:
    assert OsType.parse(text) is expected


def test_unknown_words_name_the_choices() -> None:
    with pytest.raises(ProvsimError, match="unknown OS state 'generalised': expected one of generalized, specialized"):
        OsState.parse("generalised", "OS state")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("success", Status.SUCCEEDED),
        ("a provisioning timeout", Status.PROVISIONING_TIMEOUT),
        ("a provisioning failure", Status.PROVISIONING_FAILURE),
        ("provisioning-failure", Status.PROVISIONING_FAILURE),
    ],
)
def test_outcome_words_of_the_features(text: str, expected: Status) -> None:
    assert words.status(text) is expected


def test_stage_words() -> None:
    assert words.stage("uploaded") is Stage.UPLOAD and words.stage("Capture") is Stage.CAPTURE


def test_values_are_the_json_words() -> None:
    assert [s.value for s in Status] == ["succeeded", "provisioning_timeout", "provisioning_failure"]
    assert ErrorCode.OS_PROVISIONING_TIMED_OUT.value == "OSProvisioningTimedOut"


def test_timeline_renders_minutes_and_seconds() -> None:
    timeline = Timeline()
    timeline.add(1200.0, "platform", "gave up")
    assert timeline.events[0].render() == " 20:00  platform gave up"
