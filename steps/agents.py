"""Steps about the provisioning agents on a Linux image: which one the platform image ships, and what the build
changes about them.

Sentences
---------
``Given the platform image provisions with <agent>``
    ``<agent>`` is ``cloud-init`` (waagent hands over to it, as on Ubuntu, RHEL 8+ and Debian 11+ images) or
    ``waagent`` (waagent alone, the seed's table). Say it before the build VM or image is prepared.
    Example: ``Given the platform image provisions with cloud-init``
``Given the build runs "<command>"``
    Runs a command on the build VM (or on-premises disk) as a template's shell step would: as the build user,
    through provsim's shell model, ``sudo`` included. The step fails when the command would fail the build.
    Example: ``Given the build runs "sudo systemctl mask cloud-init-local"``
"""

from __future__ import annotations

from provsim.steps.fixtures import ScenarioContext
from pytest_bdd import given, parsers


@given(parsers.parse("the platform image provisions with {agent}"))
def platform_image_agent(provsim: ScenarioContext, agent: str) -> None:
    """``Given the platform image provisions with <agent>``: cloud-init or waagent.

    Example: ``Given the platform image provisions with cloud-init``
    """
    from provsim.marketplace import AGENTS

    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}: say one of {', '.join(AGENTS)}")
    if provsim.build_vm is not None or provsim.disk is not None:
        raise AssertionError("say which agent the platform image has before the build VM or disk is prepared")
    provsim.linux_agent = agent


@given(parsers.parse('the build runs "{command}"'))
def the_build_runs(provsim: ScenarioContext, command: str) -> None:
    """``Given the build runs "<command>"``: a shell step on the build VM, run through provsim's shell model.

    Example: ``Given the build runs "echo 'install udf /bin/true' | sudo tee /etc/modprobe.d/cis.conf"``
    """
    if provsim.build_vm is not None:
        disk, user = provsim.build_vm.disk, provsim.build_vm.profile.admin_username if provsim.build_vm.profile else ""
    elif provsim.disk is not None:
        users = provsim.disk.users()
        disk, user = provsim.disk, users[0].name if users else "root"
    else:
        raise AssertionError(
            "no build VM or disk yet: start with 'Given a Linux build VM whose OS is <state>' or "
            "'Given an on-premises Linux disk whose OS is <state>'"
        )
    # The shell model loads with the first such step, not with the plugin.
    from provsim.pipeline.model import Location
    from provsim.pipeline.scripts.effects import Undecided
    from provsim.pipeline.scripts.shell import Context
    from provsim.pipeline.scripts.steps import run_command

    context = Context(disk, user or "packer")
    outcome = run_command(command, context, Location("scenario", None))
    undecided = [r.effect for r in context.records if isinstance(r.effect, Undecided)]
    if undecided:
        raise AssertionError(f"provsim cannot tell what {command!r} does: {undecided[0].reason}")
    if outcome.status not in (0, None):
        raise AssertionError(f"{command!r} fails (exit {outcome.status}): the build would stop here")
