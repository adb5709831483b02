"""Creating a VM from a registered container image: the platform, the agent, a real clock.

The conversation is :meth:`provsim.platform.Platform.create_vm`, the very
code of the simulated default; only the disk differs. The platform:

1. starts a container from the registered image (a fresh instance id comes
   from the platform);
2. for a *generalized* registration only, mounts provisioning media built
   from a Faker OS profile read-only at :data:`MEDIA_PATH` (the file is
   written with mode 0600 on the host and deleted as soon as the agent has
   read it, its folder with the run; the password is never logged);
3. lets the Linux guest agent decide from the container's disk;
4. waits at most :attr:`RealBudget.seconds` of real time for the ready report
   (the ``provisioned`` marker holding this VM's instance id), the budget
   standing for the allotted provisioning time;
5. checks with testinfra the host name, the user and the marker.

An image with cloud-init on it (Ubuntu, RHEL 8+, Debian 11+ on Azure, and
provsim's cloud-init base image) boots with the **real cloud-init** as the
guest's cloud-init (:class:`provsim.containers.cloud_init.RealCloudInit`,
handed to :class:`provsim.guest.linux.LinuxAgent`): its container gets the
VM's SMBIOS tables, and the media goes to cloud-init's seed directory instead
of :data:`MEDIA_PATH`, from the moment the platform attaches it until
``cloud-init init --local`` has read it. waagent's decision stays the model's.
An image without cloud-init boots exactly as before.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProvsimError
from ..guest import agent_config
from ..guest.cloud_init import CLOUD_CFG, INSTANCE_ID_FILE, SEED_OVF_ENV, SSH_HOST_KEY_TYPES, SUDOERS_FILE
from ..guest.linux import PROVISIONED_MARKER, SAVED_OVF_ENV, SSH_HOST_KEYS, LinuxAgent
from ..media import build_ovf_env
from ..model import OsState, OsType, Stage
from ..outcome import Outcome, SourceVm
from ..platform import Image, Platform, VirtualMachine, VmCreation
from ..profile import OsProfile, generate_profile
from .cleanup import Run
from .cloud_init import RealCloudInit, StageTimeout, VmHardware, image_has_cloud_init
from .disk import SUDOERS
from .evidence import DiskEvidence, observe
from .machine import Machine

MEDIA_FOLDER = "/var/lib/provsim/media"
MEDIA_PATH = f"{MEDIA_FOLDER}/ovf-env.xml"

#: What the guest agents and the platform read at a first boot (:mod:`provsim.guest.linux`, ``agent_config``,
#: ``guest.cloud_init``), looked at in one exec when the first of them is read (:meth:`ContainerDisk.remembering`).
#: A path left out costs one exec more, never a different answer.
FIRST_BOOT_READS = (
    agent_config.WAAGENT_CONF,
    agent_config.CLOUD_INIT_BINARY,
    agent_config.CLOUD_INIT_DISABLED_FILE,
    *(f"/etc/systemd/system/{unit}.service" for unit in agent_config.CLOUD_INIT_UNITS),
    *(f"/etc/systemd/system/cloud-init.target.wants/{unit}.service" for unit in agent_config.CLOUD_INIT_UNITS),
    PROVISIONED_MARKER,
    SAVED_OVF_ENV,
    INSTANCE_ID_FILE,
    CLOUD_CFG,
    SUDOERS_FILE,
    *(f"/etc/ssh/ssh_host_{key_type}_key" for key_type in SSH_HOST_KEY_TYPES),
    "/etc/hostname",
    "/etc/passwd",
    SUDOERS,
)
FIRST_BOOT_GLOBS = (f"{agent_config.MODPROBE_FOLDER}/*.conf", SSH_HOST_KEYS)


@dataclass(frozen=True)
class RealBudget:
    """Real seconds the platform waits for a ready report; it stands for the allotted time."""

    seconds: float = 2.0


DEFAULT_BUDGET = RealBudget()


@dataclass(frozen=True)
class ContainerImage:
    """A registered image held by the engine: its tag, and the OS state it is labelled with."""

    tag: str
    os_type: OsType
    registered_as: OsState
    stage: Stage | None

    def as_platform_image(self) -> Image:
        # The platform reads only the label, name and stage: the disk is the booted container's.
        return Image(self.tag, self.os_type, None, self.registered_as, self.stage)


@dataclass
class Boot:
    """A VM created in a container: the outcome, the VM, the machine and what testinfra saw."""

    outcome: Outcome
    vm: VirtualMachine
    machine: Machine
    evidence: DiskEvidence
    checks: dict[str, bool] = field(default_factory=dict)
    cloud_init: RealCloudInit | None = None
    """The real cloud-init's run (stages, seconds, status), on an image that has it."""


@dataclass
class CreatedVm:
    """A registered image and the VM created from it, with the source VM a capture left behind."""

    image: ContainerImage
    source_vm: SourceVm | None
    creation: Boot

    @property
    def registered_as(self) -> OsState:
        return self.image.registered_as

    @property
    def outcome(self) -> Outcome:
        return self.creation.outcome


