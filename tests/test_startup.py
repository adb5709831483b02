"""What a start of provsim imports: nothing heavy before it is needed.

Checked by module name in a fresh interpreter (``sys.modules`` after the
command), never by time: timings are benchmarks' business
(``benchmarks/check_speed.py``, ``benchmarks/suite_speed.py``). Each of
these costs 20-130 ms when imported (``python -X importtime``): Faker (the
OS profiles), python-hcl2 and Lark (HCL templates), the Docker SDK and
testinfra (the Docker backend), tree-sitter (scripts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("faker", "hcl2", "lark", "docker", "testinfra", "tree_sitter", "tree_sitter_bash", "tree_sitter_powershell")

CLI = """\
import contextlib, io, json, sys
from provsim.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        status = main(sys.argv[1:])
    except SystemExit as leave:
        status = leave.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""

PYTEST = """\
import json, sys
import pytest

class Loaded:
    def pytest_sessionfinish(self):
        self.modules = sorted(sys.modules)

loaded = Loaded()
status = pytest.main(sys.argv[1:], plugins=[loaded])
print(json.dumps({"status": int(status), "modules": loaded.modules}))
"""


def loaded_after(script: str, *argv: str, cwd: Path = ROOT) -> tuple[int, set[str]]:
    """The exit status and the top-level names of the modules a fresh interpreter holds after ``script``."""
    result = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["status"], set(report["modules"])


def heavy(modules: set[str]) -> set[str]:
    return {name for name in HEAVY if name in modules}


def test_help_imports_nothing_heavy() -> None:
    status, modules = loaded_after(CLI, "--help")
    assert status == 0
    assert heavy(modules) == set()


def test_check_help_imports_nothing_heavy() -> None:
    status, modules = loaded_after(CLI, "check", "--help")
    assert status == 0
    assert heavy(modules) == set()


def test_only_version_reads_the_installed_metadata() -> None:
    """importlib.metadata (and the email package it brings) is for ``--version``: 15-35 ms every other start."""
    _, modules = loaded_after(CLI, "--version")
    assert "importlib.metadata" in modules
    for argv in (["--help"], ["check", "fixtures/packer/linux-vhd.json"]):
        _, modules = loaded_after(CLI, *argv)
        assert {"importlib.metadata", "email"} & modules == set(), argv


def test_a_subcommand_imports_its_own_module_only() -> None:
    """``check`` builds its own options, not those of ``matrix``, ``steps`` (ast) or ``rules``; ``--help`` none."""
    _, modules = loaded_after(CLI, "--debug", "check", "fixtures/packer/linux-vhd.json")
    assert {name for name in modules if name.startswith("provsim.commands.")} == {"provsim.commands.check"}
    _, modules = loaded_after(CLI, "--help")
    assert {name for name in modules if name.startswith("provsim.commands.")} == set()


@pytest.mark.parametrize("template", ["fixtures/packer/linux-vhd.json", "fixtures/aib/windows-arm.json"])
def test_check_of_a_json_template_leaves_hcl_and_the_engine_alone(template: str) -> None:
    """A JSON template needs no HCL grammar and no engine. Faker does load: a check creates VMs with OS profiles."""
    status, modules = loaded_after(CLI, "check", template)
    assert status in (0, 1)
    assert heavy(modules) & {"hcl2", "lark", "docker", "testinfra"} == set()
    assert "provsim.pipeline.packer_hcl" not in modules  # HCL's reader and its expressions (3 ms)
    if "linux" in template:  # PowerShell's reader is for Windows steps
        assert "provsim.pipeline.scripts.powershell" not in modules
    assert "multiprocessing" not in modules  # the process pool is for many pipelines only


def test_a_check_loads_the_part_of_faker_a_profile_uses() -> None:
    """Faker's generator and four providers, not ``Faker()``'s proxy with every provider and locale."""
    _, modules = loaded_after(CLI, "check", "fixtures/packer/linux-vhd.json")
    assert "faker.generator" in modules
    assert {"faker.proxy", "faker.config", "faker.providers.address", "faker.providers.date_time"} & modules == set()
    # internet's and misc's providers, for one method each, would bring Faker's transliteration table, tarfile,
    # zipfile and csv (about 20 ms): provsim carries those two methods (tests/test_profile.py compares them).
    assert {
        "faker.decode",
        "faker.providers.internet",
        "faker.providers.misc",
        "tarfile",
        "zipfile",
        "csv",
    } & modules == set()


def test_faker_stays_whole_for_whoever_imports_it_after_a_profile() -> None:
    """The package's ``__init__`` was only put off: ``from faker import Faker`` runs it and works."""
    script = """\
import json, sys
from provsim import OsType, generate_profile
generate_profile(OsType.LINUX, 0)
before = "faker.proxy" in sys.modules
from faker import Faker
print(json.dumps({"status": int(before), "modules": [Faker().name()]}))
"""
    before, (name,) = loaded_after(script)
    assert before == 0 and name


