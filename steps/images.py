"""Steps that prepare a disk whose OS is in a given state.

The OS state is produced the way a user produces it: a specialized OS is one
that was installed and configured (on-premises) or provisioned (a build VM on
Azure); a generalized one has then been through ``waagent -force
-deprovision+user`` (Linux) or ``sysprep /generalize /oobe`` (Windows).

Sentences
---------
``Given a <OS> image whose OS is <state>``
    The image's source is chosen by the stage that follows: an on-premises
    disk for ``uploaded``, a build VM for ``captured``.
    Example: ``Given a Linux image whose OS is generalized``
``Given an on-premises <OS> disk whose OS is <state>``
    Example: ``Given an on-premises Windows disk whose OS is specialized``
``Given a <OS> build VM whose OS is <state>``
    Example: ``Given a Linux build VM whose OS is generalized``

``<OS>`` is ``Linux`` or ``Windows``; ``<state>`` is ``generalized`` or ``specialized``.
"""

from __future__ import annotations

from provsim.steps import words
from provsim.steps.fixtures import ScenarioContext
from pytest_bdd import given, parsers


@given(parsers.parse("a {os} image whose OS is {state}"))
def an_image(provsim: ScenarioContext, os: str, state: str) -> None:
    """``Given a <OS> image whose OS is <state>``: remember what to prepare; the stage decides the source.

    Example: ``Given a Windows image whose OS is specialized``
    """
    provsim.os_type = words.os_type(os)
    provsim.os_state = words.os_state(state)


@given(parsers.parse("an on-premises {os} disk whose OS is {state}"))
def an_on_premises_disk(provsim: ScenarioContext, os: str, state: str) -> None:
    """``Given an on-premises <OS> disk whose OS is <state>``: a disk ready to be uploaded.

    Example: ``Given an on-premises Linux disk whose OS is generalized``
    """
    an_image(provsim, os, state)
    prepare_on_premises_disk(provsim)


@given(parsers.parse("a {os} build VM whose OS is {state}"))
def a_build_vm(provsim: ScenarioContext, os: str, state: str) -> None:
    """``Given a <OS> build VM whose OS is <state>``: a VM on the platform, ready to be captured.

    Example: ``Given a Windows build VM whose OS is generalized``
    """
    an_image(provsim, os, state)
    prepare_build_vm(provsim)


def prepare_on_premises_disk(provsim: ScenarioContext) -> None:
    """Install and configure the OS on-premises, and generalize it when the scenario says so."""
    from provsim.build import generalize, on_premises_disk  # with the first such step, not with the plugin

    assert provsim.os_type is not None and provsim.os_state is not None
    provsim.disk = on_premises_disk(provsim.os_type, provsim.seed, provsim.linux_agent or "waagent")
    if provsim.os_state.value == "generalized":
        generalize(provsim.disk, provsim.os_type)


def prepare_build_vm(provsim: ScenarioContext) -> None:
    """Create a build VM from a platform image, and generalize its OS when the scenario says so."""
    from provsim.build import create_build_vm, generalize  # with the first such step, not with the plugin

    assert provsim.os_type is not None and provsim.os_state is not None
    agent = provsim.linux_agent or "waagent"
    provsim.build_vm = create_build_vm(provsim.platform, provsim.os_type, provsim.seed, agent)
    if provsim.os_state.value == "generalized":
        generalize(provsim.build_vm.disk, provsim.os_type)
