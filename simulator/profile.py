"""OS profiles: the computer name, admin user and password a VM is created with.

Profiles are generated with Faker from a seed, so any run can be replayed::

    >>> profile = generate_profile(OsType.WINDOWS, seed=7)
    >>> len(profile.computer_name) <= 15
    True
    >>> str(profile.admin_password)
    '********'
"""

from __future__ import annotations

import importlib
import re
import string
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from .lazy_names import defer_package_init
from .model import OsType

if TYPE_CHECKING:  # Faker loads with the first profile, and only the part of it a profile uses (see _faker)
    from faker import Faker

#: Windows NetBIOS computer names are at most 15 characters (FACTS.md section 4).
WINDOWS_COMPUTER_NAME_MAX = 15
#: Linux host names Azure accepts are at most 64 characters.
LINUX_HOSTNAME_MAX = 64
#: User names Azure refuses for the admin account (a subset of its documented list).
RESERVED_USER_NAMES = frozenset(
    {
        "administrator",
        "admin",
        "user",
        "user1",
        "test",
        "user2",
        "test1",
        "user3",
        "admin1",
        "1",
        "123",
        "a",
        "actuser",
        "adm",
        "admin2",
        "aspnet",
        "backup",
        "console",
        "david",
        "guest",
        "john",
        "owner",
        "root",
        "server",
        "sql",
        "support",
        "support_388945a0",
        "sys",
        "test2",
        "test3",
        "user4",
        "user5",
    }
)


class Secret:
    """A password that never prints in clear: ``str``, ``repr`` and f-strings mask it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The clear text, for the one place that must write it (the provisioning media)."""
        return self._value

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "Secret('********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class OsProfile:
    """What the platform asks a new VM to become (``osProfile`` in an ARM template)."""

    computer_name: str
    admin_username: str
    admin_password: Secret


def meets_azure_complexity(password: str) -> bool:
    """Azure's rule: 12 to 123 characters with three of lower, upper, digit, special."""
    if not 12 <= len(password) <= 123:
        return False
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in string.punctuation for c in password),
    ]
    return sum(classes) >= 3


#: The Faker providers a profile's values come from: ``word`` (lorem), ``user_name`` (internet, made of
#: person's names), ``password`` (misc). All in en_US, the locale of ``Faker()``.
PROFILE_PROVIDERS = ("internet", "lorem", "misc", "person")

_FAKERS: list[Faker] = []


def _faker() -> Faker:
    """Faker's generator with the providers of a profile, made as ``Faker()`` makes its own.

    ``Faker()`` imports and lists every provider and locale Faker has (60-90 ms,
    more than the rest of a check); a profile uses four of them. The generator
    is Faker's own and the providers are added as its ``Factory`` adds them
    (weighted choices), so a seed gives the same profile as it does with
    ``Faker()`` (``tests/test_profile.py`` compares the two).

    One instance, reseeded per profile: seeding replaces the generator's random state, so reuse changes nothing.
    """
    if not _FAKERS:
        defer_package_init("faker")  # its __init__ is the costly part: Faker()'s proxy imports every provider
        from faker.generator import Generator

        config: dict[str, Any] = {"locale": "en_US", "use_weighting": True}  # Factory.create's, for Faker()
        generator = Generator(**config)
        for name in PROFILE_PROVIDERS:
            provider = importlib.import_module(f"faker.providers.{name}.en_US").Provider(generator)
            provider.__use_weighting__ = True
            generator.add_provider(provider)
        # Typed as Faker: Faker's type hints are on its proxy, which hands every call to a generator like this one.
        _FAKERS.append(cast("Faker", generator))
    return _FAKERS[0]


@cache
def generate_profile(os_type: OsType, seed: int, role: str = "vm") -> OsProfile:
    """A valid OS profile for ``os_type``, the same for the same seed and role.

    Cached: the profile is a pure function of its arguments (Faker is seeded from
    them) and immutable, and a check of many templates asks for the same few
    (a quarter of the time of a 1000-template file went to making them again).
    """
    return profile_from(_faker(), os_type, seed, role)


def profile_from(fake: Faker, os_type: OsType, seed: int, role: str) -> OsProfile:
    """The profile that Faker's ``fake`` (seeded here from the arguments) draws: what :func:`generate_profile` gives."""
    fake.seed_instance(f"{seed}:{os_type.value}:{role}")
    limit = WINDOWS_COMPUTER_NAME_MAX if os_type is OsType.WINDOWS else LINUX_HOSTNAME_MAX
    word = re.sub(r"[^a-z0-9]", "", fake.word().lower()) or "vm"
    name = f"{role}-{word}-{fake.random_int(100, 999)}"[:limit].rstrip("-")
    user = re.sub(r"[^a-z0-9]", "", fake.user_name().lower())[:20] or "azureuser"
    if user in RESERVED_USER_NAMES or not user[0].isalpha():
        user = f"u{user}"
    password = fake.password(length=16, special_chars=True, digits=True, upper_case=True, lower_case=True)
    return OsProfile(name, user, Secret(password))