def create_vm(
    run: Run,
    platform: Platform,
    image: ContainerImage,
    seed: int,
    *,
    source_vm: SourceVm | None = None,
    budget: RealBudget | None = None,
) -> Boot:
    """Create a VM from ``image`` as a user would: with a fresh Faker OS profile of ``seed``."""
    profile = generate_profile(image.os_type, seed, role="vm")
    return boot(run, platform, image, profile, source_vm=source_vm, budget=budget)


def boot(
    run: Run,
    platform: Platform,
    image: ContainerImage,
    profile: OsProfile,
    *,
    role: str = "vm",
    source_vm: SourceVm | None = None,
    budget: RealBudget | None = None,
    stage_timeout: StageTimeout | None = None,
) -> Boot:
    """Create a VM from ``image`` with ``profile`` and return what happened."""
    if image.os_type is not OsType.LINUX:
        raise ProvsimError("the Docker backend boots Linux images only; use the default backend for Windows")
    if image_has_cloud_init(run, image.tag):
        return _boot_with_cloud_init(run, platform, image, profile, role, source_vm, budget, stage_timeout)
    volumes: dict[str, dict[str, str]] = {}
    media: str | None = None
    media_file: Path | None = None
    try:
        if image.registered_as is OsState.GENERALIZED:
            media = build_ovf_env(image.os_type, profile)
            media_file = run.host_folder("media") / "ovf-env.xml"
            # Created 0600 before the password is written: it is never readable by others, even for an instant.
            media_file.touch(mode=0o600)
            media_file.write_text(media)
            volumes[str(media_file.parent)] = {"bind": MEDIA_FOLDER, "mode": "ro"}
        machine = run.machine(image.tag, role, volumes)
        with first_boot(machine):
            # The media is a host folder's, never remembered; this first look also reads ahead for the agents.
            if machine.disk.read_text(MEDIA_PATH) != media:
                raise ProvsimError(
                    f"the provisioning media in container {machine.container.short_id} is not the OS profile's"
                )
            creation = platform.create_vm(image.as_platform_image(), profile, disk=machine.disk, source_vm=source_vm)
    finally:
        # The agent has read the media (or never will): the OS profile's password leaves the host's disk now;
        # the empty folder goes with the run's containers.
        if media_file is not None:
            media_file.unlink(missing_ok=True)
    return _observed(machine, creation, profile, budget, MEDIA_PATH if media is not None else None)


def _boot_with_cloud_init(
    run: Run,
    platform: Platform,
    image: ContainerImage,
    profile: OsProfile,
    role: str,
    source_vm: SourceVm | None,
    budget: RealBudget | None,
    stage_timeout: StageTimeout | None,
) -> Boot:
    """The same creation on an image with cloud-init: the real one runs, then waagent's modelled decision."""
    hardware = VmHardware.for_run(run)
    try:
        machine = run.machine(image.tag, role, hardware.volumes())
        cloud_init = RealCloudInit(machine, hardware, stage_timeout or StageTimeout())
        with first_boot(machine):
            creation = platform.create_vm(
                image.as_platform_image(),
                profile,
                disk=machine.disk,
                source_vm=source_vm,
                agent=LinuxAgent(cloud_init=cloud_init),
            )
    finally:
        hardware.eject_media()  # already done after cloud-init's local stage; here for a boot that failed before
    media = SEED_OVF_ENV if image.registered_as is OsState.GENERALIZED else None
    booted = _observed(machine, creation, profile, budget, media)
    booted.cloud_init = cloud_init
    return booted


def first_boot(machine: Machine) -> AbstractContextManager[None]:
    """The disk remembers what it read while the platform creates the VM (one exec for the agents' many reads).

    Nothing else changes the disk meanwhile: the machine was just started
    from an image and runs only its idle process; the agents' and the real
    cloud-init's commands go through the disk, which forgets on each.
    """
    return machine.disk.remembering(FIRST_BOOT_READS, FIRST_BOOT_GLOBS)


def _observed(
    machine: Machine, creation: VmCreation, profile: OsProfile, budget: RealBudget | None, media_path: str | None
) -> Boot:
    """Wait for the ready report as the platform does, then check the VM with testinfra."""
    ready = _wait_ready(machine, creation.vm.instance_id, budget or DEFAULT_BUDGET)
    if ready != (creation.outcome.status.value != "provisioning_timeout"):
        raise ProvsimError(
            f"the container disagrees with the guest agent: ready report seen={ready}, "
            f"outcome {creation.outcome.status.value}"
        )
    evidence = observe(machine.container, profile.admin_username)
    checks = {
        f"host name is '{profile.computer_name}'": evidence.hostname == profile.computer_name,
        f"user '{profile.admin_username}' exists": evidence.build_user_present,
        "marker holds this VM's instance id": evidence.marker == creation.vm.instance_id,
        "provisioning media mounted read-only": media_path is not None
        and machine.disk.run(f"touch {media_path}")[0] != 0,
    }
    return Boot(creation.outcome, creation.vm, machine, evidence, checks)


def _wait_ready(machine: Machine, instance_id: str, budget: RealBudget) -> bool:
    """Poll for the ready report until the budget runs out (a timeout costs the whole budget, as on Azure)."""
    deadline = time.monotonic() + budget.seconds
    while True:
        marker = machine.disk.read_text(PROVISIONED_MARKER)
        if marker is not None and marker.strip() == instance_id:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
