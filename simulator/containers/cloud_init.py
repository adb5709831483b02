"""The real cloud-init at a VM container's first boot: a :class:`~provsim.guest.cloud_init.CloudInitRunner`.

:class:`RealCloudInit` is what :class:`provsim.guest.linux.LinuxAgent` calls
instead of the in-memory :func:`provsim.guest.cloud_init.run_cloud_init` when
the registered image has cloud-init (see :mod:`provsim.containers.boot`). It
does what systemd does on an Azure VM, in order:

1. the **generator** (``/lib/systemd/system-generators/cloud-init-generator``,
   with ``ds-identify``) decides whether cloud-init runs this boot: the kernel
   command line (:data:`KERNEL_CMDLINE`, an Azure image's, since the
   container's own ``/proc/cmdline`` is the host's), ``/etc/cloud/cloud-init.disabled``
   and whether a datasource is there; it leaves ``/run/cloud-init/enabled`` or
   ``disabled``;
2. the four **units**, each only when its ``cloud-init.target.wants`` link is
   there (``systemctl enable``): ``cloud-init init --local``, ``cloud-init init``,
   ``cloud-init modules --mode=config``, ``--mode=final``. On a VM their
   ``TimeoutSec=0`` lets them run for ever; here each stops after
   :attr:`StageTimeout.seconds` (the container is killed).

What cloud-init needs from the platform, :class:`VmHardware` gives it, from
the host, without any capability in the machine (bind mounts are made by the
engine when the container is created):

- **the SMBIOS tables**: ``cloudinit/dmi.py`` ``read_dmi_data`` reads
  ``/sys/class/dmi/id`` (``product_uuid`` is the instance id, ``_iid`` in
  ``cloudinit/sources/DataSourceAzure.py``; ``chassis_asset_tag`` says Azure,
  ``ChassisAssetTag`` in ``cloudinit/sources/helpers/azure.py``). A host
  folder is mounted read-only over ``/sys/class``: sysfs cannot take a mount
  point of its own below it (``/sys/class/dmi`` may not even exist on the
  host), and the host's DMI must not leak in. ``read_dmi_data`` returns
  nothing at all in a container it detects (``util.is_container``: ``systemd-detect-virt``,
  which the cloud-init image therefore does not have). The instance id is
  written when the platform names it, just before the generator runs;
- **the provisioning media**: the platform's ``ovf-env.xml`` in the seed
  directory ``/var/lib/cloud/seed/azure``, the first place the Azure datasource
  looks (``list_possible_azure_ds``; the DVD, ``/dev/sr0``, cannot be mounted
  without CAP_SYS_ADMIN). It is a host file, mode 0600, deleted as soon as
  ``init --local`` has read it (the datasource is a local one): Azure ejects
  the DVD too, so later boots find cloud-init's copy in ``/var/lib/waagent``.

:func:`read_facts` reads the provisioning facts back through the disk
interface, so the same function reads an in-memory disk (the fidelity test).
"""

from __future__ import annotations

import json
import posixpath
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..disk import GuestDisk
from ..errors import ProvsimError
from ..guest.cloud_init import INSTANCE_ID_FILE, SEED_OVF_ENV, SUDOERS_FILE, WAAGENT_OVF_ENV, CloudInitBoot
from ..guest.linux import SSH_HOST_KEYS
from .machine import Machine

SEED_FOLDER = posixpath.dirname(SEED_OVF_ENV)
#: cloud-init's ``ChassisAssetTag.AZURE_CLOUD``: what makes the Azure datasource (and ``ds-identify``) say "Azure".
AZURE_CHASSIS_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
#: The SMBIOS strings of an Azure VM (Hyper-V), by their ``/sys/class/dmi/id`` names; ``product_uuid`` is added per VM.
AZURE_DMI = {
    "chassis_asset_tag": AZURE_CHASSIS_ASSET_TAG,
    "sys_vendor": "Microsoft Corporation",
    "product_name": "Virtual Machine",
    "chassis_vendor": "Microsoft Corporation",
}
#: The kernel command line of Azure's Debian images: nothing in it switches cloud-init on or off.
KERNEL_CMDLINE = "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0"
GENERATOR = "/lib/systemd/system-generators/cloud-init-generator"
#: Where the generator's unit links go (systemd gives it /run/systemd/generator*; nothing reads them here).
GENERATOR_OUTPUT = "/run/provsim-generator"
#: Where the generator writes its verdict, and cloud-init its boot's results (a tmpfs, fresh per boot).
RUN_FOLDER = "/run/cloud-init"
RESULT_JSON = f"{RUN_FOLDER}/result.json"
INSTANCE_DATA = f"{RUN_FOLDER}/instance-data.json"
UNIT_LINKS = "/etc/systemd/system/cloud-init.target.wants"
UNIT_FOLDER = "/etc/systemd/system"
CLOUD_INIT_LOG = "/var/log/cloud-init.log"


