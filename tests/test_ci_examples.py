"""The CI examples under ``examples/``: well-formed, and every provsim command they run is one provsim has.

PyYAML is not among provsim's dependencies, so the files are read with the
small part of YAML they use (mappings, lists, ``key: value`` and ``|`` blocks);
where PyYAML is installed the files are also loaded with it.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from provsim.cli import build_parser

CliRun = Callable[..., tuple[int, str, str]]  # the provsim_cli fixture (tests/conftest.py)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GITHUB = EXAMPLES / "github-actions.yml"
AZURE = EXAMPLES / "azure-pipelines.yml"
_COMMAND_KEY = re.compile(r"^(?P<indent>\s*(?:- )?)(?P<key>run|script): ?(?P<value>.*)$")


def commands(path: Path) -> list[str]:
    """Every shell command the file runs (``run:`` in GitHub Actions, ``script:`` in Azure Pipelines), in order."""
    lines = path.read_text().splitlines()
    found: list[str] = []
    for index, line in enumerate(lines):
        match = _COMMAND_KEY.match(line)
        if not match:
            continue
        value = match["value"].strip()
        if value not in ("|", ">"):
            found.append(value)
            continue
        column = len(match["indent"])  # of the key: a block's lines are indented further
        for block_line in lines[index + 1 :]:
            if block_line.strip() and len(block_line) - len(block_line.lstrip()) <= column:
                break
            if block_line.strip():
                found.append(block_line.strip())
    # 'cd x && provsim ...' and '(...)' hold more than one command
    return [part.strip().strip("()") for command in found for part in command.split("&&")]


def provsim_commands(path: Path) -> list[list[str]]:
    return [argv[1:] for argv in (shlex.split(c) for c in commands(path)) if argv and argv[0] == "provsim"]


@pytest.mark.parametrize("path", [GITHUB, AZURE], ids=["github", "azure"])
def test_every_provsim_command_is_one_provsim_has(path: Path) -> None:
    parser = build_parser()
    ran = provsim_commands(path)
    assert {argv[0] for argv in ran} >= {"check", "baseline"}
    for argv in ran:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{path.name}: 'provsim {shlex.join(argv)}' is not a command provsim has", pytrace=False)


@pytest.mark.parametrize("path", [GITHUB, AZURE], ids=["github", "azure"])
def test_features_and_check_publish_junit_and_sarif(path: Path) -> None:
    text = path.read_text()
    ran = commands(path)
    pytest_runs = [c for c in ran if re.match(r"(python -m )?pytest features/", c)]
    assert pytest_runs and all("--junitxml=reports/" in c for c in pytest_runs), ran
    (check,) = [argv for argv in provsim_commands(path) if argv[0] == "check"]
    junit, sarif = check[check.index("--junit") + 1], check[check.index("--sarif") + 1]
    # provsim check refuses a report whose folder does not exist: an earlier step makes it
    assert ran.index("mkdir -p reports") < ran.index("provsim " + shlex.join(check))
    assert Path(junit).parent == Path(sarif).parent == Path("reports")
    assert sarif in re.findall(r"(?:sarif_file|PathtoPublish): (\S+)", text)  # uploaded
    assert re.search(r"(?:report_paths|testResultsFiles): reports/\*\.xml", text)  # both JUnit files published
    assert "--html" not in text  # no HTML report exists yet


@pytest.mark.parametrize("path", [GITHUB, AZURE], ids=["github", "azure"])
def test_the_baseline_is_recorded_and_diffed_with_the_same_paths(path: Path) -> None:
    ran = provsim_commands(path)
    (record,) = [argv for argv in ran if argv[:2] == ["baseline", "record"]]
    (diff,) = [argv for argv in ran if argv[:2] == ["baseline", "diff"]]
    assert record[2 : record.index("-o")] == diff[2 : diff.index("--against")]
    assert record[record.index("-o") + 1] == diff[diff.index("--against") + 1]


def test_the_structure_of_each_file() -> None:
    for path in (GITHUB, AZURE):
        text = path.read_text()
        assert "\t" not in text, f"{path.name}: YAML takes no tabs"
        top = {line.split(":", 1)[0] for line in text.splitlines() if re.match(r"^[a-z]\w*:", line)}
        expected = {"name", "on", "permissions", "jobs"} if path is GITHUB else {"trigger", "pr", "pool", "steps"}
        assert top == expected, f"{path.name}: top-level keys {sorted(top)}"
        for number, line in enumerate(text.splitlines(), 1):
            indent = len(line) - len(line.lstrip(" "))
            assert indent % 2 == 0, f"{path.name}:{number}: indented by {indent} spaces"


def test_with_pyyaml_the_files_load() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not a provsim dependency")
    workflow = yaml.safe_load(GITHUB.read_text())
    # YAML 1.1 reads the key 'on' as True
    assert set(workflow["jobs"]) == {"provsim", "baseline"} and (workflow.get("on") or workflow.get(True))
    steps = [step.get("run") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(run and "provsim check" in run for run in steps)
    pipeline = yaml.safe_load(AZURE.read_text())
    assert any("provsim check" in step.get("script", "") for step in pipeline["steps"])


def test_the_github_workflow_runs_in_a_repository_of_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provsim_cli: CliRun
) -> None:
    """Its provsim commands, run in order as the runner would (``$RUNNER_TEMP`` a folder of the test's)."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "packer"
    repository, runner_temp = tmp_path / "repository", tmp_path / "runner"
    (repository / "images").mkdir(parents=True)
    shutil.copy(fixtures / "windows.pkr.hcl", repository / "images")
    shutil.copytree(repository, runner_temp / "main")  # what 'git worktree add' checks out
    monkeypatch.chdir(repository)
    statuses = []
    for command in commands(GITHUB):
        argv = shlex.split(command.replace("$RUNNER_TEMP", str(runner_temp)))
        if argv[:2] == ["mkdir", "-p"]:
            Path(argv[2]).mkdir(parents=True, exist_ok=True)
        elif argv[0] == "cd":
            monkeypatch.chdir(argv[1])
        elif argv[0] == "provsim":
            status, _, err = provsim_cli(*argv[1:])
            statuses.append((argv[1], status, err))
            if argv[1] == "check":
                assert (repository / "reports" / "provsim.xml").is_file()
                assert (repository / "reports" / "provsim.sarif").is_file()
            if argv[:2] == ["baseline", "record"]:
                monkeypatch.chdir(repository)  # the next step starts in the checkout again
    assert statuses == [("check", 0, ""), ("baseline", 0, ""), ("baseline", 0, "")]
