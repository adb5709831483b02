"""Masking secrets in everything provsim shows.

A template's sensitive values (HCL2 ``sensitive = true`` variables, Packer
JSON ``sensitive-variables``, settings such as ``client_secret``) reach step
scripts and so step output; Packer prints them as ``<sensitive>``, and so does
provsim, in every output: text, JSON, findings, step output and Gherkin
reports.

    >>> mask("curl -u app:s3cr3t https://x", {"s3cr3t"})
    'curl -u app:<sensitive> https://x'

Values too short to be told apart from ordinary text (one or two characters)
are not masked: masking ``1`` would make every number unreadable and hide
nothing a reader could not guess.

    >>> mask("port 22", {"22"})
    'port 22'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

MASK = "<sensitive>"
#: Shorter values are not secrets anyone can keep (see the module docstring).
MIN_LENGTH = 3


def maskable(values: Iterable[str]) -> frozenset[str]:
    """The values worth masking: long enough, and each line of a multi-line value on its own too."""
    found: set[str] = set()
    for value in values:
        for part in (value, *value.splitlines()):
            part = part.strip()
            if len(part) >= MIN_LENGTH:
                found.add(part)
    return frozenset(found)


def mask(text: str, values: Iterable[str]) -> str:
    """``text`` with every secret in ``values`` replaced by ``<sensitive>`` (longest first)."""
    if not text:
        return text
    pattern = _pattern(maskable(values))
    return pattern.sub(MASK, text) if pattern is not None else text


@lru_cache(maxsize=32)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    # Built once per set of secrets: a report masks every one of its strings with the same set.
    if not secrets:
        return None
    return re.compile("|".join(re.escape(secret) for secret in sorted(secrets, key=len, reverse=True)))
