"""The connection to a Docker engine, and the labels every provsim object carries.

provsim never leaves anything behind: each container and image it creates is
labelled ``provsim=1`` plus ``provsim.run=<run id>``, so a cleanup (see
:mod:`provsim.containers.cleanup`) can find exactly what one run made, and
``provsim.session=<id>`` naming the process (or the ``PROVSIM_SESSION`` a
caller set), so that suites sharing one engine count only their own objects.

    >>> labels("r1")["provsim.run"]
    'r1'
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from ..errors import ProvsimError

#: Every provsim object has this label; the run id label tells runs apart.
LABEL = "provsim"
RUN_LABEL = "provsim.run"
SESSION_LABEL = "provsim.session"
#: Set it to tell one provsim process's objects from another's on a shared engine (tests, CI jobs).
SESSION_ENV = "PROVSIM_SESSION"
#: Set to 1 to turn "no engine" from a skip into a failure (CI).
REQUIRE_ENV = "PROVSIM_REQUIRE_DOCKER"


def labels(run_id: str, **extra: str) -> dict[str, str]:
    """The labels of an object created by run ``run_id``."""
    return {LABEL: "1", RUN_LABEL: run_id, SESSION_LABEL: session_id(), **extra}


_SESSION: list[str] = []


def session_id() -> str:
    """This process's session: ``PROVSIM_SESSION`` when set, else an id made once per process."""
    given = os.environ.get(SESSION_ENV, "").strip()
    if given:
        return given
    if not _SESSION:
        _SESSION.append(uuid.uuid4().hex[:12])
    return _SESSION[0]


def new_run_id() -> str:
    """A short id naming one run's containers and images."""
    return uuid.uuid4().hex[:12]


def docker_required() -> bool:
    """True when the user asked that container work fail rather than skip without an engine."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false", "no")


def unreachable_reason() -> str | None:
    """Why no Docker engine answers, or None when one does."""
    try:
        import docker
    except ImportError as error:  # pragma: no cover - docker is a dependency
        return f"the docker Python package is missing ({error})"
    try:
        client = docker.from_env(timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:  # the SDK raises several unrelated types for "no engine"
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return first[:200]
    return None


def no_engine_message(why: str) -> str:
    """The one line a user sees when no engine answers."""
    return f"no Docker engine reachable: {why}; start dockerd or set DOCKER_HOST"


def connect() -> Any:
    """A Docker SDK client, or :class:`ProvsimError` saying how to get an engine."""
    import docker

    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except Exception as error:
        raise ProvsimError(
            no_engine_message(str(error).splitlines()[0] if str(error) else type(error).__name__)
        ) from None
    return client
