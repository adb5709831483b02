import pytest
from provsim import OsType, generate_profile
from provsim.profile import RESERVED_USER_NAMES, Secret, meets_azure_complexity


@pytest.mark.parametrize("seed", range(200))
def test_windows_profiles_are_valid(seed: int) -> None:
    profile = generate_profile(OsType.WINDOWS, seed)
    assert 1 <= len(profile.computer_name) <= 15
    assert profile.admin_username not in RESERVED_USER_NAMES
    assert meets_azure_complexity(profile.admin_password.reveal())


def test_profiles_replay_from_their_seed() -> None:
    assert generate_profile(OsType.LINUX, 42) == generate_profile(OsType.LINUX, 42)
    assert generate_profile(OsType.LINUX, 42) != generate_profile(OsType.LINUX, 43)


def test_passwords_never_print_in_clear() -> None:
    profile = generate_profile(OsType.LINUX, 1)
    clear = profile.admin_password.reveal()
    for shown in (str(profile), repr(profile), f"{profile.admin_password}", str([profile.admin_password])):
        assert clear not in shown


def test_complexity_rule() -> None:
    assert not meets_azure_complexity("short1A!")
    assert not meets_azure_complexity("alllowercaseletters")
    assert meets_azure_complexity("Lower-and-UPPER")
    assert Secret("x") == Secret("x")


@pytest.mark.parametrize("os_type", list(OsType))
def test_profiles_are_those_faker_gives(os_type: OsType) -> None:
    """provsim builds Faker's generator with a profile's four providers only; a seed draws what ``Faker()`` draws."""
    from faker import Faker
    from provsim.profile import profile_from

    fake = Faker()
    for seed in range(300):
        for role in ("vm", "build", "onprem"):
            assert generate_profile(os_type, seed, role) == profile_from(fake, os_type, seed, role), (seed, role)