@dataclass(frozen=True)
class Stage:
    """One of cloud-init's systemd units and the command its ``ExecStart`` runs."""

    unit: str
    command: str


#: In boot order (``After=`` in each unit file of the Debian package).
STAGES = (
    Stage("cloud-init-local.service", "cloud-init init --local"),
    Stage("cloud-init.service", "cloud-init init"),
    Stage("cloud-config.service", "cloud-init modules --mode=config"),
    Stage("cloud-final.service", "cloud-init modules --mode=final"),
)


@dataclass(frozen=True)
class StageTimeout:
    """Real seconds one stage may take before provsim kills the VM container (a first boot takes a few)."""

    seconds: float = 120.0


DEFAULT_STAGE_TIMEOUT = StageTimeout()


@dataclass(frozen=True)
class StageRun:
    """A stage that ran: its unit, its real seconds, its exit status and the tail of its output."""

    stage: Stage
    seconds: float
    exit_code: int
    output: str


@dataclass(frozen=True)
class CloudInitFacts:
    """What a cloud-init first boot leaves on a disk, as far as provisioning goes."""

    hostname: str
    user_present: bool
    sudoers_file: bool
    sudo_rule: bool
    instance_id: str | None
    waagent_ovf_env: bool
    ssh_host_keys: bool

    def comparable(self) -> dict[str, object]:
        """The facts that do not depend on which machine ran (the instance id is compared by its presence)."""
        return {
            "host name": self.hostname,
            "user present": self.user_present,
            f"{SUDOERS_FILE} present": self.sudoers_file,
            "sudo rule for the user": self.sudo_rule,
            f"{INSTANCE_ID_FILE} present": self.instance_id is not None,
            f"{WAAGENT_OVF_ENV} present": self.waagent_ovf_env,
            "SSH host keys present": self.ssh_host_keys,
        }


def read_facts(disk: GuestDisk, user: str) -> CloudInitFacts:
    """The provisioning facts of ``disk`` for the account ``user`` (any disk: in memory or in a container)."""
    rules = disk.read_text(SUDOERS_FILE)
    instance_id = disk.read_text(INSTANCE_ID_FILE)
    return CloudInitFacts(
        hostname=disk.hostname(),
        user_present=disk.user(user) is not None,
        sudoers_file=rules is not None,
        sudo_rule=rules is not None and any(line.split()[:1] == [user] for line in rules.splitlines()),
        instance_id=instance_id.strip() if instance_id is not None else None,
        waagent_ovf_env=disk.exists(WAAGENT_OVF_ENV),
        ssh_host_keys=bool(disk.glob(SSH_HOST_KEYS)),
    )


@dataclass
class VmHardware:
    """The host folders a cloud-init VM container sees as its firmware and its provisioning media drive."""

    firmware: Path
    media: Path

    @classmethod
    def for_run(cls, run: Any) -> VmHardware:
        """Folders of ``run`` (a :class:`~provsim.containers.cleanup.Run`), removed after its containers."""
        hardware = cls(run.host_folder("firmware"), run.host_folder("media"))
        dmi = hardware.firmware / "class" / "dmi" / "id"
        dmi.mkdir(parents=True)
        for name, value in AZURE_DMI.items():
            (dmi / name).write_text(value + "\n")
        return hardware

    def volumes(self) -> dict[str, dict[str, str]]:
        """The machine's bind mounts: read-only, so nothing in the VM can change its firmware or its media."""
        return {
            str(self.firmware / "class"): {"bind": "/sys/class", "mode": "ro"},
            str(self.media): {"bind": SEED_FOLDER, "mode": "ro"},
        }

    def set_instance_id(self, instance_id: str) -> None:
        # Root-only, as the kernel has it (/sys/class/dmi/id/product_uuid is 0400).
        path = self.firmware / "class" / "dmi" / "id" / "product_uuid"
        path.touch(mode=0o400)
        path.write_text(instance_id + "\n")

    def insert_media(self, ovf_env: str) -> None:
        path = self.media / "ovf-env.xml"
        # Created 0600 before the password is written: it is never readable by others, even for an instant.
        path.touch(mode=0o600)
        path.write_text(ovf_env)

    def eject_media(self) -> None:
        (self.media / "ovf-env.xml").unlink(missing_ok=True)


