"""What an OS disk says about its provisioning agents, read the way the agents read it.

Two agents can provision a Linux VM on Azure, and which one does is decided by
files on the disk, not by the image's name:

- WALinuxAgent reads ``Provisioning.Agent`` from ``/etc/waagent.conf``
  (``azurelinuxagent/common/conf.py``: ``auto`` when unset; the last value in
  the file wins) and, for ``auto``, asks ``systemctl is-enabled
  cloud-init-local.service`` whether cloud-init is enabled
  (``azurelinuxagent/pa/provision/cloudinitdetect.py``: only the output
  ``enabled`` counts, so a *masked* unit is not enabled);
- cloud-init runs at boot when its units are enabled and it is not switched off
  by ``/etc/cloud/cloud-init.disabled`` (its systemd generator,
  ``systemd/cloud-init-generator``): a disabled-by-file cloud-init still looks
  *enabled* to ``systemctl is-enabled``, which is how waagent ends up waiting
  for a cloud-init that never runs.

On the disk interface an enabled unit is its ``.wants`` link and a masked one
is a unit file in ``/etc/systemd/system`` with no content (a link to
``/dev/null`` reads as nothing in a container, an empty file in memory).

    >>> from provsim.disk import MemoryDisk
    >>> disk = MemoryDisk()
    >>> disk.write_text(WAAGENT_CONF, "Provisioning.Agent=waagent\\n# Provisioning.Agent=cloud-init\\n")
    >>> provisioning_agent(disk)
    'waagent'
"""

from __future__ import annotations

import re

from ..disk import GuestDisk

WAAGENT_CONF = "/etc/waagent.conf"
CLOUD_INIT_BINARY = "/usr/bin/cloud-init"
CLOUD_INIT_UNITS = ("cloud-init-local", "cloud-init", "cloud-config", "cloud-final")
#: ``systemctl enable cloud-init-local.service`` links it here (its unit says ``WantedBy=cloud-init.target``).
LOCAL_UNIT_ENABLED = "/etc/systemd/system/cloud-init.target.wants/cloud-init-local.service"
#: ``systemctl mask`` links the unit name in /etc/systemd/system to /dev/null.
LOCAL_UNIT_MASK = "/etc/systemd/system/cloud-init-local.service"
CLOUD_INIT_DISABLED_FILE = "/etc/cloud/cloud-init.disabled"
MODPROBE_FOLDER = "/etc/modprobe.d"

#: ``install udf /bin/true`` (CIS benchmark 1.1.1.x) and ``blacklist udf`` both stop the kernel from loading udf
#: when ``mount -t udf`` asks for ``fs-udf`` (an alias of the module, which ``blacklist`` makes modprobe ignore).
_UDF_OFF = re.compile(r"^\s*(?:install\s+udf\s+/(?:usr/)?bin/(?:true|false)|blacklist\s+udf)\s*$", re.MULTILINE)


def provisioning_agent(disk: GuestDisk) -> str:
    """``Provisioning.Agent`` exactly as waagent reads it (``azurelinuxagent/common/conf.py``, ``load``).

    A line starting with ``#`` is a comment; the value is cut at the first ``#``
    and stripped of spaces and double quotes; ``None`` means unset; the last
    line wins; nothing is lower-cased (``Waagent`` is not ``waagent``).

    >>> from provsim.disk import MemoryDisk
    >>> disk = MemoryDisk()
    >>> disk.write_text(WAAGENT_CONF, 'Provisioning.Agent="waagent" # alone\\n')
    >>> provisioning_agent(disk)
    'waagent'
    """
    value: str | None = None
    for line in (disk.read_text(WAAGENT_CONF) or "").split("\n"):
        if line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        if key.strip() == "Provisioning.Agent":
            cleaned = raw.split("#")[0].strip('" ').strip()
            value = None if cleaned == "None" else cleaned
    return "auto" if value is None else value


def cloud_init_installed(disk: GuestDisk) -> bool:
    """The cloud-init package is on the disk."""
    return disk.exists(CLOUD_INIT_BINARY)


