"""The connection to a Docker engine, and the labels every provsim object carries.

provsim never leaves anything behind: each container and image it creates is
labelled ``provsim=1`` plus ``provsim.run=<run id>``, so a cleanup (see
:mod:`provsim.containers.cleanup`) can find exactly what one run made, and
``provsim.session=<id>`` naming the process (or the ``PROVSIM_SESSION`` a
caller set), so that suites sharing one engine count only their own objects.

Which engine: the one the Docker CLI would use, found as the Docker SDK
finds it (``docker/client.py`` ``DockerClient.from_env``, ``docker/utils/utils.py``
``kwargs_from_env``): ``DOCKER_HOST`` (``unix://``, ``tcp://``; with
``DOCKER_TLS_VERIFY=1`` and the ``ca.pem``/``cert.pem``/``key.pem`` of
``DOCKER_CERT_PATH`` for TLS), else the Docker context named by
``DOCKER_CONTEXT`` or by ``docker context use`` (``~/.docker/config.json``),
else the local socket. So a CI job or a ``pytest -n N`` worker is pointed
at a remote engine with the settings it already has. To give each xdist
worker an engine of its own, name one Docker context per engine, one ``--tx``
per worker: ``--tx popen//env:DOCKER_CONTEXT=engine-a --tx
popen//env:DOCKER_CONTEXT=engine-b`` (not ``env:DOCKER_HOST=unix:///...``:
execnet cuts a ``--tx`` value at ``//``). The evidence is read with
testinfra, which runs the ``docker`` CLI (``testinfra/backend/docker.py``):
the CLI reads the same settings, so make contexts with ``docker context
create``; the SDK's ``ContextAPI.create_context`` writes an ``http+unix://``
host for a socket path, which the CLI cannot dial.

    >>> labels("r1")["provsim.run"]
    'r1'
    >>> where({"DOCKER_HOST": "tcp://build-host:2376", "DOCKER_TLS_VERIFY": "1"})
    'tcp://build-host:2376 (DOCKER_HOST, TLS)'
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
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
        import docker  # noqa: F401 - only whether the SDK is there
    except ImportError as error:  # pragma: no cover - docker is a dependency
        return f"the docker Python package is missing ({error})"
    try:
        client = _client(timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:  # the SDK raises several unrelated types for "no engine"
        return _first_line(error)
    return None


def no_engine_message(why: str) -> str:
    """The one line a user sees when no engine answers; it names the engine tried unless it is the local socket."""
    tried = where()
    named = "" if tried == LOCAL_SOCKET else f" (tried {tried})"
    return f"no Docker engine reachable: {why}; start dockerd or set DOCKER_HOST{named}"


def connect() -> Any:
    """A Docker SDK client of the engine the environment names (see above), or :class:`ProvsimError`."""
    try:
        client = _client(timeout=300)
        client.ping()
    except Exception as error:
        raise ProvsimError(no_engine_message(_first_line(error))) from None
    return client


def where(environment: Mapping[str, str] | None = None) -> str:
    """The engine the environment names, as a user would recognise it (for messages)."""
    env = os.environ if environment is None else environment
    host = env.get("DOCKER_HOST", "").strip()
    if host:
        tls = ", TLS" if env.get("DOCKER_TLS_VERIFY", "") not in ("", "0") else ""
        return f"{host} (DOCKER_HOST{tls})"
    context = _context_name(env)
    if context != "default":
        return f"the Docker context {context!r}"
    return LOCAL_SOCKET


#: What :func:`where` says when nothing names an engine: the SDK's default (``docker/constants.py``).
LOCAL_SOCKET = "the local socket (unix:///var/run/docker.sock)"


def _client(timeout: int) -> Any:
    """The SDK's client for :func:`where`'s engine.

    ``from_env`` reads ``DOCKER_HOST``, ``DOCKER_TLS_VERIFY`` and
    ``DOCKER_CERT_PATH``. Contexts are resolved here rather than left to the
    SDK: only recent SDKs fall back to the current context in ``from_env``,
    and every SDK since 4.3 has ``ContextAPI`` (``docker/context/api.py``).
    ``DOCKER_HOST`` wins over any context, as in the Docker CLI.
    """
    import docker

    if os.environ.get("DOCKER_HOST", "").strip():
        return docker.from_env(timeout=timeout)
    name = _context_name(os.environ)
    if name == "default":
        return docker.from_env(timeout=timeout)
    from docker.context import ContextAPI

    context = ContextAPI.get_context(name)
    if context is None or not context.Host:
        raise ProvsimError(
            f"the Docker context {name!r} (DOCKER_CONTEXT or 'docker context use') does not exist or names no "
            "engine; list them with 'docker context ls'"
        )
    return docker.DockerClient(base_url=context.Host, tls=context.TLSConfig or False, timeout=timeout)


def _context_name(environment: Mapping[str, str]) -> str:
    """``DOCKER_CONTEXT``, else the CLI's current context (``currentContext`` in ``~/.docker/config.json``)."""
    name = environment.get("DOCKER_CONTEXT", "").strip()
    if name:
        return name
    config = Path(environment.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        current = json.loads(config.read_text()).get("currentContext")
    except (OSError, ValueError, AttributeError):  # no CLI configuration: the default context
        return "default"
    return current if isinstance(current, str) and current else "default"


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines()[0] if str(error) else type(error).__name__)[:200]
