"""What every guest agent provides, and the record of one boot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..disk import GuestDisk


@dataclass
class Boot:
    """What happened on the guest during one boot.

    ``ready`` is whether the agent sent its ready report to the platform;
    ``failure`` is the message of a *not ready* report with the substatus
    ``ProvisioningFailed`` (the agent gave up and said so, before the platform's
    wait ran out); ``log`` holds the agent's own messages with the guest
    seconds each took.
    """

    ready: bool = False
    failure: str | None = None
    log: list[tuple[float, str]] = field(default_factory=list)

    def say(self, seconds: float, text: str) -> None:
        self.log.append((seconds, text))


class GuestAgent(Protocol):
    """Boots a disk and decides, from the disk and the media, whether to report ready."""

    def boot(self, disk: GuestDisk, instance_id: str, ovf_env: str | None) -> Boot:
        """Run the first boot of a VM whose SMBIOS id is ``instance_id``.

        ``ovf_env`` is the provisioning media's ovf-env.xml, or None when the
        platform attached none.
        """
