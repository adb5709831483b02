"""OS profiles: the computer name, admin user and password a VM is created with.

Profiles are generated with Faker from a seed, so any run can be replayed::

    >>> profile = generate_profile(OsType.WINDOWS, seed=7)
    >>> len(profile.computer_name) <= 15
    True
    >>> str(profile.admin_password)
    '********'
"""

from __future__ import annotations

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


#: Where a profile's values come from in Faker (en_US, the locale of ``Faker()``): ``word`` from the lorem
#: provider, ``user_name`` from internet's (made of person's names), ``password`` from misc's. provsim loads
#: lorem's and person's as they are, and carries internet's and misc's one method each (see _AccountProvider).
PROFILE_PROVIDERS = ("internet", "lorem", "misc", "person")

_FAKERS: list[Faker] = []


def _faker() -> Faker:
    """Faker's generator with what a profile draws from, made as ``Faker()`` makes its own.

    ``Faker()`` imports and lists every provider and locale Faker has (60-90 ms,
    more than the rest of a check). A profile draws from four providers, and
    two of them are costly for one method each: internet's module loads Faker's
    transliteration table and :mod:`ipaddress` for ``user_name``, misc's loads
    :mod:`tarfile`, :mod:`zipfile`, :mod:`csv` and :mod:`uuid` for ``password``
    (together about 20 ms a check). Those two methods come with provsim
    (:func:`_account_provider`); lorem's and person's providers are Faker's own.
    The generator is Faker's, and the providers are added as its ``Factory``
    adds them (weighted choices), so a seed gives the same profile as it does
    with ``Faker()`` (``tests/test_profile.py`` compares the two over seeds and
    roles, which also catches a Faker release that draws differently).

    One instance, reseeded per profile: seeding replaces the generator's random state, so reuse changes nothing.
    """
    if not _FAKERS:
        defer_package_init("faker")  # its __init__ is the costly part: Faker()'s proxy imports every provider
        from faker.generator import Generator
        from faker.providers.lorem.en_US import Provider as LoremProvider
        from faker.providers.person.en_US import Provider as PersonProvider

        config: dict[str, Any] = {"locale": "en_US", "use_weighting": True}  # Factory.create's, for Faker()
        generator = Generator(**config)
        for provider in (_account_provider(generator), LoremProvider(generator), PersonProvider(generator)):
            provider.__use_weighting__ = True
            generator.add_provider(provider)
        # Typed as Faker: Faker's type hints are on its proxy, which hands every call to a generator like this one.
        _FAKERS.append(cast("Faker", generator))
    return _FAKERS[0]


def _account_provider(generator: Any) -> Any:
    """A Faker provider with the two methods a profile takes from internet's and misc's providers.

    Their code is Faker's, unchanged but for one shortcut
    (``faker/providers/internet/__init__.py`` ``user_name`` with its
    ``user_name_formats`` and ``_to_ascii``, ``faker/providers/misc/__init__.py``
    ``password``; Faker 40.x, MIT licence): the transliteration of ``_to_ascii``
    is loaded only for a name that is not ASCII already, which en_US's never
    are (Faker's table maps every ASCII character to itself). The same calls on
    the same random state draw the same values.
    """
    from faker.providers import BaseProvider
    from faker.utils.decorators import slugify_unicode

    class _AccountProvider(BaseProvider):
        user_name_formats = (
            "{{last_name}}.{{first_name}}",
            "{{first_name}}.{{last_name}}",
            "{{first_name}}##",
            "?{{last_name}}",
        )

        @slugify_unicode
        def user_name(self) -> str:
            pattern: str = self.random_element(self.user_name_formats)
            return self._to_ascii(self.bothify(self.generator.parse(pattern)).lower())

        def _to_ascii(self, text: str) -> str:
            if text.isascii():
                return text
            from faker.decode import unidecode

            return unidecode(text)

        def password(
            self,
            length: int = 10,
            special_chars: bool = True,
            digits: bool = True,
            upper_case: bool = True,
            lower_case: bool = True,
        ) -> str:
            choices = ""
            required_tokens = []
            if special_chars:
                required_tokens.append(self.generator.random.choice("!@#$%^&*()_+"))
                choices += "!@#$%^&*()_+"
            if digits:
                required_tokens.append(self.generator.random.choice(string.digits))
                choices += string.digits
            if upper_case:
                required_tokens.append(self.generator.random.choice(string.ascii_uppercase))
                choices += string.ascii_uppercase
            if lower_case:
                required_tokens.append(self.generator.random.choice(string.ascii_lowercase))
                choices += string.ascii_lowercase
            chars = list(self.random_choices(choices, length=length))
            random_indexes: set[int] = set()
            while len(random_indexes) < len(required_tokens):
                random_indexes.add(self.generator.random.randint(0, len(chars) - 1))
            for i, index in enumerate(random_indexes):
                chars[index] = required_tokens[i]
            return "".join(chars)

    return _AccountProvider(generator)


#: Profiles an earlier start of provsim's command line drew, by :func:`profile_key`, as (computer name, user,
#: password): filled only where the command line owns the process (:func:`provsim.startup.kept_os_profiles`).
KEPT: dict[str, tuple[str, str, str]] = {}
#: Profiles this process drew from Faker, by the same key: what that cache adds for the next start.
DRAWN: dict[str, tuple[str, str, str]] = {}


def profile_key(os_type: OsType, seed: int, role: str) -> str:
    """A profile's arguments as one text: what seeds Faker for it."""
    return f"{seed}:{os_type.value}:{role}"


@cache
def generate_profile(os_type: OsType, seed: int, role: str = "vm") -> OsProfile:
    """A valid OS profile for ``os_type``, the same for the same seed and role.

    Cached: the profile is a pure function of its arguments (Faker is seeded from
    them) and immutable, and a check of many templates asks for the same few
    (a quarter of the time of a 1000-template file went to making them again).
    A profile an earlier start drew (:data:`KEPT`) is taken as it was: loading
    Faker's generator and its providers is a tenth of a one-template check.
    """
    key = profile_key(os_type, seed, role)
    kept = KEPT.get(key)
    if kept is not None:
        return OsProfile(kept[0], kept[1], Secret(kept[2]))
    profile = profile_from(_faker(), os_type, seed, role)
    DRAWN[key] = (profile.computer_name, profile.admin_username, profile.admin_password.reveal())
    return profile


def profile_from(fake: Faker, os_type: OsType, seed: int, role: str) -> OsProfile:
    """The profile that Faker's ``fake`` (seeded here from the arguments) draws: what :func:`generate_profile` gives."""
    fake.seed_instance(profile_key(os_type, seed, role))
    limit = WINDOWS_COMPUTER_NAME_MAX if os_type is OsType.WINDOWS else LINUX_HOSTNAME_MAX
    word = re.sub(r"[^a-z0-9]", "", fake.word().lower()) or "vm"
    name = f"{role}-{word}-{fake.random_int(100, 999)}"[:limit].rstrip("-")
    user = re.sub(r"[^a-z0-9]", "", fake.user_name().lower())[:20] or "azureuser"
    if user in RESERVED_USER_NAMES or not user[0].isalpha():
        user = f"u{user}"
    password = fake.password(length=16, special_chars=True, digits=True, upper_case=True, lower_case=True)
    return OsProfile(name, user, Secret(password))
