"""Steps executed for real in a build container, as Packer and AIB execute them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from provsim.containers.cells import BuildVm, create_build_vm
from provsim.containers.check import check_rootfs
from provsim.containers.provisioners import AIB_DEPROVISION_SCRIPT, StepRunner, StepStatus
from provsim.model import OsState, OsType
from provsim.pipeline.model import Location, Pipeline, Script, Step, Tool
from provsim.platform import Platform

pytestmark = pytest.mark.container


def pipeline(tmp_path: Path, *steps: Step, tool: Tool = Tool.PACKER) -> Pipeline:
    return Pipeline(str(tmp_path / "t.pkr.hcl"), tool, "azure-arm.t", OsType.LINUX, Location("t"), list(steps))


def step(kind: str = "shell", **fields: Any) -> Step:
    return Step(kind, kind, Location("t.pkr.hcl", 1), **fields)


@pytest.fixture
def build_vm(docker_run: Any) -> BuildVm:
    return create_build_vm(docker_run, Platform(seed=9), 9)


def test_inline_with_shebang_vars_and_execute_command(tmp_path: Path, build_vm: BuildVm) -> None:
    shell = step(
        inline=('echo "$GREETING as $(id -un)"', "echo shell=$0"),
        inline_shebang="/bin/bash -e",
        environment_vars=("GREETING=it's me",),
        execute_command="chmod +x {{ .Path }}; {{ .Vars }} sudo -E {{ .Path }}",
    )
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, shell), build_vm.user).run_all()
    assert run.status is StepStatus.RAN, run.output
    assert "it's me as root" in run.output and "shell=/tmp/script_1.sh" in run.output


def test_default_execute_command_runs_as_the_build_user(tmp_path: Path, build_vm: BuildVm) -> None:
    script = Script("s.sh", "#!/bin/sh\nid -un\necho $PACKER_BUILD_NAME\n", Location("s.sh"))
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, step(scripts=(script,))), build_vm.user).run_all()
    assert run.output.split() == [build_vm.user, "azure-arm.t"]


def test_a_failing_step_fails_the_build_with_its_output(tmp_path: Path, build_vm: BuildVm) -> None:
    steps = (step(inline=("echo before", "no-such-tool --x")), step(inline=("echo never",)))
    runs = StepRunner(build_vm.machine.disk, pipeline(tmp_path, *steps), build_vm.user).run_all()
    assert [r.status for r in runs] == [StepStatus.FAILED]
    assert "before" in runs[0].output and "no-such-tool" in runs[0].output and runs[0].exit_code == 127


def test_a_download_fails_with_a_hint_and_can_be_skipped(tmp_path: Path, build_vm: BuildVm) -> None:
    steps = (step(inline=("sudo apt-get update", "sudo apt-get install -y nginx")), step(inline=("echo after",)))
    runs = StepRunner(build_vm.machine.disk, pipeline(tmp_path, *steps), build_vm.user).run_all()
    assert [r.status for r in runs] == [StepStatus.FAILED]
    assert runs[0].reason.endswith("if this step downloads, pass --skip-step 1"), runs[0].reason
    runs = StepRunner(build_vm.machine.disk, pipeline(tmp_path, *steps), build_vm.user, skip={1}).run_all()
    assert [r.status for r in runs] == [StepStatus.SKIPPED, StepStatus.RAN]
    assert "on request (--skip-step)" in runs[0].reason and "after" in runs[1].output
    (plain,) = StepRunner(
        build_vm.machine.disk, pipeline(tmp_path, step(inline=("sudo true", "false"))), build_vm.user
    ).run_all()
    assert plain.status is StepStatus.FAILED and "network" not in plain.reason, "sudo's DNS noise is not a cause"


def test_scripts_of_successive_steps_do_not_overwrite_each_other(tmp_path: Path, build_vm: BuildVm) -> None:
    steps = (step(inline=("echo one",)), step(inline=("echo two",)))
    StepRunner(build_vm.machine.disk, pipeline(tmp_path, *steps), build_vm.user).run_all()
    assert build_vm.machine.disk.read_text("/tmp/script_1.sh") == "#!/bin/sh -e\necho one\n"


def test_file_step_uploads_as_the_build_user(tmp_path: Path, build_vm: BuildVm) -> None:
    (tmp_path / "app.conf").write_text("port=80\n")
    upload = step("file", source="app.conf", destination="/tmp/app.conf")
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, upload), build_vm.user).run_all()
    assert run.status is StepStatus.RAN
    assert build_vm.machine.disk.read_text("/tmp/app.conf") == "port=80\n"
    assert build_vm.machine.disk.run("stat -c %U /tmp/app.conf")[1].strip() == build_vm.user


def test_unrunnable_steps_are_skipped_with_a_reason(tmp_path: Path, build_vm: BuildVm) -> None:
    steps = (
        step("powershell", inline=("Write-Host hi",)),
        step(inline=("sudo reboot",)),
        step(remote=("https://example.invalid/x.sh",)),
        step("shell-local", inline=("echo local",)),
        step("ansible"),
    )
    runs = StepRunner(build_vm.machine.disk, pipeline(tmp_path, *steps), build_vm.user).run_all()
    assert [r.status for r in runs] == [StepStatus.SKIPPED] * 5
    reasons = [r.reason for r in runs]
    assert "Windows only" in reasons[0] and "reboots" in reasons[1] and "does not download" in reasons[2]
    assert "machine running Packer" in reasons[3] and "'ansible'" in reasons[4]


def test_aib_hidden_deprovision_runs_the_default(tmp_path: Path, build_vm: BuildVm) -> None:
    hidden = step("deprovision", hidden=True)
    (run,) = StepRunner(build_vm.machine.disk, pipeline(tmp_path, hidden, tool=Tool.AIB), build_vm.user).run_all()
    assert run.status is StepStatus.RAN, run.output
    assert "AIB's default commands" in run.output
    assert not build_vm.machine.disk.exists("/var/lib/waagent/provisioned")


def test_aib_hidden_deprovision_honours_the_customizers_script(tmp_path: Path, build_vm: BuildVm) -> None:
    override = step(inline=(f"echo 'echo skipping deprovision' > {AIB_DEPROVISION_SCRIPT}",))
    hidden = step("deprovision", hidden=True)
    runs = StepRunner(
        build_vm.machine.disk, pipeline(tmp_path, override, hidden, tool=Tool.AIB), build_vm.user
    ).run_all()
    assert "skipping deprovision" in runs[1].output
    assert build_vm.machine.disk.exists("/var/lib/waagent/provisioned")


def test_a_users_rootfs_is_uploaded_and_registered_both_ways(tmp_path: Path, docker_run: Any) -> None:
    machine = docker_run.machine(docker_run.base_image, role="rootfs-source")
    tarball = tmp_path / "disk.tar"
    subprocess.run(["docker", "export", "-o", str(tarball), machine.id], check=True)
    result = check_rootfs(tarball, seed=4, run=docker_run)
    assert result.os_state is OsState.GENERALIZED
    outcomes = {r.registered_as: r.outcome.status.value for r in result.registrations}
    assert outcomes == {OsState.SPECIALIZED: "provisioning_timeout", OsState.GENERALIZED: "succeeded"}
