"""The command line: output contracts, exit statuses, one-line errors."""

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from provsim import OsType, generate_profile

CliRun = Callable[..., tuple[int, str, str]]  # the provsim_cli fixture (tests/conftest.py)


def test_matrix_json_has_exactly_the_contract_keys(provsim_cli: CliRun) -> None:
    status, out, _ = provsim_cli("matrix", "--format", "json")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 16
    keys = {"os_type", "os_state", "stage", "registered_as", "status", "error_code", "reason", "resolution"}
    assert all(set(row) == keys for row in rows)
    assert {row["status"] for row in rows} == {"succeeded", "provisioning_timeout", "provisioning_failure"}
    assert all((row["error_code"] is None) == (row["status"] == "succeeded") for row in rows)
    assert len({(r["os_type"], r["os_state"], r["stage"], r["registered_as"]) for r in rows}) == 16


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_matrix_for_people(provsim_cli: CliRun, fmt: str) -> None:
    status, out, _ = provsim_cli("matrix", "--format", fmt)
    assert status == 0 and out.count("OSProvisioningTimedOut") == 4 and out.count("OSProvisioningClientError") == 4


def test_simulate_exit_statuses(provsim_cli: CliRun) -> None:
    linux = ["simulate", "--os", "linux", "--os-state", "generalized", "--stage", "capture"]
    ok = provsim_cli(*linux, "--as", "generalized")
    bad = provsim_cli(*linux, "--as", "specialized")
    assert ok[0] == 0 and "succeeded" in ok[1]
    assert bad[0] == 1 and "OSProvisioningTimedOut" in bad[1] and "20:00" in bad[1]


def test_simulate_json_carries_the_timeline_and_seed(provsim_cli: CliRun) -> None:
    argv = ["simulate", "--os", "windows", "--os-state", "specialized", "--stage", "upload", "--as", "generalized"]
    status, out, _ = provsim_cli(*argv, "--format", "json", "--seed", "9")
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
def test_bad_arguments_are_one_line_and_status_2(provsim_cli: CliRun, argv: list[str]) -> None:
    status, out, err = provsim_cli(*argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_console_script_runs_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "provsim.cli", "simulate", "--os", "beos"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_version_and_examples(provsim_cli: Any) -> None:
    status, out, _ = provsim_cli("--version")
    assert status == 0 and out.startswith("provsim ")
    status, out, _ = provsim_cli("--help")
    assert status == 0 and "examples:" in out and "provsim check images/linux/ubuntu.pkr.hcl" in out


def test_a_pull_the_engine_cannot_do_is_one_line_and_exit_2() -> None:
    """A failure path, so the engine is a stand-in: no pull is ever attempted for real (no registry here)."""
    import docker
    from provsim.containers import base_image
    from provsim.errors import ProvsimError

    class Images:
        def pull(self, reference: str) -> None:
            raise docker.errors.APIError("500 Server Error: no registry reachable")

    class Client:
        images = Images()

    with pytest.raises(ProvsimError, match=r"could not pull it .*provsim base-image build"):
        recipe = base_image.Recipe(suite="bookworm")
        base_image.pull(Client(), "example/provsim-base:1", recipe, progress=lambda _: None)
