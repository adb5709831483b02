"""Faults on the engine's side, told apart from the template's own failures.

A container that stops or disappears while provsim works on it was stopped by
someone or something outside the template (``docker rm -f``, a restarted
engine, the memory limit), and the template must not be blamed with an
"exit 137". These helpers ask the engine what became of the container and say
it in one line.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvsimError


def container_state(container: Any) -> str:
    """What the engine says became of ``container``, in words ("is running", "was removed from the engine", ...)."""
    import docker

    try:
        container.reload()
    except docker.errors.NotFound:
        return "was removed from the engine"
    except docker.errors.DockerException as error:
        return f"cannot be inspected ({type(error).__name__}: the engine may have stopped)"
    except Exception as error:  # requests' ConnectionError and friends: the engine itself went away
        return f"cannot be inspected ({type(error).__name__}: the engine may have stopped)"
    state = container.attrs.get("State", {})
    if state.get("Running"):
        return "is running"
    if state.get("OOMKilled"):
        return "was killed by the kernel for exceeding its memory limit"
    code = state.get("ExitCode")
    return f"stopped (exit {code}{', killed' if code == 137 else ''})"


def is_running(container: Any) -> bool:
    return container_state(container) == "is running"


def stopped_within(container: Any, seconds: float = 3.0) -> bool:
    """True when ``container`` is not running, or stops within ``seconds``.

    A command killed by a signal (exit 128 + n) may be the step's own doing or
    the first sign of the whole container being killed or removed: the
    engine ends the exec's stream before it reports the container stopped.
    """
    import time

    deadline = time.monotonic() + seconds
    while True:
        if not is_running(container):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def engine_fault(container: Any, doing: str) -> ProvsimError:
    """The one line for a container lost while ``doing`` something."""
    return ProvsimError(
        f"container {container.short_id} {container_state(container)} while {doing}: "
        "stopped from outside the pipeline (the engine, another process or a cleanup), not by the template"
    )
