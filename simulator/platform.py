"""The platform's side of VM creation: OS profile, provisioning media, ready report, clock.

Creating a VM is a conversation on a clock:

1. the platform copies the image's disk into the new VM's OS disk;
2. only for an image registered as *generalized* does it attach provisioning
   media carrying the OS profile; a specialized image boots as it is;
3. the guest agent boots the disk and decides, from the disk and the media,
   whether to provision and whether to report ready;
4. the platform waits at most the allotted time for the ready report
   (``OSProvisioningTimedOut``), and checks that a VM it sent an OS profile to
   came up with that profile (``OSProvisioningClientError`` if not).

The clock is virtual, so a 40-minute wait costs nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

from .clock import VirtualClock
from .diagnosis import AgentReportedFailure, NoReadyReport, ProfileNotApplied, Symptom, reason_for, resolution_for
from .disk import GuestDisk, MemoryDisk
from .guest import Boot, GuestAgent, agent_for
from .media import build_ovf_env
from .model import ErrorCode, OsState, OsType, Stage, Status, Timeline
from .outcome import Outcome, SourceVm
from .profile import OsProfile


@dataclass(frozen=True)
class AllottedTime:
    """How long the platform waits for a ready report, in seconds, per OS type.

    There is no one official pair (FACTS.md section 2): Microsoft's scale-set
    "resilient create" page says 20 minutes for Windows and 8 for Linux, while
    single VMs are reported to give up after about 20 minutes (Linux) and 40
    (Windows). provsim models single VMs, so it defaults to the field reports.
    """

    linux: float = 20 * 60
    windows: float = 40 * 60

    def for_os(self, os_type: OsType) -> float:
        return self.windows if os_type is OsType.WINDOWS else self.linux


@dataclass
class Image:
    """A registered image: a copy of a disk and the OS state it is *labelled* with.

    ``disk`` is None when the disk lives elsewhere (a container image): the
    VM's disk is then handed to :meth:`Platform.create_vm` directly.
    """

    name: str
    os_type: OsType
    disk: MemoryDisk | None
    registered_as: OsState
    stage: Stage | None = None


@dataclass
class VirtualMachine:
    """A VM on the platform with its OS disk and the OS profile it was created with."""

    name: str
    os_type: OsType
    disk: GuestDisk
    instance_id: str
    profile: OsProfile | None
    marked_generalized: bool = False


@dataclass
class VmCreation:
    """A VM creation's outcome and the VM it left (usable or not)."""

    outcome: Outcome
    vm: VirtualMachine