def _masked(disk: GuestDisk, unit: str) -> bool:
    """``systemctl mask`` left the unit name in /etc/systemd/system with no content (a link to /dev/null)."""
    mask = f"/etc/systemd/system/{unit}.service"
    return disk.exists(mask) and not (disk.read_text(mask) or "").strip()


def cloud_init_unit_state(disk: GuestDisk) -> str:
    """What ``systemctl is-enabled cloud-init-local.service`` prints: enabled, disabled, masked or not-found."""
    if _masked(disk, "cloud-init-local"):
        return "masked"
    if not cloud_init_installed(disk):
        return "not-found"
    return "enabled" if disk.exists(LOCAL_UNIT_ENABLED) else "disabled"


def unit_runs(disk: GuestDisk, unit: str) -> bool:
    """One of cloud-init's units starts at boot: installed, linked into ``cloud-init.target``, not masked."""
    wanted = disk.exists(f"/etc/systemd/system/cloud-init.target.wants/{unit}.service")
    return cloud_init_installed(disk) and wanted and not _masked(disk, unit)


def cloud_init_looks_enabled(disk: GuestDisk) -> bool:
    """waagent's ``cloud_init_is_enabled()``: the unit's state is exactly ``enabled``."""
    return cloud_init_unit_state(disk) == "enabled"


def cloud_init_runs_at_boot(disk: GuestDisk) -> bool:
    """cloud-init actually runs: installed, its unit enabled, and not switched off by its disabled file."""
    return cloud_init_looks_enabled(disk) and not disk.exists(CLOUD_INIT_DISABLED_FILE)


def udf_blocked(disk: GuestDisk) -> str | None:
    """The modprobe file that keeps the kernel from mounting the UDF provisioning media, if any."""
    for path in disk.glob(f"{MODPROBE_FOLDER}/*.conf"):
        if _UDF_OFF.search(disk.read_text(path) or ""):
            return path
    return None


def unit_name(word: str) -> str | None:
    """The cloud-init unit a ``systemctl`` argument names (``cloud-init``, ``cloud-init-local.service``), if any."""
    name = word.removesuffix(".service")
    return name if name in CLOUD_INIT_UNITS else None


def systemctl(disk: GuestDisk, action: str, units: list[str]) -> None:
    """``systemctl enable|disable|mask|unmask`` of cloud-init units, as links in /etc/systemd/system.

    Only ``cloud-init-local`` decides anything here: it is the unit waagent asks
    about, and the stage where the Azure datasource reads the media. The other
    units' links are kept so that the disk reads the same in both backends.
    """
    for unit in units:
        link = f"/etc/systemd/system/cloud-init.target.wants/{unit}.service"
        mask = f"/etc/systemd/system/{unit}.service"
        if action == "mask":
            disk.write_text(mask, "")
        elif action == "unmask" and _masked(disk, unit):
            disk.remove(mask)
        elif action == "disable":
            disk.remove(link)
        elif action == "enable" and cloud_init_installed(disk):
            disk.write_text(link, f"[Unit]\nDescription={unit}\n")


def remove_cloud_init(disk: GuestDisk, *, purge: bool) -> None:
    """The package manager removes cloud-init: its program and unit links (and ``/etc/cloud`` when purged)."""
    disk.remove(CLOUD_INIT_BINARY)
    for unit in CLOUD_INIT_UNITS:
        disk.remove(f"/etc/systemd/system/cloud-init.target.wants/{unit}.service")
    if purge:
        disk.remove("/etc/cloud")


def agents_summary(disk: GuestDisk) -> str:
    """One line for evidence: which agent provisions, and why."""
    setting = provisioning_agent(disk)
    unit = cloud_init_unit_state(disk)
    extra = ", disabled by /etc/cloud/cloud-init.disabled" if disk.exists(CLOUD_INIT_DISABLED_FILE) else ""
    return f"Provisioning.Agent={setting}; cloud-init-local.service {unit}{extra}"