def test_check_of_an_hcl_template_loads_the_grammar_but_not_the_engine() -> None:
    status, modules = loaded_after(CLI, "check", "fixtures/packer/web.pkr.hcl")
    assert status in (0, 1)
    assert {"hcl2", "lark"} <= modules
    assert heavy(modules) & {"docker", "testinfra"} == set()
    # Lark imports the regex module where it is installed, for grammars that use it; python-hcl2's does not.
    assert "regex._regex_core" not in modules


def test_regex_stays_whole_for_whoever_uses_it_after_an_hcl_template() -> None:
    """Its ``__init__`` was only put off (hcl_grammar._defer_hcl2_init): Lark's ``regex=True`` grammars still work."""
    pytest.importorskip("regex")
    script = """\
import json
from provsim.pipeline.hcl_grammar import loads
loads('a = "b"\\n')
import lark, regex
parser = lark.Lark('start: /\\\\p{Lu}+/', regex=True, parser="lalr")
print(json.dumps({"status": 0, "modules": [str(parser.parse("AB").children[0]), regex.sub("b", "c", "ab")]}))
"""
    _, modules = loaded_after(script)
    assert modules == {"AB", "ac"}


def test_the_plugin_registers_without_the_engine_parts(tmp_path: Path) -> None:
    """pytest with provsim's plugin: its steps and fixtures, but no Docker SDK, testinfra or container module.

    Faker's and testinfra's own pytest plugins are turned off: they import their packages whatever provsim does.
    """
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    status, modules = loaded_after(
        PYTEST, "-q", "-p", "no:cacheprovider", "-p", "no:faker", "-p", "no:pytest11.testinfra", cwd=tmp_path
    )
    assert status == 0
    assert "provsim.steps.plugin" in modules
    assert heavy(modules) == set()
    # provsim.containers.engine is labels and settings only (it imports the SDK inside its functions).
    assert {name for name in modules if name.startswith("provsim.containers.")} <= {"provsim.containers.engine"}


def test_only_a_main_that_owns_the_process_leaves_its_heap_to_the_exit() -> None:
    """The console script's main collects less often and freezes what is alive at its end; main(argv) does neither."""
    script = """\
import contextlib, gc, io, json, sys
from provsim.cli import COLLECTOR_THRESHOLDS, main
with contextlib.redirect_stdout(io.StringIO()):
    main(["check", "fixtures/packer/linux-vhd.json"])
    given = [gc.get_freeze_count(), gc.get_threshold()]
    sys.argv = ["provsim", "check", "fixtures/packer/linux-vhd.json"]
    main()
owned = [gc.get_freeze_count() > 0, gc.get_threshold() == COLLECTOR_THRESHOLDS]
print(json.dumps({"status": 0, "modules": [json.dumps(given), json.dumps(owned)]}))
"""
    _, shown = loaded_after(script)
    assert shown == {json.dumps([0, [700, 10, 10]]), json.dumps([True, True])}


DATACLASS_METHODS = """\
import contextlib, dataclasses, hashlib, inspect, json, marshal, sys
from provsim.startup import compiled_dataclass_methods
with compiled_dataclass_methods() if sys.argv[1] == "cached" else contextlib.nullcontext():
    import provsim.pipeline.check, provsim.pipeline.detect, provsim.cells, provsim.render
    @dataclasses.dataclass
    class Theirs:
        x: int = 1
methods = {}
for name, module in sorted(sys.modules.items()):
    for cls in [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == name]:
        if name.startswith("provsim.") and dataclasses.is_dataclass(cls):
            for attr, function in vars(cls).items():
                if inspect.isfunction(function) and function.__code__.co_filename == "<string>":
                    code = hashlib.sha256(marshal.dumps(function.__code__)).hexdigest()
                    shown = f"{code} {function.__annotations__} {function.__defaults__}"
                    methods[f"{name}.{cls.__name__}.{attr}"] = shown
print(json.dumps({"status": int(hasattr(dataclasses, "exec")), "modules": [f"{k}: {v}" for k, v in methods.items()]}))
"""


def test_dataclasses_made_with_cached_methods_are_those_python_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The methods' code, annotations and defaults, byte for byte, with an empty cache, a filled one, and none."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    from provsim.startup import methods_file

    _, plain = loaded_after(DATACLASS_METHODS, "plain")
    assert len(plain) > 150
    assert methods_file() is not None and not methods_file().exists()
    for _ in ("filling", "filled"):
        left_exec, cached = loaded_after(DATACLASS_METHODS, "cached")
        assert cached == plain
        assert left_exec == 0  # dataclasses' own namespace is as it was after the block
    text = methods_file().read_bytes()
    assert b"Theirs" not in text  # a dataclass of anyone else is made as Python makes it, and not kept


def test_a_damaged_or_shared_cache_of_methods_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from provsim import startup

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = startup.methods_file()
    assert path is not None
    startup.write_checked(path, b"dataclass methods", b"payload")
    assert startup.read_checked(path, b"dataclass methods") == b"payload"
    assert startup.read_checked(path, b"hcl2 parser") is None  # another kind of file: damaged as far as this goes
    assert not path.exists()
    startup.write_checked(path, b"dataclass methods", b"payload")
    path.chmod(0o666)
    assert startup.read_checked(path, b"dataclass methods") is None
    path.chmod(0o600)
    content = bytearray(path.read_bytes())
    content[-1] ^= 0x01
    path.write_bytes(bytes(content))
    assert startup.read_checked(path, b"dataclass methods") is None
    assert not path.exists()