@dataclass
class Platform:
    """Azure's compute platform, as far as VM creation from an image goes."""

    allotted: AllottedTime = field(default_factory=AllottedTime)
    seed: int = 0
    _created: int = 0

    def new_instance_id(self) -> str:
        """A fresh SMBIOS system UUID, reproducible from the platform's seed."""
        self._created += 1
        return _instance_id(self.seed, self._created)

    def create_vm(
        self,
        image: Image,
        profile: OsProfile,
        *,
        disk: GuestDisk | None = None,
        source_vm: SourceVm | None = None,
        agent: GuestAgent | None = None,
    ) -> VmCreation:
        """Create a VM from ``image``, asking for ``profile``; returns the outcome and the VM.

        ``disk`` replaces the in-memory copy of the image's disk (the container
        backend passes the booted container's disk); ``source_vm`` is carried
        into the outcome for capture-stage images; ``agent`` replaces the OS
        type's modelled guest agent (the container backend passes one that runs
        the real cloud-init).
        """
        clock = VirtualClock()
        timeline = Timeline()
        os_disk: GuestDisk
        if disk is not None:
            os_disk = disk
        elif image.disk is not None:
            os_disk = image.disk.clone()
        else:
            raise ValueError(f"image '{image.name}' holds no disk: pass the booted VM's disk")
        instance_id = self.new_instance_id()
        timeline.add(
            clock.now,
            "platform",
            f"creating VM '{profile.computer_name}' from image '{image.name}' "
            f"registered as {image.registered_as.value}",
        )
        ovf_env: str | None = None
        if image.registered_as is OsState.GENERALIZED:
            ovf_env = build_ovf_env(image.os_type, profile)
            timeline.add(
                clock.now,
                "platform",
                f"attached provisioning media with the OS profile (computer name "
                f"'{profile.computer_name}', user '{profile.admin_username}', password {profile.admin_password})",
            )
        else:
            timeline.add(
                clock.now, "platform", "no OS profile and no provisioning media: a specialized image boots as it is"
            )
        agent = agent or agent_for(image.os_type)
        boot = agent.boot(os_disk, instance_id, ovf_env)
        allotted = self.allotted.for_os(image.os_type)
        for seconds, text in boot.log:
            if clock.now + seconds > allotted:
                # The platform stops listening at the deadline: what the guest does later (a ready report after
                # a 30-minute wait, say) is never heard.
                boot = Boot(ready=False, failure=None, log=[(0.0, text)])
                timeline.add(clock.now, "guest", f"{text} (still waiting when the platform gave up)")
                break
            clock.advance(seconds)
            timeline.add(clock.now, "guest", text)
        vm = VirtualMachine(
            profile.computer_name, image.os_type, os_disk, instance_id, profile if ovf_env is not None else None
        )
        symptom = self._observe(image, profile, boot, os_disk, clock, timeline)
        if symptom is None:
            outcome = Outcome(
                image.os_type,
                image.stage,
                image.registered_as,
                Status.SUCCEEDED,
                None,
                _success_reason(image, os_disk, boot, profile),
                None,
                clock.now,
                timeline,
                source_vm,
            )
        else:
            failed = not isinstance(symptom, NoReadyReport)
            outcome = Outcome(
                image.os_type,
                image.stage,
                image.registered_as,
                Status.PROVISIONING_FAILURE if failed else Status.PROVISIONING_TIMEOUT,
                ErrorCode.OS_PROVISIONING_CLIENT_ERROR if failed else ErrorCode.OS_PROVISIONING_TIMED_OUT,
                reason_for(symptom) + _source_vm_sentence(source_vm),
                resolution_for(symptom, image.stage, image.os_type),
                clock.now,
                timeline,
                source_vm,
            )
        return VmCreation(outcome, vm)

    def _observe(
        self,
        image: Image,
        profile: OsProfile,
        boot: Boot,
        disk: GuestDisk,
        clock: VirtualClock,
        timeline: Timeline,
    ) -> Symptom | None:
        allotted = self.allotted.for_os(image.os_type)
        last_word = boot.log[-1][1] if boot.log else ""
        if boot.failure is not None and clock.now < allotted:
            timeline.add(
                clock.now,
                "platform",
                f"the guest reported ProvisioningFailed: {ErrorCode.OS_PROVISIONING_CLIENT_ERROR.value}",
            )
            return AgentReportedFailure(boot.failure)
        if not boot.ready:
            clock.advance(max(0.0, allotted - clock.now))
            timeline.add(
                clock.now,
                "platform",
                f"no ready report within the allotted {allotted / 60:g} minutes: "
                f"{ErrorCode.OS_PROVISIONING_TIMED_OUT.value}",
            )
            return NoReadyReport(image.registered_as is OsState.GENERALIZED, last_word, allotted / 60)
        timeline.add(clock.now, "platform", "ready report received")
        if image.registered_as is OsState.SPECIALIZED:
            return None
        users = tuple(account.name for account in disk.users())
        if disk.hostname() == profile.computer_name and profile.admin_username in users:
            timeline.add(clock.now, "platform", "the VM runs with the OS profile it was given")
            return None
        timeline.add(
            clock.now,
            "platform",
            f"the VM runs as '{disk.hostname()}', not as the OS profile's "
            f"'{profile.computer_name}': {ErrorCode.OS_PROVISIONING_CLIENT_ERROR.value}",
        )
        said = " ".join(text for _, text in boot.log)
        return ProfileNotApplied(profile.computer_name, profile.admin_username, disk.hostname(), users, said)


# Every build's platform counts its VMs from 1 with the same seed, so the ids repeat from build to build; seeding
# a Random from a string (SHA-512 and Mersenne Twister setup) was a tenth of a build.
@lru_cache(maxsize=1024)
def _instance_id(seed: int, created: int) -> str:
    bits = random.Random(f"{seed}:instance:{created}").getrandbits(128)
    return _uuid4_text(bits)


def _uuid4_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))``, without :mod:`uuid`: it imports :mod:`platform` (3 ms a start).

    The variant (RFC 4122) and version bits are set as ``uuid.UUID`` sets them
    (``tests/test_platform.py`` compares the two).
    """
    bits = (bits & ~(0xC000 << 48)) | 0x8000 << 48
    bits = (bits & ~(0xF000 << 64)) | 4 << 76
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


#: What a VM created from a never-deprovisioned image inherits (the rest of the residue is renewed per instance).
_INHERITED = ("hygiene.leftover-user", "hygiene.sudoers-residue", "hygiene.bash-history")


def _success_reason(image: Image, disk: GuestDisk, boot: Boot, profile: OsProfile) -> str:
    copied = any("unique identifier has changed" in text for _, text in boot.log)
    if image.registered_as is OsState.GENERALIZED and copied:
        from .hygiene import inspect_image

        residue = [r.message for r in inspect_image(disk, keep_users=[profile.admin_username]) if r.id in _INHERITED]
        inherited = "; ".join(residue) if residue else "none that provsim reads"
        return (
            "The image was registered as generalized but the OS on it was never deprovisioned (waagent: the VM "
            "unique identifier has changed); cloud-init saw a new instance and applied the OS profile, so the VM "
            f"provisioned. It inherits the source VM's residue: {inherited}."
        )
    if image.registered_as is OsState.GENERALIZED:
        return (
            "The image was registered as generalized and the OS on it is generalized: the guest applied "
            "the OS profile from the provisioning media and reported ready."
        )
    return (
        f"The image was registered as specialized and the OS on it is specialized: it booted as "
        f"'{disk.hostname()}' with its own accounts and reported ready."
    )


def _source_vm_sentence(source_vm: SourceVm | None) -> str:
    if source_vm is None or source_vm.usable:
        return ""
    return f" The original VM is not usable either: {source_vm.reason}"
