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
    """provsim builds Faker's generator with what a profile draws from only; a seed draws what ``Faker()`` draws."""
    from faker import Faker
    from provsim.profile import profile_from

    fake = Faker()
    for seed in range(300):
        for role in ("vm", "build", "onprem"):
            assert generate_profile(os_type, seed, role) == profile_from(fake, os_type, seed, role), (seed, role)


def test_the_carried_methods_draw_what_fakers_own_draw() -> None:
    """``user_name`` and ``password`` come with provsim (profile.py ``_account_provider``): Faker's, call for call."""
    from faker import Faker
    from provsim.profile import _faker

    fake, ours = Faker(), _faker()
    for seed in range(500):
        fake.seed_instance(seed)
        ours.seed_instance(seed)
        assert [ours.user_name() for _ in range(3)] == [fake.user_name() for _ in range(3)], seed
        for length, flags in ((16, (True, True, True, True)), (8, (False, True, False, True)), (40, (True,) * 4)):
            assert ours.password(length, *flags) == fake.password(length, *flags), (seed, length, flags)


def test_a_name_that_is_not_ascii_is_transliterated_as_faker_does() -> None:
    from faker import Faker
    from provsim.profile import _faker

    internet = next(p for p in Faker().providers if hasattr(p, "user_name_formats"))
    account = next(p for p in _faker().providers if hasattr(p, "user_name_formats"))
    for name in ("Jos\u00e9.\u00d8rsted", "plain.name", "\u5f20\u4f1f"):
        assert account._to_ascii(name) == internet._to_ascii(name)