def test_only_the_command_line_keeps_compiled_methods(tmp_path: Path) -> None:
    """``main()`` of the console script fills the cache; ``main(argv)`` (tests, tools) and ``--help`` do not."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "provsim.cli"]
    subprocess.run([*cli, "--help"], cwd=ROOT, env=env, capture_output=True, check=True)
    called = "from provsim.cli import main; main(['check', 'fixtures/packer/linux-vhd.json'])"
    subprocess.run([sys.executable, "-c", called], cwd=ROOT, env=env, capture_output=True, check=True)
    assert not list(tmp_path.glob("provsim/dataclass-methods-*"))
    runs = [
        subprocess.run([*cli, "check", "fixtures/packer/linux-vhd.json"], cwd=ROOT, env=env, capture_output=True)
        for _ in range(2)
    ]
    assert list(tmp_path.glob("provsim/dataclass-methods-*"))
    assert runs[0].stdout and {(run.returncode, run.stdout, run.stderr) for run in runs} == {
        (runs[0].returncode, runs[0].stdout, runs[0].stderr)
    }


OS_PROFILES = """\
import json, sys
from provsim.model import OsType
from provsim.profile import generate_profile
from provsim.startup import kept_os_profiles
with kept_os_profiles():
    drawn = [generate_profile(os_type, seed, role) for os_type in OsType for seed in (0, 3) for role in ("vm", "build")]
shown = [f"{p.computer_name} {p.admin_username} {p.admin_password.reveal()}" for p in drawn]
print(json.dumps({"status": int("faker.generator" in sys.modules), "modules": shown}))
"""


def test_kept_os_profiles_are_those_faker_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty cache, a filled one (Faker not loaded at all) and a damaged one give Faker's own profiles."""
    from provsim.model import OsType
    from provsim.profile import _faker, profile_from
    from provsim.startup import profiles_file

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fakers = {
        f"{p.computer_name} {p.admin_username} {p.admin_password.reveal()}"
        for p in (
            profile_from(_faker(), os_type, seed, role)
            for os_type in OsType
            for seed in (0, 3)
            for role in ("vm", "build")
        )
    }
    path = profiles_file()
    assert path is not None and not path.exists()
    assert loaded_after(OS_PROFILES) == (1, fakers)
    assert path.exists()
    assert loaded_after(OS_PROFILES) == (0, fakers)
    content = bytearray(path.read_bytes())
    content[-1] ^= 0x01
    path.write_bytes(bytes(content))
    assert loaded_after(OS_PROFILES) == (1, fakers)
    assert loaded_after(OS_PROFILES) == (0, fakers)


def test_patterns_made_from_kept_code_are_those_re_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pattern checks of the three kinds of template compile, made from the cache, equals re's own.

    ``re.Pattern`` equality compares the text, the flags and the engine's code word for word.
    """
    import re
    import warnings

    from provsim import startup

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for template in ("fixtures/packer/web.pkr.hcl", "fixtures/packer/linux-vhd.json", "fixtures/aib/windows-arm.json"):
        subprocess.run([sys.executable, "-m", "provsim.cli", "check", template], cwd=ROOT, env=env, check=False)
    kept = startup._load_patterns(startup.patterns_file())
    assert len(kept) > 100
    compiler = re._compiler  # type: ignore[attr-defined]
    plain = {key: compiler.compile(*key) for key in kept}
    with startup.compiled_patterns():
        cached = {key: compiler.compile(*key) for key in kept}
        with pytest.warns(FutureWarning):  # a pattern whose parse warns is never kept: it warns each time
            re.compile("[[a]")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for key, pattern in plain.items():
                assert cached[key] == pattern
                assert (cached[key].groups, cached[key].groupindex) == (pattern.groups, pattern.groupindex)
    assert compiler.compile.__module__ == "re._compiler"  # put back after the block
    assert ("[[a]", 0) not in startup._load_patterns(startup.patterns_file())


def test_a_bad_pattern_or_another_re_compiles_as_re_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """re's own error for a bad pattern; a Python whose re has no such internals compiles without the cache."""
    import re

    from provsim import startup

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with startup.compiled_patterns(), pytest.raises(re.error, match="missing \\)"):
        re.compile("provsim-(unclosed")

    class OtherCompiler:  # re's compiler as another Python might make it: no _code
        def __getattr__(self, name: str) -> object:
            if name == "_code":
                raise AttributeError(name)
            return getattr(compiler, name)

    compiler = re._compiler  # type: ignore[attr-defined]
    monkeypatch.setattr(re, "_compiler", OtherCompiler())
    with startup.compiled_patterns():
        assert re.compile("provsim-[a-z]+-other-re").match("provsim-ok-other-re")
    assert not startup.patterns_file().exists() or ("provsim-[a-z]+-other-re", 0) not in startup._load_patterns(
        startup.patterns_file()
    )
