import pytest
from provsim.pipeline.recognise import (
    CloudInitClean,
    Sysprep,
    WaagentDeprovision,
    recognise_line,
    waits_for_image_state,
)
from provsim.pipeline.writes import executed_lines, file_writes, writes_a_file


@pytest.mark.parametrize(
    ("line", "delete_user", "force"),
    [
        ("waagent -deprovision+user", True, False),
        ("waagent -force -deprovision", False, True),
        ("sudo waagent -force -deprovision+user", True, True),
        ("sudo -E /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync", True, True),
        ("apt-get update && /usr/sbin/waagent -deprovision+user -force; sync", True, True),
        ("if true; then waagent -force -deprovision+user; fi", True, True),
    ],
)
def test_waagent_deprovision_forms(line: str, delete_user: bool, force: bool) -> None:
    (effect,) = recognise_line(line)
    assert isinstance(effect, WaagentDeprovision)
    assert (effect.delete_user, effect.force) == (delete_user, force)


@pytest.mark.parametrize(
    "line",
    [
        "# /usr/sbin/waagent -force -deprovision+user",
        "apt-get install -y waagent",
        "waagent -force -deprovison+user",  # a typo is not a deprovision
        "systemctl restart waagent",
        "echo 'waagent -force -deprovision+user' > /tmp/DeprovisioningScript.sh",
    ],
)
def test_lines_that_do_not_deprovision(line: str) -> None:
    assert not any(isinstance(e, WaagentDeprovision) for e in recognise_line(line))


def test_cloud_init_clean_then_deprovision_in_order() -> None:
    effects = recognise_line("sudo cloud-init clean --logs && sudo waagent -force -deprovision+user")
    assert [type(e) for e in effects] == [CloudInitClean, WaagentDeprovision]


@pytest.mark.parametrize(
    ("line", "generalize", "oobe", "quit", "mode_vm"),
    [
        (
            "& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm",
            True,
            True,
            True,
            True,
        ),
        ("C:\\Windows\\system32\\sysprep\\sysprep.exe /generalize /oobe /shutdown", True, True, False, False),
        ("& 'C:\\Windows\\System32\\Sysprep\\Sysprep.exe' /oobe /quit", False, True, True, False),
        ("sysprep.exe /generalize /audit", True, False, False, False),
    ],
)
def test_sysprep_switches(line: str, generalize: bool, oobe: bool, quit: bool, mode_vm: bool) -> None:
    (effect,) = recognise_line(line)
    assert isinstance(effect, Sysprep)
    assert (effect.generalize, effect.oobe, effect.quit, effect.mode_vm) == (generalize, oobe, quit, mode_vm)


def test_the_image_state_wait() -> None:
    loop = (
        "while($true) { $s = (Get-ItemProperty HKLM:\\...\\State).ImageState; "
        "if ($s -eq 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE') { break } }"
    )
    assert waits_for_image_state([loop])
    assert not waits_for_image_state(["Start-Sleep 60"])


def test_file_writes_and_heredocs() -> None:
    lines = ["cat > /tmp/DeprovisioningScript.sh <<'EOF'", "waagent -force -deprovision", "EOF", "sync"]
    (write,) = file_writes(lines)
    assert write.path == "/tmp/DeprovisioningScript.sh" and write.text == "waagent -force -deprovision\n"
    assert executed_lines(lines) == {0, 3}
    assert writes_a_file("echo x >> /etc/motd") and not writes_a_file("echo hello")