@dataclass
class RealCloudInit:
    """Runs the real cloud-init in ``machine`` for a VM's first boot (a ``CloudInitRunner``).

    ``stages`` keeps what ran, with the seconds each took, ``status`` the text
    of ``cloud-init status --long``, for reports and benchmarks.
    """

    machine: Machine
    hardware: VmHardware
    timeout: StageTimeout = DEFAULT_STAGE_TIMEOUT
    stages: list[StageRun] = field(default_factory=list)
    status: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    """Real seconds of the steps around the stages: ``generator`` and ``read back`` (status, result.json)."""

    def __call__(self, disk: GuestDisk, instance_id: str, ovf_env: str | None) -> CloudInitBoot:
        if disk is not self.machine.disk:
            raise ValueError("RealCloudInit boots its own machine's disk only")
        container = self.machine.disk
        self.hardware.set_instance_id(instance_id)
        try:
            if ovf_env is not None:
                self.hardware.insert_media(ovf_env)
                if container.read_text(SEED_OVF_ENV) != ovf_env:
                    raise ProvsimError(
                        f"the provisioning media in container {self.machine.container.short_id} is not the OS profile's"
                    )
            cached = _strip(container.read_text(INSTANCE_ID_FILE))
            started = time.monotonic()
            verdict = self._generator()
            self.seconds["generator"] = time.monotonic() - started
            if verdict is not None:
                return CloudInitBoot(False, False, False, log=[(0.0, f"cloud-init does not run: {verdict}")])
            boot = CloudInitBoot(True, False, False)
            for stage in STAGES:
                if not self._enabled(stage):
                    boot.log.append((0.0, f"cloud-init: {stage.unit} is not enabled: '{stage.command}' does not run"))
                    continue
                ran = self._run(stage)
                boot.log.append((ran.seconds, f"cloud-init: '{stage.command}' exited {ran.exit_code}"))
                if stage is STAGES[0]:
                    # The Azure datasource is a local one: the media has been read (or never will be).
                    self.hardware.eject_media()
        finally:
            self.hardware.eject_media()
        if not self.stages:
            boot.ran = False
            return boot
        started = time.monotonic()
        try:
            return self._read_back(boot, cached, instance_id)
        finally:
            self.seconds["read back"] = time.monotonic() - started

    # -- the boot -------------------------------------------------------------------------------------
    def _generator(self) -> str | None:
        """Run the systemd generator as systemd does at boot; None when it enables cloud-init, else why not."""
        disk = self.machine.disk
        folders = " ".join(f"{GENERATOR_OUTPUT}/{kind}" for kind in ("normal", "early", "late"))
        status, output = disk.run(
            f"KERNEL_CMDLINE={shlex.quote(KERNEL_CMDLINE)} {GENERATOR} {folders}", timeout=self.timeout.seconds
        )
        if status != 0:
            return f"its systemd generator failed ({status}): {output.strip()[-200:]}"
        if disk.exists(f"{RUN_FOLDER}/enabled"):
            return None
        log = disk.read_text(f"{RUN_FOLDER}/cloud-init-generator.log") or ""
        reasons = [line for line in log.splitlines() if " found disabled" in line or "no datasource" in line]
        return "its systemd generator disabled it" + (f" ({reasons[0]})" if reasons else "")

    def _enabled(self, stage: Stage) -> bool:
        """``systemctl is-enabled``: the unit's ``.wants`` link, and no mask (a link to /dev/null) over it."""
        disk = self.machine.disk
        link = shlex.quote(f"{UNIT_LINKS}/{stage.unit}")
        mask = shlex.quote(f"{UNIT_FOLDER}/{stage.unit}")
        status, _ = disk.run(f'test -L {link} && ! [ "$(readlink {mask})" = /dev/null ]')
        return status == 0

    def _run(self, stage: Stage) -> StageRun:
        started = time.monotonic()
        try:
            status, output = self.machine.disk.run(stage.command, timeout=self.timeout.seconds)
        except ProvsimError as error:
            raise ProvsimError(
                f"cloud-init's '{stage.command}' ({stage.unit}) in container {self.machine.container.short_id}: "
                f"{error.message}"
            ) from None
        ran = StageRun(stage, time.monotonic() - started, status, output[-4000:])
        self.stages.append(ran)
        return ran

    # -- what it did ----------------------------------------------------------------------------------
    def _read_back(self, boot: CloudInitBoot, cached: str | None, instance_id: str) -> CloudInitBoot:
        disk = self.machine.disk
        settled = _strip(disk.read_text(INSTANCE_ID_FILE))
        boot.new_instance = settled is not None and settled != cached
        if settled is None:
            boot.log.append((0.0, "cloud-init settled on no instance id (no datasource)"))
        elif boot.new_instance:
            previous = f" (the disk was last booted as {cached})" if cached else ""
            boot.log.append((0.0, f"cloud-init: new instance {settled}{previous}"))
        else:
            boot.log.append((0.0, f"cloud-init: instance {settled} seen before, nothing new"))
        if settled is not None and settled != instance_id:
            # DataSourceNone's fixed id: the Azure datasource found neither media nor IMDS, and ds-identify's
            # datasource_list ([ Azure, None ]) let cloud-init go on with the image's defaults.
            boot.log.append((0.0, f"cloud-init settled on instance id {settled}, not the VM's {instance_id}"))
        source = _subplatform(disk.read_text(INSTANCE_DATA))
        boot.applied_profile = boot.new_instance and source.endswith(f"({SEED_FOLDER})")
        if boot.applied_profile:
            boot.log.append((0.0, "cloud-init: provisioned from the provisioning media's ovf-env.xml"))
        elif boot.new_instance and source.endswith(f"({posixpath.dirname(WAAGENT_OVF_ENV)})"):
            boot.log.append(
                (0.0, f"cloud-init: no provisioning media; applied its own copy {WAAGENT_OVF_ENV} again (same profile)")
            )
        boot.errors.extend(_result_errors(disk.read_text(RESULT_JSON)))
        if not boot.errors:
            # A stage can die before it records anything (a broken datasource module, a killed process).
            boot.errors.extend(f"'{r.stage.command}' exited {r.exit_code}" for r in self.stages if r.exit_code != 0)
        _, self.status = disk.run("cloud-init status --long", timeout=self.timeout.seconds)
        for error in boot.errors:
            boot.log.append((0.0, f"cloud-init error: {error}"))
        return boot


