"""An uploaded image is the disk's files and nothing of the running container (a VHD carries bytes only)."""

from __future__ import annotations

from typing import Any

import pytest
from provsim.containers.boot import boot
from provsim.containers.cells import on_premises_machine
from provsim.containers.stages import upload
from provsim.model import OsState, OsType
from provsim.platform import Platform
from provsim.profile import generate_profile

pytestmark = pytest.mark.container


def test_an_upload_keeps_the_files_not_the_containers_state(docker_run: Any) -> None:
    machine, user = on_premises_machine(docker_run, 3)
    machine.disk.must("echo kept > /root/on-disk && echo gone > /run/runtime-only && sleep 600 >/dev/null 2>&1 &")
    image = upload(docker_run, machine, OsState.SPECIALIZED)

    config = docker_run.client.images.get(image.tag).attrs["Config"]
    assert config["Cmd"] == ["/bin/sh"], "a VM starts from the disk, not with the uploaded container's command"
    assert not config.get("Env") and not config.get("Entrypoint")

    vm = boot(docker_run, Platform(seed=3), image, generate_profile(OsType.LINUX, 3, role="vm"))
    assert vm.outcome.succeeded
    assert vm.machine.disk.read_text("/root/on-disk") == "kept\n"
    assert not vm.machine.disk.exists("/run/runtime-only"), "/run is a tmpfs: it never reaches the disk"
    _, processes = vm.machine.disk.run("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done")
    assert "sleep 600" not in processes, "no process of the uploaded container runs in the VM"
    assert vm.machine.disk.user(user) is not None
