"""The command line: output contracts, exit statuses, one-line errors."""

import json
import subprocess
import sys

import pytest

from simulator import OsType, generate_profile
from simulator.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as leave:
        status = int(leave.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_matrix_json_has_exactly_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "matrix", "--format", "json")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 16
    keys = {"os_type", "os_state", "stage", "registered_as", "status", "error_code", "reason", "resolution"}
    assert all(set(row) == keys for row in rows)
    assert {row["status"] for row in rows} == {"succeeded", "provisioning_timeout", "provisioning_failure"}
    assert all((row["error_code"] is None) == (row["status"] == "succeeded") for row in rows)
    assert len({(r["os_type"], r["os_state"], r["stage"], r["registered_as"]) for r in rows}) == 16


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_matrix_for_people(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    status, out, _ = run(capsys, "matrix", "--format", fmt)
    assert status == 0 and out.count("OSProvisioningTimedOut") == 4 and out.count("OSProvisioningClientError") == 4


def test_simulate_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    linux = ["simulate", "--os", "linux", "--os-state", "generalized", "--stage", "capture"]
    ok = run(capsys, *linux, "--as", "generalized")
    bad = run(capsys, *linux, "--as", "specialized")
    assert ok[0] == 0 and "succeeded" in ok[1]
    assert bad[0] == 1 and "OSProvisioningTimedOut" in bad[1] and "20:00" in bad[1]


def test_simulate_json_carries_the_timeline_and_seed(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "--os", "windows", "--os-state", "specialized", "--stage", "upload", "--as", "generalized"]
    status, out, _ = run(capsys, *argv, "--format", "json", "--seed", "9")
    document = json.loads(out)
    assert status == 1 and document["status"] == "provisioning_failure" and document["seed"] == 9
    assert document["timeline"][0]["actor"] == "platform"
    password = generate_profile(OsType.WINDOWS, 9, role="vm").admin_password.reveal()
    assert password not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--os", "solaris", "--os-state", "generalized", "--stage", "upload", "--as", "generalized"],
        ["simulate", "--os", "linux"],
        ["matrix", "--format", "xml"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_arguments_are_one_line_and_status_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_console_script_runs_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "simulate", "--os", "beos"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
