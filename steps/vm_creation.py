"""Steps that create a VM from the registered image.

Sentences
---------
``Given the allotted provisioning time for <OS> is <N> minutes``
    Overrides the platform's wait (defaults: Linux 20, Windows 40).
    Example: ``Given the allotted provisioning time for Linux is 8 minutes``
``When a VM is created from it``
    The platform attaches an OS profile only for a generalized registration;
    the guest agent decides; the virtual clock bounds the wait.
    Example: ``And a VM is created from it``
"""

from __future__ import annotations

import dataclasses

from provsim.steps import words
from provsim.steps.fixtures import ScenarioContext
from pytest_bdd import given, parsers, when


@given(parsers.parse("the allotted provisioning time for {os} is {minutes:d} minutes"))
def allotted_time(provsim: ScenarioContext, os: str, minutes: int) -> None:
    """``Given the allotted provisioning time for <OS> is <N> minutes``.

    Example: ``Given the allotted provisioning time for Windows is 20 minutes``
    """
    field = words.os_type(os).value  # "linux" or "windows", AllottedTime's fields
    provsim.allotted = dataclasses.replace(provsim.allotted, **{field: minutes * 60.0})
    provsim.platform.allotted = provsim.allotted


@when("a VM is created from it")
def a_vm_is_created(provsim: ScenarioContext) -> None:
    """``When a VM is created from it``: the platform creates a VM from the image just registered.

    Example: ``And a VM is created from it``
    """
    if provsim.image is None:
        raise AssertionError("nothing registered yet: add 'When it is uploaded as ...' or '... captured as ...'")
    from provsim.profile import generate_profile  # Faker loads with the first VM, not with the plugin

    profile = generate_profile(provsim.image.os_type, provsim.seed, role="vm")
    creation = provsim.platform.create_vm(provsim.image, profile, source_vm=provsim.source_vm)
    provsim.outcome = creation.outcome
    provsim.vm = creation.vm
    provsim.profile = profile
