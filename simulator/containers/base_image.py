"""The base image: a Debian with the Debian ``waagent`` package, built without a registry.

There is no container registry to pull from, so provsim builds its own base
image the way a distribution builds a cloud image: ``debootstrap`` a minimal
Debian from the Debian source this machine's apt already uses, add the
packages a Marketplace Linux image carries (the Azure guest agent, sudo,
OpenSSH server, Python 3), leave it *generalized* (no agent state, no host
keys, host name ``localhost.localdomain``), then ``docker import`` the tree.

The image is tagged by a hash of its :class:`Recipe`, so it is built once per
recipe and reused by every later run; changing the recipe changes the tag.

There are two variants, as there are two kinds of Azure Linux images
(FACTS.md section 7): the **classic** one, provisioned by waagent alone
(:func:`machine_recipe`), and one with Debian's ``cloud-init`` package, where
waagent hands provisioning to cloud-init as on Ubuntu, RHEL 8+ or Debian 11+
(:func:`cloud_init_recipe`, the same recipe plus the package and its settings).

    >>> Recipe(suite="bookworm").tag.startswith("provsim-base:")
    True
    >>> with_cloud_init(Recipe(suite="bookworm")).tag != Recipe(suite="bookworm").tag
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
from dataclasses import asdict, dataclass, field, replace
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

#: The cloud-init variant's packages: Debian's cloud-init (22.4 in bookworm) on top of the classic ones. No systemd:
#: the machines do not run it, and its ``systemd-detect-virt`` would make cloud-init see a container, where
#: ``cloudinit/dmi.py`` ``read_dmi_data`` returns nothing, so there would be no instance id (see
#: :mod:`provsim.containers.cloud_init`). debootstrap resolves no virtual package, so python3-cryptography's
#: ``python3-cffi-backend-api-min`` is named by the package that provides it.
CLOUD_INIT_PACKAGES = (*PACKAGES, "python3-cffi-backend", "cloud-init")
#: Where the VM containers' stand-in for the Azure datasource lives (a Python package of the image).
PLATFORM_PACKAGE = "provsim_platform"
#: cloud-init's own Azure datasource, with one change: DHCP gives up at once. A VM container has no network
#: interface at all, and ``DataSourceAzure._setup_ephemeral_networking`` (cloudinit/sources/DataSourceAzure.py)
#: retries DHCP every second for 5 minutes (media found) or 20 (none) before it goes on without IMDS and the wire
#: server; cloud-init has no setting for that wait. ``datasource_pkg_list`` (cloudinit/stages.py
#: ``_get_datasources``) makes cloud-init load this module before its own, so everything else (the media search,
#: the instance id, the copy of ovf-env.xml for waagent, the failure report) is cloud-init's code, unchanged.
#: With DHCP failed, IMDS is never asked and the wire server calls fail at once ("Network is unreachable",
#: ``http_with_retries`` in cloudinit/sources/helpers/azure.py).
AZURE_DATASOURCE = """\
from cloudinit import sources
from cloudinit.net.dhcp import NoDHCPLeaseError
from cloudinit.sources import DataSourceAzure as azure


class DataSourceAzure(azure.DataSourceAzure):
    def _setup_ephemeral_networking(self, *, iface=None, timeout_minutes=5, **_):
        azure.report_diagnostic_event(
            "provsim: no network interface in this VM container: DHCP gives up at once instead of "
            "retrying for %d minutes" % timeout_minutes,
            logger_func=azure.LOG.info,
        )
        raise NoDHCPLeaseError()


datasources = [(DataSourceAzure, (sources.DEP_FILESYSTEM,))]


def get_datasource_list(depends):
    return sources.list_from_depends(depends, datasources)
"""
#: As Azure's cloud-init images are configured: the Azure datasource only (Debian's ``dpkg-reconfigure cloud-init``
#: writes the list to this file).
CLOUD_INIT_CONFIG = f"""\
# provsim: as on Azure's cloud-init images
datasource_list: [ Azure ]
datasource_pkg_list: [ {PLATFORM_PACKAGE} ]
"""
#: The classic finish, with waagent handing provisioning to cloud-init (``Provisioning.Agent=auto``, its default:
#: cloud-init mode when ``cloud-init-local.service`` is enabled, azurelinuxagent/pa/provision/factory.py), the
#: datasource and the settings above, and no cloud-init state: the image is generalized for cloud-init too.
FINISH_CLOUD_INIT = (
    FINISH.replace("Provisioning.Agent=waagent/", "Provisioning.Agent=auto/")
    + f"""
mkdir -p /usr/lib/python3/dist-packages/{PLATFORM_PACKAGE}
: > /usr/lib/python3/dist-packages/{PLATFORM_PACKAGE}/__init__.py
cat > /usr/lib/python3/dist-packages/{PLATFORM_PACKAGE}/DataSourceAzure.py <<'EOF'
{AZURE_DATASOURCE}EOF
cat > /etc/cloud/cloud.cfg.d/90_dpkg.cfg <<'EOF'
{CLOUD_INIT_CONFIG}EOF
# An installed Debian has a system locale (the installer writes it; debootstrap does not). Without one, cc_locale
# asks for en_US.UTF-8, which Debian's locale-gen does not make on request (cloudinit/distros/debian.py), and fails.
echo LANG=C.UTF-8 > /etc/default/locale
rm -rf /var/lib/cloud /var/log/cloud-init.log /var/log/cloud-init-output.log
# The package's postinst enables its units (deb-systemd-helper): what waagent and the generator look at.
test -L /etc/systemd/system/cloud-init.target.wants/cloud-init-local.service
"""
)


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


def with_cloud_init(recipe: Recipe) -> Recipe:
    """The cloud-init variant of ``recipe`` (same suite and mirror)."""
    return replace(recipe, packages=CLOUD_INIT_PACKAGES, finish=FINISH_CLOUD_INIT)


def cloud_init_recipe(root: Path = Path("/etc/apt")) -> Recipe:
    """The recipe of the cloud-init variant for this machine's Debian release."""
    return with_cloud_init(machine_recipe(root))


def variants(root: Path = Path("/etc/apt")) -> dict[str, Recipe]:
    """Every base image provsim uses, by name: ``classic`` (waagent alone) and ``cloud-init``."""
    classic = machine_recipe(root)
    return {"classic": classic, "cloud-init": with_cloud_init(classic)}


def has_cloud_init(recipe: Recipe) -> bool:
    return "cloud-init" in recipe.packages


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


def ensure_cloud_init(client: Any, progress: Progress = _stderr_progress) -> str:
    """The cloud-init variant's tag, building it first when the engine does not have it yet."""
    return ensure(client, cloud_init_recipe(), progress)


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
