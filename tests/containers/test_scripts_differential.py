"""The shell interpreter against the real /bin/sh and the real waagent: the Docker backend is the oracle.

A corpus of Linux last steps is generated from constructs (comments, quoting,
branches, lists, functions, loops, nested shells, heredocs, exit) x deprovision
forms (sudo and its options, wrappers, quoted words, a typo, no sudo, an answer
piped in) x gates (environment_vars, files present or absent). Each variant is
built by the memory backend (:func:`provsim.pipeline.build.simulate_build`)
and run for real in a machine started from one committed build VM; the OS state
and whether the step failed must be the same. A variant the memory backend
calls undecided must say so in a warning, and is counted apart.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from provsim.containers.cells import create_build_vm
from provsim.containers.cleanup import Run
from provsim.containers.evidence import observe
from provsim.containers.provisioners import StepRunner, StepStatus
from provsim.containers.stages import capture
from provsim.model import OsState, OsType
from provsim.pipeline.build import simulate_build
from provsim.pipeline.model import Location, Pipeline, Step, Tool
from provsim.platform import Platform

FORMS = (
    "sudo /usr/sbin/waagent -force -deprovision+user",
    "sudo waagent -force -deprovision",
    "sudo -u root waagent -force -deprovision+user",
    'sudo "/usr/sbin/waagent" "-force" "-deprovision+user"',
    "nohup sudo waagent -force -deprovision+user",
    "sudo env PATH=$PATH waagent -force -deprovision+user",
    "sudo -E -H timeout 120 waagent -force -deprovision+user",
    "waagent -force -deprovision+user",
    "sudo waagent -force -deprovison+user",
    "echo y | sudo waagent -deprovision+user",
)

#: A construct turns one command X into the step's inline commands.
CONSTRUCTS: dict[str, tuple[str, ...]] = {
    "plain": ("X",),
    "comment line": ("# X",),
    "comment after": ("echo ok # X",),
    "printf": ("printf '%s\\n' 'X'",),
    "echo quoted": ('echo "X" > /tmp/not-run.sh',),
    "if false": ("if false; then X; fi",),
    "if true": ("if true; then X; fi",),
    "true ||": ("true || X",),
    "false &&": ("false && X",),
    "false && ; true": ("false && X", "true"),
    "true &&": ("true && X",),
    "false ||": ("false || X",),
    "exit 0": ("exit 0", "X"),
    "function called": ("dep() {", "  X", "}", "dep"),
    "function not called": ("dep() { X; }",),
    "for loop": ("for i in 1; do X; done",),
    "piped into sh": ("echo 'X' | sudo sh",),
    "bash -c": ("sudo bash -c 'X'",),
    "heredoc run": ("cat > /tmp/d.sh <<'EOF'", "X", "EOF", "sudo sh /tmp/d.sh"),
    "heredoc data": ("cat > /tmp/d.sh <<'EOF'", "X", "EOF"),
    "subshell": ("( X )",),
    "case": ("case yes in y*) X;; *) echo no;; esac",),
    "then fails": ("X", "false"),
}

#: A gate wraps the step's commands: (line before, line after, environment_vars).
GATES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "env open": ('if [ "$DEPROVISION" = yes ]; then', "fi", ("DEPROVISION=yes",)),
    "env shut": ('if [ "$DEPROVISION" = yes ]; then', "fi", ("DEPROVISION=no",)),
    "marker present": ("if [ -f /var/lib/waagent/provisioned ]; then", "fi", ()),
    "tmp file absent": ("if [ -f /tmp/provsim-absent ]; then", "fi", ()),
    "etc file unknown": ("if [ -f /etc/provsim-no-image-has-this ]; then", "fi", ()),
}


@dataclass(frozen=True)
class Variant:
    name: str
    inline: tuple[str, ...]
    environment_vars: tuple[str, ...] = ()


def corpus() -> list[Variant]:
    """Every construct with every form, then every gate around a few constructs of two forms."""
    variants = [
        Variant(f"{construct} / {form}", tuple(line.replace("X", form) for line in lines))
        for construct, lines in CONSTRUCTS.items()
        for form in FORMS
    ]
    for gate, (before, after, env) in GATES.items():
        for construct in ("plain", "true ||", "function called", "piped into sh", "exit 0"):
            for form in FORMS[:2]:
                body = tuple("  " + line.replace("X", form) for line in CONSTRUCTS[construct])
                variants.append(Variant(f"{gate} / {construct} / {form}", (before, *body, after), env))
    return variants


def pipeline_of(variant: Variant) -> Pipeline:
    step = Step(
        "shell",
        variant.name,
        Location("corpus.pkr.hcl", 1),
        inline=variant.inline,
        inline_lines=tuple(range(2, 2 + len(variant.inline))),
        environment_vars=variant.environment_vars,
    )
    return Pipeline("/tmp/corpus.pkr.hcl", Tool.PACKER, "azure-arm.corpus", OsType.LINUX, Location("c"), [step])


@dataclass(frozen=True)
class Verdict:
    state: OsState | None
    failed: bool
    undecided: bool = False


def in_memory(variant: Variant) -> Verdict:
    build = simulate_build(pipeline_of(variant), seed=7)
    undecided = any("cannot tell" in finding.message for finding in build.findings)
    return Verdict(build.reading.os_state, build.failed_step is not None, undecided)


def test_the_corpus_is_large_and_undecided_variants_say_so() -> None:
    variants = corpus()
    assert len(variants) >= 200
    for variant in variants:
        verdict = in_memory(variant)
        reaches = ("plain", "function called", "piped into sh")
        if variant.name.startswith("etc file unknown") and variant.name.split(" / ")[1] in reaches:
            assert verdict.undecided, variant.name


@pytest.fixture(scope="module")
def build_image(docker_engine: tuple[Any, str]) -> Generator[tuple[Run, str, str], None, None]:
    """One provisioned build VM, committed once; every variant starts a fresh machine from it."""
    client, tag = docker_engine
    with Run(client, tag) as run:
        build_vm = create_build_vm(run, Platform(seed=7), 7)
        image, _ = capture(run, build_vm.machine, build_vm.vm, OsState.SPECIALIZED)
        build_vm.machine.container.remove(force=True)
        yield run, image.tag, build_vm.user


def for_real(run: Run, image: str, user: str, variant: Variant) -> Verdict:
    machine = run.machine(image, role="build")
    try:
        (result,) = StepRunner(machine.disk, pipeline_of(variant), user).run_all()
        return Verdict(observe(machine.container, user).os_state, result.status is StepStatus.FAILED)
    finally:
        machine.container.remove(force=True)


@pytest.mark.container
def test_memory_and_docker_agree_on_every_variant(build_image: tuple[Run, str, str]) -> None:
    run, image, user = build_image
    variants = corpus()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        real = list(pool.map(lambda variant: for_real(run, image, user, variant), variants))
    elapsed = time.monotonic() - started
    disagreements: list[str] = []
    undecided = 0
    for variant, oracle in zip(variants, real, strict=True):
        memory = in_memory(variant)
        if memory.undecided:
            undecided += 1
            continue
        if (memory.state, memory.failed) != (oracle.state, oracle.failed):
            disagreements.append(f"{variant.name}: memory {memory}, docker {oracle}")
    print(
        f"\n{len(variants)} variants, {undecided} undecided in memory, {len(disagreements)} disagreements, "
        f"{elapsed:.1f} s in containers ({elapsed / len(variants):.2f} s per variant)"
    )
    assert not disagreements, "\n".join(disagreements)
