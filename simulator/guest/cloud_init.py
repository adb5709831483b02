"""cloud-init's first boot on Azure, as far as provisioning goes (FACTS.md section 7).

cloud-init keys everything off the **instance id**, the VM's DMI system uuid
(``cloudinit/sources/DataSourceAzure.py`` ``_iid``):

- the id it cached last boot (``/var/lib/cloud/data/instance-id``) is this
  VM's: nothing is new, the per-instance modules do not run again
  (``cloudinit/stages.py`` ``_restore_from_checked_cache``);
- another id: a *new instance*, whatever the disk went through. With
  provisioning media (the platform's ``ovf-env.xml``, read from the seed
  directory or the DVD) it applies the OS profile: host name, the admin user
  with its sudo rule in ``/etc/sudoers.d/90-cloud-init-users``, new SSH host
  keys (``ssh_deletekeys``), and a copy of ``ovf-env.xml`` (password redacted)
  in ``/var/lib/waagent`` for waagent, which waits for it in cloud-init mode.
  Without media there is no OS profile to apply: the data comes from IMDS,
  which has none for a specialized VM.

So a VM created from a captured, never deprovisioned cloud-init image *does*
get its new host name and user: what stays is the old VM's residue (its user,
home, sudo rule, cached instance folders), which
:mod:`provsim.hygiene` names.

The UDF provisioning DVD cannot be mounted when ``udf`` is blocked in
``/etc/modprobe.d`` (CIS hardening): cloud-init then finds no media and writes
no ``ovf-env.xml``, so waagent waits for it until the platform gives up
(WALinuxAgent #2025, #2144; azvmimagebuilder #93). Newer cloud-init (21.2+)
can fall back to IMDS instead; provsim models the failure users reported.

    >>> from provsim.disk import MemoryDisk
    >>> from provsim.guest.agent_config import CLOUD_INIT_BINARY, LOCAL_UNIT_ENABLED
    >>> disk = MemoryDisk()
    >>> disk.write_text(CLOUD_INIT_BINARY, ""); disk.write_text(LOCAL_UNIT_ENABLED, "")
    >>> run_cloud_init(disk, "1111", None).new_instance, run_cloud_init(disk, "1111", None).new_instance
    (True, False)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Protocol

from ..disk import Account, GuestDisk
from ..media import mask_password, read_ovf_env
from .agent_config import (
    CLOUD_INIT_DISABLED_FILE,
    cloud_init_installed,
    cloud_init_looks_enabled,
    cloud_init_runs_at_boot,
    udf_blocked,
    unit_runs,
)

CLOUD_LIB = "/var/lib/cloud"
SEED_OVF_ENV = f"{CLOUD_LIB}/seed/azure/ovf-env.xml"
INSTANCE_ID_FILE = f"{CLOUD_LIB}/data/instance-id"
SET_HOSTNAME_FILE = f"{CLOUD_LIB}/data/set-hostname"
INSTANCES_FOLDER = f"{CLOUD_LIB}/instances"
SUDOERS_FILE = "/etc/sudoers.d/90-cloud-init-users"
#: Where cloud-init leaves the media for waagent (``DataSourceAzure`` ``write_files`` into ``/var/lib/waagent``).
WAAGENT_OVF_ENV = "/var/lib/waagent/ovf-env.xml"
SSH_HOST_KEY_TYPES = ("rsa", "ecdsa", "ed25519")
CLOUD_CFG = "/etc/cloud/cloud.cfg"
NONE_INSTANCE_ID = "iid-datasource-none"
_DEFAULT_USER = re.compile(r"^\s*default_user:\s*\n\s*name:\s*(\S+)", re.MULTILINE)

#: Guest seconds of cloud-init's four stages on a first boot (local, network, config, final).
STAGE_SECONDS = 12.0


@dataclass
class CloudInitBoot:
    """What cloud-init did on one boot."""

    ran: bool
    """cloud-init ran at all (installed, its unit enabled, not switched off by ``cloud-init.disabled``)."""
    new_instance: bool
    """The instance id differed from the cached one."""
    applied_profile: bool
    """It provisioned from ``ovf-env.xml`` media: host name, user and sudo rule, the copy for waagent."""
    errors: list[str] = field(default_factory=list)
    """What ``cloud-init status --long`` would show as errors."""
    log: list[tuple[float, str]] = field(default_factory=list)


class CloudInitRunner(Protocol):
    """Runs cloud-init's first boot on a disk: the in-memory model below, or the real one in a container."""

    def __call__(self, disk: GuestDisk, instance_id: str, ovf_env: str | None) -> CloudInitBoot: ...


