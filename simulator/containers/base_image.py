"""The base image: a Debian with the Debian ``waagent`` package, built without a registry.

There is no container registry to pull from, so provsim builds its own base
image the way a distribution builds a cloud image: ``debootstrap`` a minimal
Debian from the Debian source this machine's apt already uses, add the
packages a Marketplace Linux image carries (the Azure guest agent, sudo,
OpenSSH server, Python 3), leave it *generalized* (no agent state, no host
keys, host name ``localhost.localdomain``), then ``docker import`` the tree.

The image is tagged by a hash of its :class:`Recipe`, so it is built once per
recipe and reused by every later run; changing the recipe changes the tag.

    >>> Recipe(suite="bookworm").tag.startswith("provsim-base:")
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProvsimError
from .engine import LABEL
from .machine import DOCKER_ETC_FILES, ETC_LABEL, encode_etc

REPOSITORY = "provsim-base"
RECIPE_LABEL = "provsim.recipe"
#: What a Marketplace Linux image has that provsim looks at.
PACKAGES = ("waagent", "sudo", "openssh-server", "python3")
#: Run inside the new tree (chroot) once the packages are in: leave it the way a platform image is shipped.
#: ``Provisioning.RegenerateSshHostKeyPair=y`` is what Azure's images set, and it is what makes
#: ``waagent -deprovision`` remove the SSH host keys (FACTS.md section 3).
FINISH = r"""
set -e
sed -i -e 's/^#\?\s*Provisioning.Agent=.*/Provisioning.Agent=waagent/' \
       -e 's/^#\?\s*Provisioning.RegenerateSshHostKeyPair=.*/Provisioning.RegenerateSshHostKeyPair=y/' \
       -e 's/^#\?\s*Provisioning.DeleteRootPassword=.*/Provisioning.DeleteRootPassword=y/' /etc/waagent.conf
grep -q '^Provisioning.RegenerateSshHostKeyPair=y' /etc/waagent.conf \
  || echo 'Provisioning.RegenerateSshHostKeyPair=y' >> /etc/waagent.conf
rm -f /etc/ssh/ssh_host_*
rm -rf /var/lib/waagent /var/log/waagent.log /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
rm -f /etc/resolv.conf
echo localhost.localdomain > /etc/hostname
printf '127.0.0.1 localhost\n' > /etc/hosts
"""


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the base image's content; its hash is the image's tag.

    The mirror is not part of the recipe: any mirror of the same suite gives
    the same image, so a machine that moves mirrors keeps its cache.
    """

    suite: str
    packages: tuple[str, ...] = PACKAGES
    variant: str = "minbase"
    finish: str = FINISH
    version: int = 2
    mirror: str = field(default="", compare=False, hash=False)

    @property
    def digest(self) -> str:
        content = {k: v for k, v in asdict(self).items() if k != "mirror"}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def tag(self) -> str:
        return f"{REPOSITORY}:{self.digest}"


@dataclass(frozen=True)
class AptSource:
    """One Debian source of this machine's apt configuration."""

    uri: str
    suite: str


