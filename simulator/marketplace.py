"""Which provisioning agent a platform (Marketplace) image comes with, from its publisher, offer and SKU.

Microsoft's page "cloud-init support for virtual machines in Azure"
(``articles/virtual-machines/linux/using-cloud-init.md``, FACTS.md section 7)
lists the images that provision with cloud-init, waagent handing over to it
(``Provisioning.Agent=auto``): every current Ubuntu, RHEL and CentOS and
Oracle Linux from 7.7 on, Debian 11 and later, Azure Linux (and CBL-Mariner).
CentOS 6.10 and 7.4 to 7.6 provision with waagent alone. Anything else is
**not known**: provsim then assumes waagent alone (what the seed's table
describes) and says so; state the agent with ``--linux-agent`` or the
Gherkin step ``Given the platform image provisions with cloud-init``.

    >>> agent_of("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2").agent
    'cloud-init'
    >>> agent_of("OpenLogic", "CentOS", "7.5").agent
    'waagent'
    >>> agent_of("SUSE", "sles-15-sp5", "gen2").known
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLOUD_INIT = "cloud-init"
WAAGENT = "waagent"
AGENTS = (CLOUD_INIT, WAAGENT)


@dataclass(frozen=True)
class AgentChoice:
    """The agent an image provisions with, whether the table knows it, and why."""

    agent: str
    known: bool
    why: str


#: publisher (lower case) -> rule over (offer, sku) -> agent or None (not known).
def _canonical(offer: str, sku: str) -> str | None:
    return CLOUD_INIT


def _redhat(offer: str, sku: str) -> str | None:
    """RHEL, CentOS and Oracle Linux: cloud-init from 7.7 on (a SKU without a minor, ``7-lvm``, is the latest 7.x)."""
    major, minor = _release(sku)
    if major is None:
        return None
    return CLOUD_INIT if (major, minor) >= (7, 7) else WAAGENT


def _debian(offer: str, sku: str) -> str | None:
    major = _version(offer)[0] or _version(sku)[0]
    if major is None:
        return None
    return CLOUD_INIT if major >= 11 else WAAGENT


def _microsoft_linux(offer: str, sku: str) -> str | None:
    return CLOUD_INIT if any(name in offer for name in ("azure-linux", "azurelinux", "cbl-mariner")) else None


_RULES = {
    "canonical": _canonical,
    "redhat": _redhat,
    "openlogic": _redhat,
    "oracle": _redhat,
    "debian": _debian,
    "microsoftcblmariner": _microsoft_linux,
}


def agent_of(publisher: str, offer: str, sku: str) -> AgentChoice:
    """The agent of ``publisher:offer:sku``, from the documented table; waagent (not known) otherwise."""
    rule = _RULES.get(publisher.lower())
    agent = rule(offer.lower(), sku.lower()) if rule is not None else None
    name = f"{publisher}:{offer}:{sku}"
    if agent is None:
        return AgentChoice(
            WAAGENT,
            False,
            f"{name} is not in provsim's table of cloud-init images; assuming waagent provisions alone "
            "(say --linux-agent cloud-init if it does not)",
        )
    return AgentChoice(agent, True, f"{name} provisions with {agent} (Microsoft's list of cloud-init images)")


#: A rolling SKU (``7-lvm``, ``8-gen2``) follows the latest minor release.
_LATEST = 99


def _release(sku: str) -> tuple[int | None, int]:
    """A RHEL-family release from a SKU: ``7.6``, ``7_9-gen2``, ``76-gen2`` and ``ol76`` (7.6), ``lvm91`` (9.1),
    ``6.10``; a major alone (``8-lvm``) is the latest of that major.

    >>> _release("76-gen2"), _release("7-LVM"), _release("rhel-lvm91-gen2"), _release("6.10")
    ((7, 6), (7, 99), (9, 1), (6, 10))
    """
    match = re.search(r"(?<![\d])(\d{1,3})(?:[._](\d{1,2}))?(?![\d])", sku)
    if match is None:
        return None, 0
    digits, minor = match.group(1), match.group(2)
    if minor is not None:
        return int(digits), int(minor)
    if len(digits) >= 2 and digits[0] in "6789":
        return int(digits[0]), int(digits[1:])
    return int(digits), _LATEST


def _version(text: str) -> tuple[int | None, int | None]:
    """The first ``major[.minor]`` in a SKU or offer (``8-lvm-gen2`` -> 8, ``7_9`` -> 7.9, ``debian-12`` -> 12)."""
    match = re.search(r"(?<![\d])(\d{1,2})(?:[._](\d{1,2}))?(?![\d])", text)
    if match is None:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None
