"""However provsim is stopped, it leaves nothing behind: no container, no image, no provisioning media.

CI cancels a job with SIGTERM, a closed terminal sends SIGHUP, a user presses
Ctrl-C. Each signal is sent at three points of a real build: while the build
VM boots, while a step runs, and while a VM boots from the captured image.
Each test counts only its own objects (its ``PROVSIM_SESSION``), so suites
sharing the engine do not disturb it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from provsim.containers.cleanup import leftovers

pytestmark = pytest.mark.container

TEMPLATE = """
source "azure-arm" "slow" {
  os_type            = "Linux"
  image_publisher    = "Debian"
  image_offer        = "debian-12"
  image_sku          = "12"
  managed_image_name = "slow"
}

build {
  sources = ["source.azure-arm.slow"]
  provisioner "shell" {
    inline = ["echo working", "sleep 4"]
  }
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline          = ["/usr/sbin/waagent -force -deprovision+user && sync"]
  }
}
"""

#: A line of provsim's progress on stderr, and the point of the build it marks.
POINTS = {
    "build VM boot": "creating the build VM",
    "a step": "'shell provisioner #1' starting",
    "VM boot": "creating a VM from the image captured as",
}
SIGNALS = {"SIGTERM": (signal.SIGTERM, 143), "SIGHUP": (signal.SIGHUP, 129), "SIGINT": (signal.SIGINT, 130)}


def media_folders(session: str) -> set[str]:
    """The session's provisioning media folders (other workers of ``pytest -n`` have their own)."""
    return {name for name in os.listdir("/tmp") if name.startswith(f"provsim-media-{session}")}


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("signal_name", SIGNALS)
def test_a_signal_leaves_nothing_behind(
    tmp_path: Path, docker_engine: tuple[Any, str], point: str, signal_name: str
) -> None:
    client, _ = docker_engine
    signum, status = SIGNALS[signal_name]
    template = tmp_path / "slow.pkr.hcl"
    template.write_text(TEMPLATE)
    session = f"signals-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "provsim.cli", "check", "--backend", "docker", str(template)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PROVSIM_SESSION": session},
    )
    assert process.stderr is not None
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        if POINTS[point] in line:
            time.sleep(0.3)  # inside that part of the build, not at its first line
            process.send_signal(signum)
            break
    else:
        pytest.fail("the build ended before the point was reached:\n" + "".join(seen))
    _, rest = process.communicate(timeout=120)
    stderr = "".join(seen) + rest
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert leftovers(client, session=session) == ([], []), f"{signal_name} at {point} left objects behind"
    assert not media_folders(session), "provisioning media left in /tmp"


def test_a_run_that_ends_normally_leaves_nothing_either(tmp_path: Path, docker_engine: tuple[Any, str]) -> None:
    client, _ = docker_engine
    template = tmp_path / "slow.pkr.hcl"
    template.write_text(TEMPLATE.replace('"sleep 4"', '"true"'))
    session = f"normal-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "provsim.cli", "check", "--backend", "docker", str(template)],
        capture_output=True,
        text=True,
        env={**os.environ, "PROVSIM_SESSION": session},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert leftovers(client, session=session) == ([], [])
    assert not media_folders(session), "an empty media folder was left in /tmp"
