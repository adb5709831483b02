"""A second engine, named the standard way: ``DOCKER_HOST``, and one per pytest-xdist worker.

A second ``dockerd`` on its own unix socket under /tmp (its own data root,
exec root and pid file, no bridge, no iptables) stands in for a remote
engine: it shares nothing with the first but the kernel. It has no base
image, and building one takes minutes, so the first engine's is copied over
through the SDK (``docker save | docker load``). The tests then prove where
the containers ran by the engines' own event streams, filtered by the
session label every provsim object carries.

Started once for the module; stopped at the end by its PID only (SIGTERM,
then SIGKILL after 30 s), and its folder removed. Skipped with the reason
when ``dockerd`` is not installed or this is not root (CI installs it and
runs as root). 100-190 s here on 2 cores while other suites share the
first engine: the engine starts in 1 s, the base image copy takes 8 s,
``provsim check --backend docker`` 15 s, each xdist suite 35-80 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from provsim.containers.engine import LABEL, SESSION_ENV, SESSION_LABEL

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
PROVSIM = [sys.executable, "-m", "provsim.cli"]
#: The longest the second engine may take to answer its first ping.
START_TIMEOUT = 60


@dataclass(frozen=True)
class Engine:
    """The second engine: its address for ``DOCKER_HOST``, an SDK client, and the PID this module started."""

    address: str
    client: Any
    pid: int


@pytest.fixture(scope="module")
def second_engine(docker_engine: tuple[Any, str]) -> Iterator[Engine]:
    if shutil.which("dockerd") is None:
        pytest.skip(
            "dockerd is not installed: no second engine to stand in for a remote one (apt-get install docker.io)"
        )
    if os.geteuid() != 0:
        pytest.skip("starting a second dockerd needs root")
    first, base_tag = docker_engine
    folder = Path(tempfile.mkdtemp(prefix="provsim-engine-", dir="/tmp"))
    socket = folder / "docker.sock"
    (folder / "daemon.json").write_text("{}")  # not /etc/docker/daemon.json: nothing of the first engine's settings
    log = (folder / "dockerd.log").open("wb")
    process = subprocess.Popen(
        [
            "dockerd",
            f"--host=unix://{socket}",
            f"--data-root={folder / 'data'}",
            f"--exec-root={folder / 'exec'}",
            f"--pidfile={folder / 'dockerd.pid'}",
            f"--config-file={folder / 'daemon.json'}",
            "--bridge=none",
            "--iptables=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = None
    try:
        client = _wait_for(f"unix://{socket}", process, folder)
        # No registry, and a build takes minutes: the first engine's base image, copied through the SDK.
        client.images.load(first.images.get(base_tag).save(named=True))
        assert client.images.get(base_tag).tags == [base_tag]
        yield Engine(f"unix://{socket}", client, process.pid)
    finally:
        if client is not None:
            _remove_provsim_objects(client)
            client.close()
        _stop(process)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(address: str, process: subprocess.Popen[bytes], folder: Path) -> Any:
    """A client of the new engine, once it answers (the SDK asks for the API version on creation)."""
    import docker

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return docker.DockerClient(base_url=address, timeout=300)
        except docker.errors.DockerException:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "dockerd.log").read_text(errors="replace").splitlines()[-5:]
                pytest.fail(f"the second dockerd did not come up (exit {process.poll()}): {' | '.join(tail)}")
            time.sleep(0.2)


def _remove_provsim_objects(client: Any) -> None:
    """Everything provsim made on the second engine, base image included: the engine and its data go next."""
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        container.remove(force=True)
    for image in client.images.list(all=True):
        client.images.remove(image.id, force=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the dockerd this module started, by its PID alone (it stops its own containerd)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


class _Creations:
    """Counts the containers an engine creates for one session, from its live event stream.

    Live, not asked afterwards: an engine answers ``since`` from a ring of its
    last 256 events (``daemon/events``), and a scenario's execs push its
    ``create`` events out long before the end.
    """

    def __init__(self, client: Any, session: str) -> None:
        self.count = 0
        filters = {"type": "container", "event": "create", "label": f"{SESSION_LABEL}={session}"}
        self._stream = client.events(filters=filters, decode=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream is closed under the reader at the end
            for _ in self._stream:
                self.count += 1

    def stop(self) -> int:
        time.sleep(0.5)  # the last create is long past: a scenario ends with removals
        self._stream.close()
        self._reader.join(timeout=10)
        return self.count


def _env(**changes: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(changes)
    return env


def test_check_runs_on_the_engine_docker_host_names(
    second_engine: Engine, docker_engine: tuple[Any, str], tmp_path: Path
) -> None:
    """``provsim check --backend docker`` with DOCKER_HOST: every container on that engine, none on the other."""
    session = f"remote-{uuid.uuid4().hex[:8]}"
    first, _ = docker_engine
    on_second, on_first = _Creations(second_engine.client, session), _Creations(first, session)
    result = subprocess.run(
        [*PROVSIM, "check", "fixtures/containers/generalizes.pkr.hcl", "--backend", "docker", "--format", "json"],
        cwd=ROOT,
        env=_env(DOCKER_HOST=second_engine.address, **{SESSION_ENV: session}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    (pipeline,) = json.loads(result.stdout)["pipelines"]
    assert (pipeline["backend"], pipeline["os_state"]) == ("docker", "generalized")
    assert on_second.stop() >= 2  # the build VM and a VM from its capture
    assert on_first.stop() == 0


SCENARIOS = """\
@container
Feature: two container scenarios
  Scenario: a specialized build VM captured as specialized
    Given a Linux build VM whose OS is specialized
    When it is captured as specialized
    And a VM is created from it
    Then VM creation ends in success

  Scenario: a generalized build VM captured as generalized
    Given a Linux build VM whose OS is generalized
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in success
"""

ONE_SCENARIO = SCENARIOS[: SCENARIOS.index("\n  Scenario: a generalized")] + "\n"

TEST_MODULE = """\
from pytest_bdd import scenarios
from provsim.steps.containers import use_containers
use_containers()
scenarios("two.feature")
"""


def _inner_suite(pytester: pytest.Pytester, scenarios: str = SCENARIOS) -> None:
    pytester.makefile(".feature", two=scenarios)
    pytester.makepyfile(test_two=TEST_MODULE)
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\n")


def test_xdist_workers_all_on_one_engine(
    second_engine: Engine, docker_engine: tuple[Any, str], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pytest -n 2`` with DOCKER_HOST: both workers' containers on that engine, nothing left behind."""
    session = f"xdist-one-{uuid.uuid4().hex[:8]}"
    first, _ = docker_engine
    on_second, on_first = _Creations(second_engine.client, session), _Creations(first, session)
    monkeypatch.setenv(SESSION_ENV, session)
    monkeypatch.setenv("DOCKER_HOST", second_engine.address)
    _inner_suite(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=600)
    result.assert_outcomes(passed=2)
    assert on_second.stop() >= 4  # two build VMs, two VMs from captures
    assert on_first.stop() == 0
    assert second_engine.client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={session}"}) == []


