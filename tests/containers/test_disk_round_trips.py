"""The container disk's fewer round trips give the answers one exec per question gave."""

from __future__ import annotations

from typing import Any

import pytest
from provsim.containers.disk import INLINE_WRITE_LIMIT, ContainerDisk
from provsim.containers.machine import Machine
from provsim.errors import ProvsimError

pytestmark = pytest.mark.container


@pytest.fixture
def machine(docker_run: Any) -> Machine:
    return docker_run.machine(docker_run.base_image, role="vm")


def execs(disk: ContainerDisk, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands the disk sends from now on."""
    sent: list[str] = []
    execute = disk._execute_alone

    def counted(command: str, **options: Any) -> tuple[int, str]:
        sent.append(command)
        return execute(command, **options)

    monkeypatch.setattr(disk, "_execute_alone", counted)
    return sent


def test_writes_read_back_as_written_with_their_modes(machine: Machine) -> None:
    disk = machine.disk
    large = "x" * (INLINE_WRITE_LIMIT + 10)
    quoting = "it's $HOME `id` \\n %s\n\ttab\n"
    disk.write_files({"/etc/a/b/quoting": quoting, "/var/tmp/large": large, "/var/tmp/nul": "a\0b", "/etc/gone": None})
    disk.write_text("/etc/sudoers.d/rule", "rule\n", mode=0o440)
    assert disk.read_files(["/etc/a/b/quoting", "/var/tmp/large", "/var/tmp/nul"]) == {
        "/etc/a/b/quoting": quoting,
        "/var/tmp/large": large,
        "/var/tmp/nul": "a\0b",
    }
    assert disk.run("stat -c '%a %u %g' /etc/sudoers.d/rule /etc/a/b/quoting")[1].split("\n")[:2] == [
        "440 0 0",
        "644 0 0",
    ]
    disk.remove("/etc/a")
    assert not disk.exists("/etc/a/b/quoting") and not disk.exists("/etc/a")


def test_a_look_tells_files_folders_links_and_nothing_apart(machine: Machine) -> None:
    disk = machine.disk
    disk.must("ln -s /dev/null /etc/masked && ln -s /nowhere /etc/dangling && mkdir -p /etc/folder")
    seen = {path: (disk.exists(path), disk.read_text(path)) for path in ("/etc/masked", "/etc/dangling", "/etc/folder")}
    assert seen == {"/etc/masked": (True, None), "/etc/dangling": (True, None), "/etc/folder": (True, None)}
    assert (disk.exists("/etc/none"), disk.read_text("/etc/none")) == (False, None)
    assert disk.glob("/etc/hostnam*") == ["/etc/hostname"]


def test_remembering_reads_ahead_in_one_exec_and_forgets_at_any_command(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = machine.disk
    sent = execs(disk, monkeypatch)
    with disk.remembering(["/etc/hostname", "/etc/passwd", "/etc/waagent.conf"], ["/etc/ssh/ssh_host_*_key*"]):
        assert disk.read_text("/etc/nothing-here") is None
        hostname, passwd = disk.read_text("/etc/hostname"), disk.read_text("/etc/passwd") or ""
        assert disk.exists("/etc/waagent.conf") and disk.glob("/etc/ssh/ssh_host_*_key*") == []
        assert len(sent) == 1, "the first read looked at every path read ahead"
        disk.write_text("/etc/ssh/ssh_host_rsa_key", "key")
        assert disk.read_text("/etc/ssh/ssh_host_rsa_key") == "key"
        assert disk.glob("/etc/ssh/ssh_host_*_key*") == ["/etc/ssh/ssh_host_rsa_key"], "a write forgets the globs"
        disk.run("echo changed > /etc/hostname && useradd -m someone")
        assert disk.read_text("/etc/hostname") == "changed\n", "a command makes the disk forget"
        assert "someone:" in (disk.read_text("/etc/passwd") or "") and "someone:" not in passwd
    assert hostname is not None and hostname != "changed\n"
    assert disk.read_text("/etc/hostname") == "changed\n"


def test_a_host_folder_is_never_remembered(docker_run: Any) -> None:
    folder = docker_run.host_folder("round-trips")
    mounts = {str(folder): {"bind": "/mnt/host", "mode": "ro"}}
    vm = docker_run.machine(docker_run.base_image, role="vm", volumes=mounts)
    with vm.disk.remembering(["/mnt/host/media"]):
        assert vm.disk.read_text("/mnt/host/media") is None
        (folder / "media").write_text("inserted")
        assert vm.disk.read_text("/mnt/host/media") == "inserted"


def test_writes_held_back_land_in_order_at_the_next_exec_and_a_failed_one_raises(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = machine.disk
    sent = execs(disk, monkeypatch)
    with disk.remembering():
        disk.write_text("/etc/held/one", "1")
        disk.set_hostname("held-back")
        disk.write_text("/etc/held/one", "2")
        assert disk.read_text("/etc/held/one") == "2" and disk.hostname() == "held-back"
        assert sent == [], "written files are known without asking"
    assert len(sent) == 1, "the block's end sent them in one exec"
    assert disk.run("cat /etc/held/one /etc/hostname")[1] == "2held-back\n"
    with pytest.raises(ProvsimError, match="writing files failed"), disk.remembering():
        disk.write_text("/etc/hostname/inside-a-file", "x")
        disk.run("echo never")
    assert disk.read_text("/etc/hostname") == "held-back\n"