def apt_sources(root: Path = Path("/etc/apt")) -> list[AptSource]:
    """The ``deb`` sources apt is configured with, deb822 ``.sources`` files first, then ``sources.list``."""
    found: list[AptSource] = []
    for path in sorted((root / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
                continue
            for uri in fields.get("uris", "").split():
                found.extend(AptSource(uri, suite) for suite in fields.get("suites", "").split())
    lists = [root / "sources.list", *sorted((root / "sources.list.d").glob("*.list"))]
    for path in lists:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                found.append(AptSource(words[1], words[2]))
    return found


def machine_recipe(root: Path = Path("/etc/apt")) -> Recipe:
    """The recipe for the Debian release (and from the mirror) this machine's apt uses.

    Security and updates suites are skipped: debootstrap needs the release itself.
    """
    for source in apt_sources(root):
        if "security" in source.uri or "-" in source.suite:
            continue
        return Recipe(suite=source.suite, mirror=source.uri)
    raise ProvsimError(
        f"no Debian source in {root}/sources.list or {root}/sources.list.d: "
        "configure apt with a Debian mirror to build the base image"
    )


Progress = Callable[[str], None]


def _stderr_progress(line: str) -> None:
    print(f"[base-image] {line}", file=sys.stderr, flush=True)


def find(client: Any, recipe: Recipe) -> Any | None:
    """The image built from ``recipe`` if the engine has it."""
    import docker

    try:
        return client.images.get(recipe.tag)
    except docker.errors.ImageNotFound:
        return None


def ensure(client: Any, recipe: Recipe | None = None, progress: Progress = _stderr_progress) -> str:
    """The base image's tag, building it first when the engine does not have it yet.

    Several provsim processes may start at once (``pytest -n 2``, parallel CI
    jobs on one machine): a lock lets one build while the others wait, then
    find the image.
    """
    recipe = recipe or machine_recipe()
    if find(client, recipe) is not None:
        return recipe.tag
    with _build_lock(recipe):
        if find(client, recipe) is None:
            progress(f"{recipe.tag} not found: building it once (debootstrap {recipe.suite}, a few minutes)")
            build(client, recipe, progress)
    return recipe.tag


@contextmanager
def _build_lock(recipe: Recipe) -> Iterator[None]:
    """An exclusive lock per recipe, in the user's cache folder (it outlives no one: the kernel drops it on exit)."""
    import fcntl

    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "provsim"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"base-image-{recipe.digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(client: Any, recipe: Recipe, progress: Progress = _stderr_progress) -> float:
    """Build and import the base image; returns the seconds it took."""
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise ProvsimError(f"'{tool}' is not installed: apt-get install debootstrap (needed to build {recipe.tag})")
    if os.geteuid() != 0:
        raise ProvsimError(
            f"building {recipe.tag} runs debootstrap, which needs root: run 'provsim base-image build' as root"
        )
    if not recipe.mirror:
        raise ProvsimError("the base image recipe has no Debian mirror: build it from machine_recipe()")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="provsim-base-") as workdir:
        tree = Path(workdir) / "rootfs"
        command = ["debootstrap", f"--variant={recipe.variant}", f"--include={','.join(recipe.packages)}"]
        keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
        if keyring.is_file():
            command.append(f"--keyring={keyring}")
        command += [recipe.suite, str(tree), recipe.mirror]
        _run_showing(command, progress, "debootstrap")
        progress("finishing the tree: generalized, no host keys, no agent state")
        _run_showing(["chroot", str(tree), "/bin/sh", "-c", recipe.finish], progress, "finish")
        etc = {path: _read_or_none(tree / path.lstrip("/")) for path in DOCKER_ETC_FILES}
        tarball = Path(workdir) / "rootfs.tar"
        progress("packing the tree")
        _run_showing(["tar", "--numeric-owner", "-C", str(tree), "-cf", str(tarball), "."], progress, "tar")
        progress(f"importing as {recipe.tag}")
        repository, tag = recipe.tag.split(":")
        client.api.import_image_from_file(
            str(tarball),
            repository=repository,
            tag=tag,
            changes=[
                f'LABEL {LABEL}="1" {RECIPE_LABEL}="{recipe.digest}" {ETC_LABEL}="{encode_etc(etc)}"',
                'CMD ["/bin/sleep", "infinity"]',
            ],
        )
    seconds = time.monotonic() - started
    progress(f"built {recipe.tag} in {seconds:.0f} s")
    return seconds


def pull(client: Any, reference: str, recipe: Recipe | None = None, progress: Progress = _stderr_progress) -> str:
    """Take a base image from a registry instead of building it (where one is reachable).

    The image must have been built by provsim from the same recipe (its
    ``provsim.recipe`` label says so); it is then tagged as if built here.
    """
    recipe = recipe or machine_recipe()
    import docker

    progress(f"pulling {reference}")
    try:
        image = client.images.pull(reference)
    except docker.errors.DockerException as error:
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ProvsimError(
            f"base-image pull {reference}: the engine could not pull it ({first}); "
            "without a reachable registry, build it here: provsim base-image build"
        ) from None
    found = image.labels.get(RECIPE_LABEL)
    if found != recipe.digest:
        raise ProvsimError(
            f"{reference} was built from recipe {found or 'unknown'}, not {recipe.digest}: "
            "push an image made by 'provsim base-image build' on a machine with the same recipe"
        )
    repository, tag = recipe.tag.split(":")
    image.tag(repository, tag)
    return recipe.tag


_DEBOOTSTRAP_MILESTONES = ("I: Retrieving Release", "I: Installing core", "I: Base system", "E:", "W:")


def _read_or_none(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def _run_showing(command: list[str], progress: Progress, what: str) -> None:
    """Run a build tool, passing its lines to ``progress``; a failure shows the last lines."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        line = line.rstrip()
        tail = [*tail[-19:], line]
        # debootstrap's "I:" lines are its progress; the rest is package noise.
        if what != "debootstrap" or line.startswith(_DEBOOTSTRAP_MILESTONES):
            progress(f"{what}: {line}")
    if process.wait() != 0:
        raise ProvsimError(f"{what} failed (exit {process.returncode}): " + " | ".join(tail[-5:]))
