"""Steps that check how the VM creation ended.

The expected values are written in the feature files: they are the oracle.

Sentences
---------
``Then VM creation ends in <outcome>``
    ``<outcome>``: ``success``, ``a provisioning timeout`` or ``a provisioning failure``.
    Example: ``Then VM creation ends in a provisioning timeout``
``Then VM creation succeeds``
``Then the error code is <code>``
    ``<code>``: ``OSProvisioningTimedOut``, ``OSProvisioningClientError`` or ``none``.
    Example: ``And the error code is OSProvisioningTimedOut``
``Then the reason mentions "<text>"`` / ``Then the resolution says "<text>"``
    Case-insensitive containment. Example: ``And the resolution says "upload as generalized"``
``Then there is no resolution``
``Then the source VM is <usable|no longer usable>``
    Example: ``And the source VM is no longer usable``
``Then the new VM keeps the original computer name and user``
``Then the platform waited the allotted <N> minutes``
    The virtual clock reads N minutes at the end. Example: ``And the platform waited the allotted 20 minutes``
``Then the timeline shows "<text>"``
    Example: ``And the timeline shows "Provisioning failed"``
"""

from __future__ import annotations

from provsim.steps import words
from provsim.steps.fixtures import ScenarioContext
from pytest_bdd import parsers, then


@then(parsers.parse("VM creation ends in {outcome}"))
def ends_in(provsim: ScenarioContext, outcome: str) -> None:
    """``Then VM creation ends in <outcome>``.

    Example: ``Then VM creation ends in a provisioning failure``
    """
    actual = provsim.require_outcome()
    expected = words.status(outcome)
    assert actual.status is expected, f"expected {expected.value}, got {actual.status.value}: {actual.reason}"


@then("every registration succeeds")
def every_registration_succeeds(provsim: ScenarioContext, provsim_template: dict[str, object]) -> None:
    """``Then every registration succeeds``: each way the pipeline's outputs are registered provisions a VM.

    Works after ``When it is built in a container`` and after ``Given the Packer template "<path>"``
    (a VHD, registered later by its user, counts only with ``Given its VHD will be registered as ...``).
    """
    if provsim.registrations:
        failing = [f"{how}: {o.status.value} ({o.reason})" for how, o in provsim.registrations if not o.succeeded]
    else:
        check = provsim_template.get("current")
        if check is None:
            raise AssertionError("nothing registered yet: start with 'Given the Packer template \"<path>\"'")
        report = check.report()  # type: ignore[attr-defined]
        failing = [
            f"{r.target.kind.value}:{r.target.name} as {r.registered_as.value}: {r.outcome.status.value} "
            f"({r.outcome.reason}); resolution: {r.resolution}"
            for r in report.registrations
            if r.known and not r.outcome.succeeded
        ]
    if failing:
        raise AssertionError("not every registration succeeds:\n" + "\n".join(failing))


@then("VM creation succeeds")
def succeeds(provsim: ScenarioContext) -> None:
    """``Then VM creation succeeds``."""
    ends_in(provsim, "success")


@then(parsers.parse("the error code is {code}"))
def error_code(provsim: ScenarioContext, code: str) -> None:
    """``Then the error code is <code>`` (``none`` when the creation succeeded).

    Example: ``And the error code is OSProvisioningClientError``
    """
    actual = provsim.require_outcome().error_code
    shown = actual.value if actual else "none"
    assert shown.lower() == code.strip().lower(), f"expected error code {code}, got {shown}"


@then(parsers.parse('the reason mentions "{text}"'))
def reason_mentions(provsim: ScenarioContext, text: str) -> None:
    """``Then the reason mentions "<text>"``.

    Example: ``And the reason mentions "original computer name"``
    """
    reason = provsim.require_outcome().reason
    assert text.lower() in reason.lower(), f"{text!r} not in the reason: {reason}"


@then(parsers.parse('the resolution says "{text}"'))
def resolution_says(provsim: ScenarioContext, text: str) -> None:
    """``Then the resolution says "<text>"``; ``-`` expects no resolution at all.

    Example: ``And the resolution says "recreate it from the current VHDs with the generalized setting"``
    """
    resolution = provsim.require_outcome().resolution
    if text.strip() == "-":
        assert resolution is None, f"expected no resolution, got: {resolution}"
        return
    assert resolution is not None, "expected a resolution, got none"
    assert text.lower() in resolution.lower(), f"{text!r} not in the resolution: {resolution}"


@then("there is no resolution")
def no_resolution(provsim: ScenarioContext) -> None:
    """``Then there is no resolution``: nothing to fix."""
    resolution_says(provsim, "-")


@then(parsers.parse("the source VM is {fate}"))
def source_vm_is(provsim: ScenarioContext, fate: str) -> None:
    """``Then the source VM is usable`` or ``... is no longer usable``.

    Example: ``And the source VM is no longer usable``
    """
    source_vm = provsim.source_vm
    assert source_vm is not None, "there is no source VM: the image was not captured"
    want_usable = fate.strip().lower() in ("usable", "still usable")
    assert source_vm.usable is want_usable, f"source VM usable={source_vm.usable}: {source_vm.reason}"


@then("the new VM keeps the original computer name and user")
def keeps_identity(provsim: ScenarioContext) -> None:
    """``Then the new VM keeps the original computer name and user``: read off the new VM's disk."""
    provsim.require_outcome()
    assert provsim.vm is not None and provsim.profile is not None
    disk, profile = provsim.vm.disk, provsim.profile
    assert disk.hostname() != profile.computer_name, f"the VM took the OS profile's name {profile.computer_name!r}"
    assert disk.user(profile.admin_username) is None, f"the VM has the OS profile's user {profile.admin_username!r}"
    assert disk.users(), "the VM has no account at all, not even the original one"


@then(parsers.parse("the platform waited the allotted {minutes:d} minutes"))
def waited(provsim: ScenarioContext, minutes: int) -> None:
    """``Then the platform waited the allotted <N> minutes``, on the virtual clock.

    Example: ``And the platform waited the allotted 40 minutes``
    """
    duration = provsim.require_outcome().duration
    assert duration == minutes * 60, f"the VM creation took {duration / 60:g} virtual minutes, not {minutes}"


@then(parsers.parse('the timeline shows "{text}"'))
def timeline_shows(provsim: ScenarioContext, text: str) -> None:
    """``Then the timeline shows "<text>"``: some event's text contains it.

    Example: ``And the timeline shows "waiting at the OOBE screen"``
    """
    texts = provsim.require_outcome().timeline.texts()
    assert any(text.lower() in t.lower() for t in texts), f"{text!r} not in the timeline:\n" + "\n".join(texts)
