"""One run's Docker objects, removed however the run ends.

Every container and image a run creates carries ``provsim.run=<run id>``
(:func:`provsim.containers.engine.labels`). :class:`Run` is a context
manager: on leaving it, normally, by an exception, by Ctrl-C or by a stop signal
(SIGTERM, SIGHUP: see :mod:`provsim.stopping`), it removes
the run's containers first (an image in use cannot go), then its images. The
base image is labelled ``provsim=1`` but with no run id: it is a cache and
stays.

    with Run.start() as run:
        machine = run.machine(run.base_image, role="build")
        ...
    # nothing labelled with run.run_id is left
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ProvsimError
from ..stopping import held
from . import base_image, machine
from .engine import LABEL, RUN_LABEL, SESSION_LABEL, connect, new_run_id, session_id

#: The role of the one machine that runs a template's steps.
BUILD_ROLE = "build"
#: Containers removed at once: each removal waits on the engine (stop, unmount, delete), not on this process's CPU.
REMOVERS = 8


@dataclass
class Run:
    """A Docker client, the base image, and a run id every object of the run is labelled with."""

    client: Any
    base_image: str
    run_id: str = field(default_factory=new_run_id)
    host_folders: list[Path] = field(default_factory=list)
    """Folders on this host that the run's containers bind-mount (provisioning media): removed with them."""
    _registered: itertools.count[int] = field(default_factory=itertools.count, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    @classmethod
    def start(cls, client: Any | None = None, run_id: str | None = None) -> Run:
        """Connect (or use ``client``), make sure the base image exists, and open a run."""
        client = client or connect()
        return cls(client, base_image.ensure(client), run_id or new_run_id())

    def machine(self, image: str, role: str, volumes: dict[str, dict[str, str]] | None = None) -> machine.Machine:
        """Start a VM-like container from ``image``, labelled with this run.

        Only the build VM (role ``build``) runs a template's steps, and so keeps the ``sudo`` they use.
        """
        self.going_on()
        return machine.start(
            self.client,
            image,
            self.run_id,
            role,
            releaser_image=self.base_image,
            volumes=volumes,
            runs_template_steps=role == BUILD_ROLE,
        )

    def host_folder(self, what: str) -> Path:
        """A new private folder on this host for a bind mount, removed after the run's containers.

        Not before: the engine re-creates a missing bind-mount source whenever it
        copies files into the container (``put_archive``).
        """
        folder = Path(tempfile.mkdtemp(prefix=f"provsim-{what}-{session_id()}-"))
        self.host_folders.append(folder)
        return folder

    def image_name(self, what: str) -> str:
        """A new name for an image this run registers (capture, upload): never one it gave before.

        Cells of one run side by side may register the same kind of image at
        once: a name given twice would move to the later image under the first
        one's VM.
        """
        self.going_on()
        return f"provsim-{what}:{self.run_id}-{next(self._registered)}"

    def stop(self) -> None:
        """Make work still going on in other threads fail at its next machine or image, so the run can end."""
        self._stopping.set()

    def going_on(self) -> None:
        """Raise :class:`ProvsimError` once the run was stopped (:meth:`stop`): nothing new is created then."""
        if self._stopping.is_set():
            raise ProvsimError(f"run {self.run_id} is stopping: no new container or image")

    def leftovers(self) -> tuple[list[str], list[str]]:
        """Ids of this run's containers and images still in the engine."""
        return leftovers(self.client, self.run_id)

    def remove_all(self) -> None:
        """Remove this run's containers, then its images and host folders. Safe to call twice."""
        remove_run(self.client, self.run_id)
        for folder in self.host_folders:
            shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        with held():
            self.remove_all()


def leftovers(client: Any, run_id: str | None = None, *, session: str | None = None) -> tuple[list[str], list[str]]:
    """Ids of provsim containers and run images still in the engine: of one run, one session, or any run.

    A test on an engine that other suites share counts only its own
    (``session``, see :func:`provsim.containers.engine.session_id`).
    """
    if run_id:
        selector = f"{RUN_LABEL}={run_id}"
    elif session:
        selector = f"{SESSION_LABEL}={session}"
    else:
        selector = RUN_LABEL
    containers = [c.id for c in client.containers.list(all=True, filters={"label": selector})]
    images = [i.id for i in client.images.list(all=True, filters={"label": selector})]
    return containers, images


def remove_run(client: Any, run_id: str, rounds: int = 3) -> None:
    """Remove everything labelled with ``run_id``: containers (forced), then images.

    A signal can cut a create request short after the engine has taken it: the
    container appears a moment after the first listing. So the listing is
    repeated until a round finds nothing (at most ``rounds`` times).
    """
    import time

    for round_number in range(rounds):
        if not _remove_once(client, run_id) and round_number > 0:
            return
        time.sleep(0.2 * round_number)


def _remove_once(client: Any, run_id: str) -> bool:
    """One round of :func:`remove_run`; True when it found something to remove."""
    import docker

    selector = {"label": [f"{LABEL}=1", f"{RUN_LABEL}={run_id}"]}
    containers = client.containers.list(all=True, filters=selector)
    found = bool(containers)
    if len(containers) > 1:
        with ThreadPoolExecutor(min(REMOVERS, len(containers)), thread_name_prefix="provsim-remove") as removers:
            for removal in [removers.submit(_remove_container, container) for container in containers]:
                removal.result()
    elif containers:
        _remove_container(containers[0])
    # One by one: an image may be the parent of another (a capture of a machine started from a capture).
    for image in client.images.list(all=True, filters=selector):
        found = True
        with suppress(docker.errors.NotFound):
            client.images.remove(image.id, force=True, noprune=False)
    return found


def _remove_container(container: Any) -> None:
    import docker

    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as error:
        if "already in progress" not in str(error):  # someone else is removing it: it goes either way
            raise