def run_cloud_init(disk: GuestDisk, instance_id: str, ovf_env: str | None) -> CloudInitBoot:
    """cloud-init's boot on ``disk`` for a VM whose system uuid is ``instance_id``, with the media ``ovf_env``."""
    if not cloud_init_installed(disk):
        return CloudInitBoot(False, False, False)
    if (
        not disk.exists(CLOUD_INIT_DISABLED_FILE)
        and not unit_runs(disk, "cloud-init-local")
        and unit_runs(disk, "cloud-init")
    ):
        return _without_local_stage(disk)
    if not cloud_init_runs_at_boot(disk):
        why = (
            f"switched off by {CLOUD_INIT_DISABLED_FILE}"
            if cloud_init_looks_enabled(disk)
            else "its units are disabled or masked"
        )
        return CloudInitBoot(False, False, False, log=[(0.0, f"cloud-init does not run: {why}")])
    cached = (disk.read_text(INSTANCE_ID_FILE) or "").strip()
    if cached == instance_id:
        return CloudInitBoot(
            True,
            False,
            False,
            log=[(STAGE_SECONDS / 4, f"cloud-init: instance {instance_id} seen before, nothing new")],
        )
    boot = CloudInitBoot(True, True, False)
    previous = f" (the disk was last booted as {cached})" if cached else ""
    boot.log.append((STAGE_SECONDS / 4, f"cloud-init: new instance {instance_id}{previous}"))
    disk.write_text(INSTANCE_ID_FILE, instance_id)
    disk.write_text(f"{INSTANCES_FOLDER}/{instance_id}/datasource", "DataSourceAzure\n")
    media = _media(disk, ovf_env, boot)
    _renew_host_keys(disk, instance_id)
    if media is None:
        boot.log.append((STAGE_SECONDS * 3 / 4, "cloud-init: no OS profile to apply (no provisioning media)"))
        return boot
    settings = read_ovf_env(media)
    disk.set_hostname(settings.hostname)
    disk.write_text(SET_HOSTNAME_FILE, json.dumps({"hostname": settings.hostname, "fqdn": settings.hostname}))
    _add_admin(disk, settings.username)
    disk.write_text(WAAGENT_OVF_ENV, mask_password(media))
    boot.applied_profile = True
    boot.log.append(
        (
            STAGE_SECONDS * 3 / 4,
            f"cloud-init: provisioned host name '{settings.hostname}', user '{settings.username}'",
        )
    )
    return boot


def _without_local_stage(disk: GuestDisk) -> CloudInitBoot:
    """``cloud-init-local`` masked or disabled, ``cloud-init.service`` not: the network stage runs on its own.

    The Azure datasource is a local one (``DataSourceAzure`` depends on the
    filesystem only), so the network stage never searches it
    (``list_from_depends``, ``cloudinit/sources/__init__.py``) and goes on with
    **DataSourceNone**: instance id ``iid-datasource-none``, host name
    ``localhost``, new host keys, and the image's default user (``default_user``
    in ``/etc/cloud/cloud.cfg``) with a NOPASSWD rule. No media is read.
    """
    cached = (disk.read_text(INSTANCE_ID_FILE) or "").strip()
    if cached == NONE_INSTANCE_ID:
        return CloudInitBoot(True, False, False, log=[(STAGE_SECONDS / 4, "cloud-init: DataSourceNone, nothing new")])
    boot = CloudInitBoot(True, True, False)
    boot.log.append(
        (STAGE_SECONDS, "cloud-init: the local stage does not run, so no Azure datasource: DataSourceNone instead")
    )
    disk.write_text(INSTANCE_ID_FILE, NONE_INSTANCE_ID)
    disk.set_hostname("localhost")
    _renew_host_keys(disk, NONE_INSTANCE_ID)
    match = _DEFAULT_USER.search(disk.read_text(CLOUD_CFG) or "")
    if match is not None:
        _add_admin(disk, match.group(1))
    return boot


def _renew_host_keys(disk: GuestDisk, instance_id: str) -> None:
    # ssh_deletekeys (default on): the image's host keys are replaced on every new instance.
    for key_type in SSH_HOST_KEY_TYPES:
        disk.write_text(f"/etc/ssh/ssh_host_{key_type}_key", f"{key_type} host key of {instance_id}")


def _add_admin(disk: GuestDisk, name: str) -> None:
    """The account cloud-init's users module creates, with its rule in 90-cloud-init-users."""
    if disk.user(name) is None:
        disk.add_user(Account(name))
    rules = disk.read_text(SUDOERS_FILE) or "# Created by cloud-init\n"
    disk.write_text(SUDOERS_FILE, rules + f"\n# User rules for {name}\n{name} ALL=(ALL) NOPASSWD:ALL\n")


def _media(disk: GuestDisk, ovf_env: str | None, boot: CloudInitBoot) -> str | None:
    """The ovf-env.xml the Azure datasource finds: the seed directory first, then the DVD."""
    seeded = disk.read_text(SEED_OVF_ENV)
    if seeded is not None:
        return seeded
    if ovf_env is None:
        return None
    blocker = udf_blocked(disk)
    if blocker is not None:
        message = f"cannot mount the provisioning media: the udf module is blocked by {blocker}"
        boot.errors.append(message)
        boot.log.append((0.0, f"cloud-init: {message}"))
        return None
    return ovf_env
