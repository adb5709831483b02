"""Provisioning media: the ``ovf-env.xml`` the platform puts on a VM's DVD.

Azure attaches it only when the image is registered as generalized; it carries
the OS profile. Both agents read it: Linux through
``LinuxProvisioningConfigurationSet``, Windows through
``WindowsProvisioningConfigurationSet`` (FACTS.md section 3).

    >>> from provsim.profile import OsProfile, Secret
    >>> xml = build_ovf_env(OsType.LINUX, OsProfile("web-1", "azureuser", Secret("Pa55word!long")))
    >>> read_ovf_env(xml).hostname
    'web-1'
    >>> "Pa55word" in mask_password(xml)
    False
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from .errors import ProvsimError
from .model import OsType
from .profile import OsProfile, Secret

OVF_NS = "http://schemas.dmtf.org/ovf/environment/1"
WA_NS = "http://schemas.microsoft.com/windowsazure"


def escape(text: str) -> str:
    """XML-escape element text (xml.sax.saxutils.escape drags urllib in: 25 ms of ``provsim check``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class OvfSettings:
    """What an agent reads from ovf-env.xml."""

    hostname: str
    username: str
    password: Secret | None


def build_ovf_env(os_type: OsType, profile: OsProfile) -> str:
    """The ovf-env.xml text for this OS profile (the password in clear, as on the DVD)."""
    name = escape(profile.computer_name)
    user = escape(profile.admin_username)
    password = escape(profile.admin_password.reveal())
    if os_type is OsType.LINUX:
        config = (
            f'<LinuxProvisioningConfigurationSet xmlns="{WA_NS}">'
            "<ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType>"
            f"<HostName>{name}</HostName><UserName>{user}</UserName>"
            f"<UserPassword>{password}</UserPassword>"
            "<DisableSshPasswordAuthentication>false</DisableSshPasswordAuthentication>"
            "</LinuxProvisioningConfigurationSet>"
        )
    else:
        config = (
            f'<WindowsProvisioningConfigurationSet xmlns="{WA_NS}">'
            "<ConfigurationSetType>WindowsProvisioningConfiguration</ConfigurationSetType>"
            f"<ComputerName>{name}</ComputerName><AdminUsername>{user}</AdminUsername>"
            f"<AdminPassword>{password}</AdminPassword>"
            "</WindowsProvisioningConfigurationSet>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Environment xmlns="{OVF_NS}" xmlns:wa="{WA_NS}">'
        f"<wa:ProvisioningSection><wa:Version>1.0</wa:Version>{config}</wa:ProvisioningSection>"
        "<wa:PlatformSettingsSection><wa:Version>1.0</wa:Version>"
        f'<PlatformSettings xmlns="{WA_NS}"><ProvisionGuestAgent>'
        "true</ProvisionGuestAgent></PlatformSettings>"
        "</wa:PlatformSettingsSection></Environment>\n"
    )


# The settings are frozen and depend on the text alone; VMs created from the images of many templates get the
# same few OS profiles, so each distinct media text is parsed once.
@lru_cache(maxsize=256)
def read_ovf_env(text: str) -> OvfSettings:
    """Parse the settings an agent needs; the configuration set may be Linux or Windows."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise ProvsimError(f"ovf-env.xml: not well-formed XML ({error}); rebuild the provisioning media") from None

    def first(*tags: str) -> str | None:
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] in tags and element.text:
                return element.text
        return None

    hostname = first("HostName", "ComputerName")
    username = first("UserName", "AdminUsername")
    if not hostname or not username:
        raise ProvsimError("ovf-env.xml: no host name or user name; the OS profile must name both")
    password = first("UserPassword", "AdminPassword")
    return OvfSettings(hostname, username, Secret(password) if password else None)


def mask_password(text: str) -> str:
    """The copy an agent keeps on disk: the password replaced by stars, as waagent does."""
    return re.sub(r"(<(\w+:)?(User|Admin)Password>)[^<]*(</)", r"\1********\4", text)
