"""Sentences for pipelines built for real in a container (scenarios tagged ``@container``).

The engine, the per-scenario run and its cleanup come from :mod:`steps.containers`.

Sentences of this module
------------------------
``When it is built in a container``
    After ``Given the Packer template "<path>"`` (or the AIB one; the path is
    relative to pytest's rootdir): runs the steps for real, reads the
    OS state off the disk, captures once per registration and creates a VM
    from each. With one registration, ``Then VM creation ends in ...`` checks
    it; with several, name one (``Then the VM from the capture as <state>
    ends in <outcome>``) or check them all (``Then every registration succeeds``).
``Given the container pipeline "<fixture>"``
    One of provsim's own fixture templates under ``fixtures/containers``.
    Example: ``Given the container pipeline "generalizes.pkr.hcl"``
``Given step <n> is skipped in the container``
    As ``--skip-step``: for a step that downloads (the containers have no network).
``Then the disk is <state> by the evidence``
    Example: ``Then the disk is specialized by the evidence``
``Then the evidence shows "<fact>"``
    Example: ``And the evidence shows "build user 'x' absent"`` (substring of one fact).
``Then the step <n> was skipped because "<text>"`` / ``Then the build fails at step <n> showing "<text>"``
    ``<n>`` counts from 1. Example: ``Then the build fails at step 2 showing "No such file"``
``Then testinfra sees the OS profile applied`` / ``... not applied``
    Host name, user and marker of the new VM, checked with testinfra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provsim.steps import words
from provsim.steps.containers import ContainerScenario
from provsim.steps.fixtures import ScenarioContext
from provsim.steps.pipelines import TemplateCheck
from pytest_bdd import given, parsers, then, when

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "containers"


@given(parsers.parse('the container pipeline "{name}"'))
def the_container_pipeline(containers: ContainerScenario, name: str) -> None:
    """``Given the container pipeline "<fixture>"``: a template under ``fixtures/containers``.

    Example: ``Given the container pipeline "deprovision_fails_silently.pkr.hcl"``
    """
    containers.notes.append(name)
    containers.check = read_fixture(FIXTURES / name)


@given(parsers.parse("step {number:d} is skipped in the container"))
def step_is_skipped(containers: ContainerScenario, number: int) -> None:
    """``Given step <n> is skipped in the container``: as ``--skip-step``, e.g. a step that downloads.

    The containers never get a network; the step is reported as skipped and its
    effects are not part of the verdict.

    Example: ``And step 1 is skipped in the container``
    """
    containers.skip.append(number)


@when("it is built in a container")
def built_in_a_container(
    provsim: ScenarioContext, containers: ContainerScenario, provsim_template: dict[str, TemplateCheck]
) -> None:
    """``When it is built in a container``: run the steps for real and create a VM from each registration.

    The pipeline is the one of ``Given the container pipeline "<fixture>"``
    or, in your own repository, of ``Given the Packer template "<path>"``
    (with its ``Given the Packer variable ...`` and var files).

    Example: ``When it is built in a container``
    """
    from provsim.containers.check import check_pipeline

    if containers.check is None and "current" in provsim_template:
        containers.check = provsim_template["current"].report().pipeline
    if containers.check is None:
        raise AssertionError("no pipeline yet: start with 'Given the Packer template \"<path>\"'")
    if provsim.linux_agent is not None:
        # 'Given the platform image provisions with <agent>' outranks the template's SKU, as --linux-agent does.
        containers.check.linux_agent = provsim.linux_agent
    result = check_pipeline(containers.check, seed=provsim.seed, run=containers.run, skip=containers.skip)
    containers.check = result
    containers.evidence = result.evidence
    provsim.registrations = [(f"captured as {r.registered_as.value}", r.outcome) for r in result.registrations]
    if result.registrations:
        first = result.registrations[0]
        provsim.outcome, provsim.vm, provsim.source_vm = first.outcome, first.creation.vm, first.source_vm
        containers.creation = first.creation


@then(parsers.parse("the VM from the capture as {state} ends in {outcome}"))
def capture_ends_in(provsim: ScenarioContext, containers: ContainerScenario, state: str, outcome: str) -> None:
    """``Then the VM from the capture as <state> ends in <outcome>``: one registration of a container build.

    Example: ``Then the VM from the capture as specialized ends in a provisioning timeout``
    """
    label = f"captured as {words.os_state(state).value}"
    found = [created for how, created in provsim.registrations if how == label]
    if not found:
        raise AssertionError(f"the build was not {label}; it was {[how for how, _ in provsim.registrations]}")
    expected = words.status(outcome)
    if found[0].status is not expected:
        raise AssertionError(f"expected {expected.value}, got {found[0].status.value}: {found[0].reason}")


@then(parsers.parse("the disk is {state} by the evidence"))
def disk_is(containers: ContainerScenario, state: str) -> None:
    """``Then the disk is <state> by the evidence``: read off the disk with testinfra.

    Example: ``Then the disk is generalized by the evidence``
    """
    failed = (
        containers.check.failed_step if containers.check is not None and hasattr(containers.check, "steps") else None
    )
    assert failed is None, f"the build failed: {failed.describe() if failed else ''}\n{failed.output if failed else ''}"
    assert containers.evidence is not None, "no disk was observed yet"
    expected = words.os_state(state)
    assert containers.evidence.os_state is expected, "; ".join(containers.evidence.facts())


@then(parsers.parse('the evidence shows "{fact}"'))
def evidence_shows(containers: ContainerScenario, fact: str) -> None:
    """``Then the evidence shows "<fact>"``: one fact contains the text.

    Example: ``And the evidence shows "SSH host keys absent"``
    """
    assert containers.evidence is not None, "no disk was observed yet"
    facts = containers.evidence.facts()
    assert any(fact.lower() in f.lower() for f in facts), f"{fact!r} not among: {facts}"


@then(parsers.parse('the step {number:d} was skipped because "{text}"'))
def step_skipped(containers: ContainerScenario, number: int, text: str) -> None:
    """``Then the step <n> was skipped because "<text>"``.

    Example: ``Then the step 1 was skipped because "runs on Windows only"``
    """
    step_run = containers.check.steps[number - 1]
    assert step_run.status.value == "skipped" and text in step_run.reason, step_run.describe()


@then(parsers.parse('the build fails at step {number:d} showing "{text}"'))
def build_fails(containers: ContainerScenario, number: int, text: str) -> None:
    """``Then the build fails at step <n> showing "<text>"``: the failing step's output is kept.

    Example: ``Then the build fails at step 2 showing "not found"``
    """
    failed = containers.check.failed_step
    assert failed is not None, "the build did not fail"
    assert containers.check.steps.index(failed) == number - 1, failed.describe()
    assert text in failed.output, failed.output


@then(parsers.parse("testinfra sees the OS profile {applied}"))
def profile_applied(containers: ContainerScenario, applied: str) -> None:
    """``Then testinfra sees the OS profile applied`` (or ``not applied``): host name, user, marker.

    Example: ``Then testinfra sees the OS profile not applied``
    """
    assert containers.creation is not None, "no VM was created yet"
    checks = containers.creation.checks
    profile = {k: v for k, v in checks.items() if k.startswith(("host name", "user"))}
    want = applied.strip() == "applied"
    assert all(v is want for v in profile.values()), checks


def read_fixture(path: Path) -> Any:
    """The container fixture template as its one :class:`~provsim.pipeline.model.Pipeline`."""
    from provsim.pipeline.detect import read_pipelines

    (pipeline,) = read_pipelines(path)
    return pipeline
