"""Steps that register a disk as an image: upload or capture, as generalized or specialized.

Sentences
---------
``When it is uploaded as <state>``
    Uploads the on-premises disk (prepared by a Given step) as a VHD and
    registers it. Example: ``When it is uploaded as specialized``
``When it is captured as <state>``
    Captures the build VM into an image; capturing as generalized marks the
    VM generalized first. Example: ``When it is captured as generalized``
"""

from __future__ import annotations

from provsim.steps import words
from provsim.steps.fixtures import ScenarioContext
from provsim.steps.images import prepare_build_vm, prepare_on_premises_disk
from pytest_bdd import parsers, when


@when(parsers.parse("it is uploaded as {state}"))
def uploaded_as(provsim: ScenarioContext, state: str) -> None:
    """``When it is uploaded as <state>``, ``<state>`` being ``generalized`` or ``specialized``.

    Example: ``When it is uploaded as generalized``
    """
    if provsim.disk is None:
        prepare_on_premises_disk(provsim)
    assert provsim.disk is not None and provsim.os_type is not None
    from provsim.stages import upload  # with the first such step, not with the plugin

    provsim.image = upload(provsim.disk, provsim.os_type, words.os_state(state))


@when(parsers.parse("it is captured as {state}"))
def captured_as(provsim: ScenarioContext, state: str) -> None:
    """``When it is captured as <state>``, ``<state>`` being ``generalized`` or ``specialized``.

    Example: ``When it is captured as specialized``
    """
    if provsim.build_vm is None:
        prepare_build_vm(provsim)
    assert provsim.build_vm is not None
    from provsim.stages import capture  # with the first such step, not with the plugin

    provsim.image, provsim.source_vm = capture(provsim.build_vm, words.os_state(state))