def test_xdist_workers_each_on_their_own_engine(
    second_engine: Engine,
    docker_engine: tuple[Any, str],
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """One ``--tx`` per worker, each naming its own Docker context: each engine runs its worker's scenarios.

    A context rather than ``env:DOCKER_HOST=unix:///...``: execnet cuts a
    ``--tx`` value at ``//``, and a context name has none. The contexts live
    in a Docker configuration folder of the test's own (``DOCKER_CONFIG``),
    made by the Docker CLI: testinfra's evidence runs ``docker exec``, and the
    CLI cannot dial the ``http+unix://`` host the SDK's own
    ``ContextAPI.create_context`` writes for a socket path.
    """
    if shutil.which("docker") is None:
        pytest.skip("the Docker CLI is not installed: testinfra's evidence and 'docker context create' need it")
    session = f"xdist-each-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}")  # without it, the SDK keeps contexts under the current folder
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    first_address = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    for name, address in (("provsim-first", first_address), ("provsim-second", second_engine.address)):
        subprocess.run(["docker", "context", "create", name, "--docker", f"host={address}"], check=True, timeout=30)
    monkeypatch.delenv("DOCKER_HOST", raising=False)  # it would win over any context, as in the Docker CLI
    monkeypatch.setenv(SESSION_ENV, session)
    _inner_suite(pytester, ONE_SCENARIO)  # run by each worker: one is enough to see both engines at work
    first, _ = docker_engine
    on_second, on_first = _Creations(second_engine.client, session), _Creations(first, session)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--dist",
        "each",
        "--tx",
        "popen//env:DOCKER_CONTEXT=provsim-second",
        "--tx",
        "popen//env:DOCKER_CONTEXT=provsim-first",
        timeout=600,
    )
    result.assert_outcomes(passed=2)  # the scenario on each worker
    assert on_second.stop() >= 2  # a build VM and a VM from its capture, on each engine
    assert on_first.stop() >= 2
