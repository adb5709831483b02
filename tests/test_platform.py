"""VM creation on the platform: the OS profile, the clock and the checks."""

import pytest
from provsim import (
    AllottedTime,
    Cell,
    ErrorCode,
    OsState,
    OsType,
    Platform,
    Stage,
    Status,
    all_cells,
    create_build_vm,
    generate_profile,
    platform_image,
    read_os_state,
    simulate,
)
from provsim.media import build_ovf_env


def test_a_platform_image_provisions_a_specialized_build_vm() -> None:
    vm = create_build_vm(Platform(), OsType.LINUX, seed=1)
    assert read_os_state(vm.disk, OsType.LINUX).os_state is OsState.SPECIALIZED
    assert vm.profile is not None and vm.disk.user(vm.profile.admin_username) is not None


def test_media_only_for_generalized_registrations(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []
    from provsim.guest import linux

    original = linux.LinuxAgent.boot

    def spy(self: linux.LinuxAgent, disk, instance_id: str, ovf_env: str | None):  # type: ignore[no-untyped-def]
        seen.append(ovf_env)
        return original(self, disk, instance_id, ovf_env)

    monkeypatch.setattr(linux.LinuxAgent, "boot", spy)
    image = platform_image(OsType.LINUX)
    Platform().create_vm(image, generate_profile(OsType.LINUX, 1))
    image.registered_as = OsState.SPECIALIZED
    Platform().create_vm(image, generate_profile(OsType.LINUX, 1))
    assert seen[0] == build_ovf_env(OsType.LINUX, generate_profile(OsType.LINUX, 1))
    assert seen[1] is None


def test_the_allotted_time_is_a_parameter() -> None:
    cell = Cell(OsType.LINUX, OsState.GENERALIZED, Stage.UPLOAD, OsState.SPECIALIZED)
    assert simulate(cell).duration == 20 * 60
    assert simulate(cell, allotted=AllottedTime(linux=8 * 60)).duration == 8 * 60


def test_instance_ids_are_fresh_and_reproducible() -> None:
    a, b = Platform(seed=1), Platform(seed=1)
    assert a.new_instance_id() == b.new_instance_id()
    assert a.new_instance_id() != a.new_instance_id()


def test_instance_ids_are_written_as_uuid_writes_a_version_4_uuid() -> None:
    """provsim formats the ids itself (uuid imports the platform module); the text is uuid.UUID's, bit for bit."""
    import random
    import uuid

    from provsim.platform import _instance_id, _uuid4_text

    draws = random.Random(15)
    edges = [0, (1 << 128) - 1, 0xC000 << 48, 0xF000 << 64, 1, 1 << 127]
    for bits in edges + [draws.getrandbits(128) for _ in range(2000)]:
        assert _uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))
    for seed, created in ((0, 1), (7, 3), (2**40, 99)):
        bits = random.Random(f"{seed}:instance:{created}").getrandbits(128)
        assert _instance_id(seed, created) == str(uuid.UUID(int=bits, version=4))


@pytest.mark.parametrize("cell", all_cells(), ids=lambda c: "-".join(v.value for v in vars(c).values()))
def test_every_cell_outcome_is_consistent(cell: Cell) -> None:
    """Not the oracle (that is the features): internal consistency of any outcome."""
    outcome = simulate(cell, seed=11)
    assert (outcome.error_code is None) == (outcome.status is Status.SUCCEEDED)
    assert (outcome.resolution is None) == (outcome.status is Status.SUCCEEDED)
    if outcome.status is Status.PROVISIONING_TIMEOUT:
        assert outcome.error_code is ErrorCode.OS_PROVISIONING_TIMED_OUT
        assert outcome.duration == AllottedTime().for_os(cell.os_type)
    assert outcome.timeline.events == sorted(outcome.timeline.events, key=lambda e: e.at)
    assert (outcome.source_vm is not None) == (cell.stage is Stage.CAPTURE)


def test_the_password_never_reaches_the_timeline() -> None:
    for cell in all_cells():
        outcome = simulate(cell, seed=5)
        password = generate_profile(cell.os_type, 5, role="vm").admin_password.reveal()
        assert all(password not in event.text for event in outcome.timeline.events)
