"""The shell interpreter on the constructs of issue 14: what runs deprovisions, what does not, what is undecided."""

from __future__ import annotations

import pytest
from provsim.build import create_build_vm
from provsim.evidence import read_os_state
from provsim.model import OsState, OsType
from provsim.pipeline.model import Location, Pipeline, Step, Tool
from provsim.pipeline.scripts.effects import FileWrite, Undecided, WaagentDeprovision
from provsim.pipeline.scripts.shell import Context
from provsim.pipeline.scripts.steps import run_shell_step
from provsim.platform import Platform

D = "/usr/sbin/waagent -force -deprovision+user"


def run(*inline: str, env: tuple[str, ...] = (), execute: str | None = None) -> tuple[int | None, OsState, Context]:
    vm = create_build_vm(Platform(seed=1), OsType.LINUX, 1)
    user = vm.profile.admin_username if vm.profile else "u"
    step = Step(
        "shell",
        "s",
        Location("t.pkr.hcl", 3),
        inline=inline,
        inline_lines=tuple(range(4, 4 + len(inline))),
        environment_vars=env,
        execute_command=execute,
    )
    pipeline = Pipeline("t.pkr.hcl", Tool.PACKER, "azure-arm.t", OsType.LINUX, Location("t"), [step])
    context = Context(vm.disk, user)
    outcome, _ = run_shell_step(step, pipeline, context)
    return outcome.status, read_os_state(vm.disk, OsType.LINUX, user).os_state, context


@pytest.mark.parametrize(
    "inline",
    [
        (f"echo hi # sudo {D}",),
        (f'printf "sudo {D}\\n"',),
        (f"if false; then sudo {D}; fi",),
        (f"true || sudo {D}",),
        ("exit 0", f"sudo {D}"),
        (f'if [ "$DEPROVISION" = yes ]; then sudo {D}; fi',),
        (f"echo 'sudo {D}' > /tmp/later.sh",),
        ("cat > /tmp/x.sh <<'EOF'", f"sudo {D}", "EOF"),
        (D,),  # as the build user, not root: waagent refuses
    ],
)
def test_what_does_not_deprovision(inline: tuple[str, ...]) -> None:
    _, state, context = run(*inline, env=("DEPROVISION=no",))
    assert state is OsState.SPECIALIZED
    assert not any(r.applied and isinstance(r.effect, WaagentDeprovision) for r in context.records)


@pytest.mark.parametrize(
    "inline",
    [
        (f"sudo {D}",),
        (f'sudo sh -c "{D}"',),
        (f"sudo bash -c '{D}'",),
        (f"sudo -u root {D}",),
        (f"sudo -E -H {D}",),
        (f"nohup sudo {D}",),
        (f"sudo env PATH=$PATH {D}",),
        (f"sudo timeout 60 {D}",),
        (f"time sudo {D}",),
        ("dep() {", f"  sudo {D}", "}", "dep"),
        ("W=/usr/sbin/waagent", "sudo $W -force -deprovision+user"),
        ("for o in -deprovision+user; do sudo /usr/sbin/waagent -force $o; done",),
        (f"echo '{D}' | sudo sh",),
        ('sudo "/usr/sbin/waagent" "-force" "-deprovision+user"',),
        ("cat > /tmp/x.sh <<'EOF'", D, "EOF", "sudo sh /tmp/x.sh"),
        (f'if [ "$DEPROVISION" = yes ]; then sudo {D}; fi',),
        (f"case $DEPROVISION in y*) sudo {D};; *) echo no;; esac",),
        ("echo y | sudo waagent -deprovision+user",),
        (f"[ -f /usr/sbin/waagent ] && sudo {D}",),
    ],
)
def test_what_deprovisions(inline: tuple[str, ...]) -> None:
    status, state, context = run(*inline, env=("DEPROVISION=yes",))
    assert (status, state) == (0, OsState.GENERALIZED), context.records


def test_execute_command_with_sudo_makes_the_script_root() -> None:
    status, state, _ = run(D, execute="chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'")
    assert (status, state) == (0, OsState.GENERALIZED)


def test_sudo_without_E_drops_environment_vars() -> None:
    gate = f'[ "$DEPROVISION" = yes ] && {D} || true'
    _, state, _ = run(gate, env=("DEPROVISION=yes",), execute="chmod +x {{ .Path }}; {{ .Vars }} sudo {{ .Path }}")
    assert state is OsState.SPECIALIZED


def test_set_e_stops_at_a_failing_command_and_the_step_fails() -> None:
    status, state, _ = run("false", f"sudo {D}")
    assert (status, state) == (1, OsState.SPECIALIZED)
    status, state, _ = run(f"sudo {D}", "false")
    assert (status, state) == (1, OsState.GENERALIZED)
    status, state, _ = run("false || true", "false && true", f"sudo {D}")
    assert (status, state) == (0, OsState.GENERALIZED)


def test_an_undecidable_gate_is_undecided_with_its_line_and_not_applied() -> None:
    status, state, context = run(f"[ -f /etc/no-such-file ] && sudo {D} || true")
    assert state is OsState.SPECIALIZED and status is None
    (record,) = context.records
    assert isinstance(record.effect, Undecided) and not record.applied
    assert str(record.effect.place).startswith("t.pkr.hcl:4:")


def test_command_word_from_a_command_substitution_is_undecided() -> None:
    _, state, context = run(f"$(echo sudo) {D}")
    assert state is OsState.SPECIALIZED and isinstance(context.records[0].effect, Undecided)


def test_writes_with_places() -> None:
    _, _, context = run(
        "echo 'one' > /tmp/a",
        "printf 'two\\n' >> /tmp/a",
        "echo three | sudo tee -a /tmp/a >/dev/null",
        "sudo sed -i 's/two/2/' /tmp/a",
    )
    writes = [r.effect for r in context.records if isinstance(r.effect, FileWrite)]
    assert [str(w.place) for w in writes] == ["t.pkr.hcl:4:12", "t.pkr.hcl:5:16", "t.pkr.hcl:6:14", "t.pkr.hcl:7:1"]
    assert context.disk.read_text("/tmp/a") == "one\n2\nthree\n"


def test_dash_echo_interprets_escapes_bash_does_not() -> None:
    _, _, context = run("echo 'a\\nb' > /tmp/e", "bash -c \"echo 'a\\nb' > /tmp/f\"")
    assert context.disk.read_text("/tmp/e") == "a\nb\n"
    assert context.disk.read_text("/tmp/f") == "a\\nb\n"
