"""Turning what the platform observed into a reason and a resolution.

The platform only sees two symptoms: no ready report within the allotted time,
or a ready VM whose identity is not the OS profile it sent. From the symptom,
the stage the image went through and the OS type, this module words the reason
and the resolution in provsim's own terms, with the same meaning as the seed's
table (which stays in the features, as their oracle).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import OsType, Stage


@dataclass(frozen=True)
class NoReadyReport:
    """The guest never reported ready; ``profile_sent`` tells whether media was attached."""

    profile_sent: bool
    guest_said: str
    allotted_minutes: float


@dataclass(frozen=True)
class ProfileNotApplied:
    """The guest reported ready but kept its old identity."""

    wanted_name: str
    wanted_user: str
    found_name: str
    found_users: tuple[str, ...]
    guest_said: str = ""


@dataclass(frozen=True)
class AgentReportedFailure:
    """The guest agent reported ``ProvisioningFailed`` before the platform's wait ran out."""

    guest_said: str


Symptom = NoReadyReport | ProfileNotApplied | AgentReportedFailure

#: What keeps cloud-init from provisioning, as the agents word it, and what to do about it.
_AGENT_FIXES = (
    (
        "cloud-init appears to be installed and enabled",
        "Let one agent provision: set Provisioning.Agent=auto in /etc/waagent.conf so that waagent hands over to "
        "cloud-init, or disable cloud-init (systemctl disable cloud-init-local cloud-init cloud-config cloud-final) "
        "before keeping Provisioning.Agent=waagent.",
    ),
    (
        "udf module is blocked",
        "Keep the udf module loadable until provisioning is over: the provisioning media is a UDF DVD. Remove the "
        "'install udf /bin/true' (or 'blacklist udf') line from the image, and block udf after first boot instead.",
    ),
    (
        "Provisioning is disabled",
        "Set Provisioning.Agent=auto in /etc/waagent.conf (or waagent, on an image without cloud-init): any other "
        "value, an empty one included, disables waagent's provisioning.",
    ),
    (
        "does not appear to be running",
        "waagent waits for cloud-init, which is switched off on the image: remove /etc/cloud/cloud-init.disabled "
        "and unmask or enable cloud-init's units, or set Provisioning.Agent=waagent once cloud-init is disabled.",
    ),
)


def is_agent_fix(resolution: str | None) -> bool:
    """The resolution is about the agents on the image (their config), not the OS state or the registration."""
    return resolution is not None and any(resolution == fix for _, fix in _AGENT_FIXES)


def _agent_fix(guest_said: str) -> str | None:
    return next((fix for words, fix in _AGENT_FIXES if words in guest_said), None)


def generalize_tool(os_type: OsType) -> str:
    """What a user runs to generalize this OS."""
    return "sysprep" if os_type is OsType.WINDOWS else "waagent -deprovision+user"


def reason_for(symptom: Symptom) -> str:
    """Why the VM creation ended as it did, in terms of the mechanism."""
    if isinstance(symptom, AgentReportedFailure):
        return (
            "The guest agent gave up and reported ProvisioningFailed "
            f"(it said: {symptom.guest_said!r}); the VM never applied the OS profile."
        )
    if isinstance(symptom, NoReadyReport):
        if symptom.profile_sent:
            return (
                "The platform sent an OS profile, but the guest never reported ready "
                f"(it said: {symptom.guest_said!r}); the platform gave up after "
                f"{symptom.allotted_minutes:g} minutes."
            )
        return (
            "The image was registered as specialized, so the platform sent no OS profile; the OS "
            f"on the disk is generalized and waited for one (it said: {symptom.guest_said!r}), "
            f"never reported ready, and the platform gave up after {symptom.allotted_minutes:g} minutes."
        )
    users = ", ".join(repr(u) for u in symptom.found_users) or "none"
    if "Provisioning is disabled" in symptom.guest_said:
        return (
            "The image was registered as generalized, so the platform sent an OS profile, but waagent's provisioning "
            "is disabled on the image (Provisioning.Agent is neither auto nor waagent) and cloud-init did not apply "
            f"it either: the VM reported ready as {symptom.found_name!r} with accounts ({users})."
        )
    return (
        "The image was registered as generalized, so the platform sent an OS profile "
        f"(computer name {symptom.wanted_name!r}, user {symptom.wanted_user!r}), but the new VM is "
        f"running with the original computer name {symptom.found_name!r} and accounts ({users}): "
        "the OS on the disk is specialized, so it kept its identity and never applied the profile."
    )


def resolution_for(symptom: Symptom, stage: Stage | None, os_type: OsType) -> str:
    """What to do about it, depending on where the image came from."""
    tool = generalize_tool(os_type)
    if isinstance(symptom, AgentReportedFailure):
        return _agent_fix(symptom.guest_said) or "Read the guest agent's log (/var/log/waagent.log) on the image."
    if isinstance(symptom, ProfileNotApplied) and _agent_fix(symptom.guest_said):
        return _agent_fix(symptom.guest_said) or ""
    if isinstance(symptom, NoReadyReport):
        fix = _agent_fix(symptom.guest_said)
        if fix is not None and symptom.profile_sent:
            return fix
        if symptom.profile_sent:
            return f"Check that {tool} ran to completion on the image and that the guest agent is installed."
        if stage is Stage.UPLOAD:
            return f"Use the original VHD on-premises, run {tool}, then upload as generalized."
        return "Delete the image and recreate it from the current VHDs with the generalized setting."
    if stage is Stage.UPLOAD:
        return f"Upload the original on-premises VHD as specialized, or run {tool} to make the OS generalized."
    return "Delete the image and recreate it from the current VHDs with the specialized setting."