def forget_boot(machine: Machine) -> None:
    """What a reboot does to cloud-init's state: ``/run`` is a tmpfs, empty at every boot; ``/var/lib/cloud`` stays."""
    machine.disk.must(f"rm -rf {RUN_FOLDER} {GENERATOR_OUTPUT}")


def _strip(text: str | None) -> str | None:
    return text.strip() if text is not None and text.strip() else None


def _subplatform(instance_data: str | None) -> str:
    """Where the datasource found its data this boot, e.g. ``seed-dir (/var/lib/cloud/seed/azure)``."""
    try:
        return str(json.loads(instance_data or "{}").get("v1", {}).get("subplatform", ""))
    except (ValueError, AttributeError):
        return ""


def _result_errors(result: str | None) -> list[str]:
    """The errors of ``/run/cloud-init/result.json`` (what ``cloud-init status --long`` shows as detail)."""
    if result is None:
        return []
    try:
        errors = json.loads(result).get("v1", {}).get("errors", [])
    except (ValueError, AttributeError):
        return [f"{RESULT_JSON} is not JSON"]
    return [str(error) for error in errors] if isinstance(errors, list) else []


def image_has_cloud_init(run: Any, image: str) -> bool:
    """Whether ``image`` holds cloud-init (``/usr/bin/cloud-init``), looked at without running anything.

    A VM's mounts are fixed when its container is created, so this is asked
    first: a container is created (never started) and the file asked for.
    """
    import docker

    from ..guest.agent_config import CLOUD_INIT_BINARY
    from .engine import labels

    try:
        content = str(run.client.images.get(image).id)
    except docker.errors.ImageNotFound:
        return False  # the machine's own start names the engine-side cause
    if content in _PROBED:
        return _PROBED[content]
    probe = run.client.containers.create(
        image, ["/bin/true"], network_mode="none", labels=labels(run.run_id, **{"provsim.role": "probe"})
    )
    try:
        chunks, _ = probe.get_archive(CLOUD_INIT_BINARY)
        for _ in chunks:  # a small script: read to the end so the connection is released
            pass
        found = True
    except docker.errors.NotFound:
        found = False
    finally:
        probe.remove(force=True)
    _PROBED[content] = found
    return found


#: Answers by image id: an image's content never changes, and the base images are booted again and again.
_PROBED: dict[str, bool] = {}
