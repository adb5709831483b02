"""Template code in the Docker backend: what a hostile step can and cannot do.

Every test here runs a step an attacker would write, through the same runner
``provsim check --backend docker`` uses, and checks the engine's side of it.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from provsim.containers.boot import boot
from provsim.containers.cells import BuildVm, create_build_vm
from provsim.containers.provisioners import OUTPUT_TAIL, StepRunner, StepStatus
from provsim.containers.stages import capture
from provsim.errors import ProvsimError
from provsim.model import OsState, OsType
from provsim.pipeline.model import Location, Pipeline, Step, Tool
from provsim.platform import Platform
from provsim.profile import generate_profile

pytestmark = pytest.mark.container

#: CAP_SYS_ADMIN is bit 21 of the capability masks in /proc/<pid>/status.
SYS_ADMIN_BIT = 1 << 21
SUDO = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"


def pipeline(tmp_path: Path, *steps: Step, sensitive: frozenset[str] = frozenset()) -> Pipeline:
    return Pipeline(
        str(tmp_path / "t.pkr.hcl"),
        Tool.PACKER,
        "azure-arm.t",
        OsType.LINUX,
        Location("t"),
        list(steps),
        sensitive=sensitive,
    )


def shell(*inline: str, **fields: Any) -> Step:
    return Step("shell", "hostile", Location("t.pkr.hcl", 7), inline=inline, **fields)


@pytest.fixture
def build_vm(docker_run: Any) -> BuildVm:
    return create_build_vm(docker_run, Platform(seed=3), 3)


def capabilities(status_text: str) -> dict[str, int]:
    return {
        line.split(":")[0]: int(line.split()[1], 16)
        for line in status_text.splitlines()
        if line.startswith(("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"))
    }


HOSTILE = (
    "grep ^Cap /proc/self/status",
    "mount -t tmpfs none /mnt && echo MOUNTED || echo mount-refused",
    "unshare -m true && echo UNSHARED || echo unshare-refused",
    "mount -o remount,rw /proc/sys && echo REMOUNTED || echo remount-refused",
    "mkdir -p /tmp/cg && mount -t cgroup -o memory cgroup /tmp/cg && echo CGROUP || echo cgroup-refused",
    "echo '|/tmp/payload' > /proc/sys/kernel/core_pattern && echo CORE_PATTERN || echo core-pattern-refused",
    "hostname attacker && echo HOSTNAME || echo hostname-refused",
)


def test_a_step_as_root_holds_no_capability_that_reaches_the_host(tmp_path: Path, build_vm: BuildVm) -> None:
    """sudo inside the build VM gives root, but root without SYS_ADMIN: no mount, unshare, cgroup or /proc/sys."""
    step = shell(*HOSTILE, execute_command=SUDO)
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, step), build_vm.user).run_all()
    assert run.status is StepStatus.RAN, run.output
    for mask in capabilities(run.output).values():
        assert not mask & SYS_ADMIN_BIT, run.output
    for refused in ("mount", "unshare", "remount", "cgroup", "core-pattern", "hostname"):
        assert f"{refused}-refused" in run.output, run.output
    for done in ("MOUNTED", "UNSHARED", "REMOUNTED", "CGROUP", "CORE_PATTERN", "HOSTNAME"):
        assert done not in run.output


def test_a_booted_image_built_by_a_hostile_template_runs_no_code_with_the_capability(
    tmp_path: Path, build_vm: BuildVm, docker_run: Any
) -> None:
    """The step replaces the programs a machine's start could run; none of them ever holds SYS_ADMIN.

    The releaser (the only process with SYS_ADMIN) comes from the base image
    and executes nothing from the booted disk, so the trojans run, if at all,
    with the machine's own capabilities.
    """
    trojan = '#!/bin/real-sh\ngrep ^Cap /proc/self/status >> /var/tmp/trojan-ran\nexec /bin/real-$(basename $0) "$@"'
    replaced = ("/bin/sleep", "/bin/umount", "/usr/bin/nsenter", "/usr/bin/python3", "/bin/sh", "/usr/bin/cat")
    commands = [f"cp -p $(readlink -f {path}) /bin/real-$(basename {path})" for path in replaced]
    commands += ["ln -sf /bin/real-python3 /usr/bin/python3.11"]
    commands += [f"printf '%s\\n' '{trojan}' > /tmp/trojan && install -m 755 /tmp/trojan {path}" for path in replaced]
    step = shell(*commands, execute_command=SUDO)
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, step), build_vm.user).run_all()
    assert run.status is StepStatus.RAN, run.output
    image, _ = capture(docker_run, build_vm.machine, build_vm.vm, OsState.GENERALIZED)
    vm = boot(docker_run, Platform(seed=5), image, generate_profile(OsType.LINUX, 5, role="vm"))
    ran = vm.machine.disk.read_text("/var/tmp/trojan-ran") or ""
    assert ran, "the trojans ran in the VM (so the test looks at what they held)"
    for mask in capabilities(ran).values():
        assert not mask & SYS_ADMIN_BIT, ran


def test_a_step_that_never_ends_is_stopped_at_its_timeout(tmp_path: Path, build_vm: BuildVm) -> None:
    steps = (shell("echo started", "sleep 100000"), shell("echo never"))
    started = time.monotonic()
    runs = StepRunner(build_vm.machine.disk, pipeline(tmp_path, *steps), build_vm.user, step_timeout=3).run_all()
    print(f"a hanging step was stopped after {time.monotonic() - started:.1f} s (timeout 3 s)")
    assert [r.status for r in runs] == [StepStatus.FAILED]
    assert runs[0].timed_out and "timed out after 3 s" in runs[0].reason and "started" in runs[0].reason
    assert "t.pkr.hcl:7: shell 'hostile' failed: timed out" in runs[0].describe()
    build_vm.machine.container.reload()
    assert build_vm.machine.container.status != "running", "everything the step started ended with the container"


def test_the_provisioners_own_timeout_wins(tmp_path: Path, build_vm: BuildVm) -> None:
    (run,) = StepRunner(
        build_vm.machine.disk, pipeline(tmp_path, shell("sleep 600", timeout=2.0)), build_vm.user
    ).run_all()
    assert run.timed_out and "timed out after 2 s" in run.reason


def test_step_output_is_kept_as_a_bounded_tail(tmp_path: Path, build_vm: BuildVm) -> None:
    size = 300 * 10**6
    step = shell(f"head -c {size} /dev/zero | tr '\\0' x", "echo; echo the-end")
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, step), build_vm.user).run_all()
    assert run.status is StepStatus.RAN
    assert run.output_bytes >= size and len(run.output) <= OUTPUT_TAIL
    assert run.output.rstrip().endswith("the-end")


def test_secrets_are_masked_and_never_on_a_host_command_line(tmp_path: Path, build_vm: BuildVm) -> None:
    secret = "s3cr3t-t0ken-4711"
    step = shell(
        'echo "calling curl -u app:$TOKEN"',
        "sleep 2",
        "exit 3",
        environment_vars=(f"TOKEN={secret}",),
        execute_command=SUDO,
    )
    seen_on_host: list[str] = []

    def watch_process_list() -> None:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    with suppress(OSError):  # the process ended meanwhile
                        seen_on_host.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_process_list)
    watcher.start()
    since = int(time.time()) - 1
    (run,) = StepRunner(
        build_vm.machine.disk, pipeline(tmp_path, step, sensitive=frozenset({secret})), build_vm.user
    ).run_all()
    watcher.join()
    assert run.status is StepStatus.FAILED
    assert "calling curl -u app:<sensitive>" in run.output and secret not in run.output + run.reason + run.describe()
    assert not [line for line in seen_on_host if secret in line], "the step's environment was on a command line"
    events = build_vm.machine.container.client.events(
        since=since, until=int(time.time()) + 1, decode=True, filters={"container": build_vm.machine.id}
    )
    assert secret not in repr(list(events)), "the step's environment was in docker events"
    assert not build_vm.machine.disk.glob("/tmp/.provsim-command-*"), "the command file deletes itself"


def test_a_build_container_removed_mid_step_is_an_engine_fault(tmp_path: Path, build_vm: BuildVm) -> None:
    container = build_vm.machine.container
    threading.Timer(1.5, lambda: container.remove(force=True)).start()
    # The engine kills before it removes: either is the engine's side, and neither is the template's.
    cause = r"(was removed from the engine|stopped \(exit 137, killed\)) while running .*not by the template"
    with pytest.raises(ProvsimError, match=cause):
        StepRunner(build_vm.machine.disk, pipeline(tmp_path, shell("sleep 20")), build_vm.user).run_all()


def test_a_build_container_killed_mid_step_is_an_engine_fault(tmp_path: Path, build_vm: BuildVm) -> None:
    container = build_vm.machine.container
    threading.Timer(1.5, container.kill).start()
    with pytest.raises(ProvsimError, match=r"stopped \(exit 137, killed\) while running .*not by the template"):
        StepRunner(build_vm.machine.disk, pipeline(tmp_path, shell("sleep 20")), build_vm.user).run_all()


def test_a_captured_image_removed_before_boot_is_an_engine_fault(build_vm: BuildVm, docker_run: Any) -> None:
    image, _ = capture(docker_run, build_vm.machine, build_vm.vm, OsState.GENERALIZED)
    docker_run.client.images.remove(image.tag, force=True)
    with pytest.raises(ProvsimError, match=r"was removed from the engine before a machine could start"):
        boot(docker_run, Platform(seed=1), image, generate_profile(OsType.LINUX, 1, role="vm"))


def test_a_vm_container_killed_during_boot_is_a_fault_not_a_timeout(build_vm: BuildVm, docker_run: Any) -> None:
    image, _ = capture(docker_run, build_vm.machine, build_vm.vm, OsState.SPECIALIZED)
    machine_start = docker_run.machine

    def start_then_kill(*args: Any, **kwargs: Any) -> Any:
        started = machine_start(*args, **kwargs)
        started.container.kill()
        return started

    docker_run.machine = start_then_kill
    with pytest.raises(ProvsimError, match=r"stopped .* not by the template"):
        boot(docker_run, Platform(seed=1), image, generate_profile(OsType.LINUX, 1, role="vm"))


def test_a_fork_bomb_stops_at_the_pids_limit(tmp_path: Path, build_vm: BuildVm) -> None:
    step = shell("for i in $(seq 1500); do sleep 60 & done", "echo all-started")
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, step), build_vm.user).run_all()
    assert run.status is StepStatus.FAILED and "all-started" not in run.output
    assert "fork" in run.output.lower() or "resource temporarily unavailable" in run.output.lower(), run.output


def test_a_step_that_takes_all_memory_is_killed_at_the_limit(tmp_path: Path, build_vm: BuildVm) -> None:
    step = shell("python3 -c 'x = bytearray(3 * 2**30); print(len(x))'", execute_command=SUDO)
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, step), build_vm.user).run_all()
    assert run.status is StepStatus.FAILED, run.output
    assert (run.exit_code == 137 and "memory limit" in run.reason) or "MemoryError" in run.output, run.describe()
