"""Many pipelines on every core: the same report with one worker or many, progress on a terminal only.

The CLI runs in a subprocess: the pool forks, and a test process may hold
threads (pytest-xdist's) that a fork must not copy.
"""

from __future__ import annotations

import copy
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from provsim.pipeline.parallel import PARALLEL_FROM

ROOT = Path(__file__).resolve().parents[2]
MANY = PARALLEL_FROM + 8


def arm_template(tmp_path: Path, count: int = MANY) -> Path:
    """``fixtures/aib/windows-arm.json``'s image template ``count`` times, each under its own names."""
    document = json.loads((ROOT / "fixtures/aib/windows-arm.json").read_text())
    (template,) = document["resources"]
    document["resources"] = []
    for index in range(count):
        resource = copy.deepcopy(template)
        resource["name"] = f"iis-{index}"
        for output in resource["properties"]["distribute"]:
            output["runOutputName"] = f"{output['runOutputName']}-{index}"
        document["resources"].append(resource)
    path = tmp_path / "many.json"
    path.write_text(json.dumps(document))
    return path


def check(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provsim.cli", "check", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_one_worker_or_two_give_the_same_report_in_the_order_read(tmp_path: Path) -> None:
    template = arm_template(tmp_path)
    alone, pooled = check(str(template), "--format", "json", "--jobs", "1"), check(str(template), "--format", "json")
    assert (alone.returncode, pooled.returncode) == (0, 0)
    assert pooled.stdout == alone.stdout
    names = [pipeline["name"] for pipeline in json.loads(pooled.stdout)["pipelines"]]
    assert names == [f"iis-{index}" for index in range(MANY)]
    assert pooled.stderr == ""  # not a terminal: no progress line


def test_progress_shows_on_a_terminal_and_is_erased(tmp_path: Path) -> None:
    template = arm_template(tmp_path)
    control, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "provsim.cli", "check", str(template), "--format", "json", "--jobs", "2"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=300,
        )
        os.close(terminal)
        terminal = -1
        shown = b""
        while chunk := _read(control):
            shown += chunk
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(control)
    assert result.returncode == 0
    assert f"provsim: built {MANY} of {MANY} pipelines".encode() in shown
    assert shown.endswith(b"\r\x1b[K")  # the line is gone before the report
    assert result.stdout == check(str(template), "--format", "json").stdout


def test_jobs_must_be_a_count_of_processes(tmp_path: Path) -> None:
    result = check("fixtures/packer/web.pkr.hcl", "--jobs", "0")
    assert result.returncode == 2
    assert result.stderr == "provsim: --jobs 0: give a number of processes, 1 or more\n"


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 65536)
    except OSError:  # EIO: the terminal's other side is closed and drained
        return b""


def test_a_bad_template_read_by_a_worker_is_refused_as_by_one_process(tmp_path: Path) -> None:
    """The pool's workers read their own AIB templates: the first bad one still gives the one line, masked."""
    template = arm_template(tmp_path, MANY * 2)
    document = json.loads(template.read_text())
    document["parameters"] = {"secret": {"type": "secureString", "defaultValue": "Unshown-Passw0rd!"}}
    document["resources"][MANY]["properties"]["customize"] = [{"type": "Unshown-Passw0rd!"}]
    document["resources"][MANY + 5]["properties"]["distribute"] = 5  # a later mistake: never the one reported
    template.write_text(json.dumps(document, indent=1))
    alone, pooled = check(str(template), "--jobs", "1"), check(str(template), "--jobs", "2")
    assert (alone.returncode, pooled.returncode) == (2, 2)
    assert pooled.stderr == alone.stderr
    assert pooled.stderr.count("\n") == 1 and "Traceback" not in pooled.stderr
    assert "unknown customizer type '<sensitive>'" in pooled.stderr
    assert pooled.stdout == alone.stdout == ""


def test_templates_left_unread_read_into_the_pipelines_of_the_file() -> None:
    from provsim.pipeline.detect import pipelines_to_read, read, read_pipelines

    path = ROOT / "fixtures/aib/windows-arm.json"
    (unread,) = pipelines_to_read(path)
    unread.linux_agent = "cloud-init"
    assert unread.sensitive == frozenset()
    pipeline = read(unread)
    assert read(pipeline) is pipeline
    assert pipeline.linux_agent == "cloud-init"
    pipeline.linux_agent = None
    assert [pipeline] == read_pipelines(path)


def test_text_and_report_files_are_the_same_from_one_process_or_the_pool(tmp_path: Path) -> None:
    """Workers render each report and send back only what the calling process prints and counts."""
    template = arm_template(tmp_path)
    document = json.loads(template.read_text())
    document["parameters"] = {"secret": {"type": "secureString", "defaultValue": "Unshown-Passw0rd!"}}
    document["resources"][3]["name"] = "Unshown-Passw0rd!"  # the template's name is in the text and SARIF
    template.write_text(json.dumps(document, indent=1))
    outputs = []
    for jobs in ("1", "2"):
        sarif = tmp_path / f"findings-{jobs}.sarif"
        result = check(str(template), "--jobs", jobs, "--sarif", str(sarif), "--fail-on", "warning")
        outputs.append((result.returncode, result.stdout, result.stderr, sarif.read_text()))
    assert outputs[0] == outputs[1]
    _, text, _, sarif_text = outputs[1]
    assert "Unshown-Passw0rd!" not in text + sarif_text
    assert "(aib <sensitive>)" in text
    assert f"{MANY} pipelines" in text.splitlines()[-1]
