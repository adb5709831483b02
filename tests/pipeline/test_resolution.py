"""A failing registration's resolution names the change in the pipeline, not the seed's general advice."""

from pathlib import Path

import pytest
from provsim.pipeline import check_path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("packer/forgot-deprovision-centos.pkr.hcl", ["waagent -force -deprovision+user", "specialized = true"]),
        ("packer/windows-no-sysprep.json", ["Sysprep.exe /oobe /generalize", "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"]),
        ("packer/specialized-but-deprovisioned.pkr.hcl", ["drop specialized = true"]),
        ("aib/override-skips-deprovision-centos.json", ["AIB's own deprovision step", "/tmp/DeprovisioningScript.sh"]),
    ],
)
def test_the_resolution_says_what_to_change(template: str, words: list[str]) -> None:
    (report,) = check_path(FIXTURES / template)
    failed = [r for r in report.registrations if not r.outcome.succeeded]
    assert failed and all(r.resolution and all(w in r.resolution for w in words) for r in failed)


def test_a_vhd_keeps_the_seeds_resolution() -> None:
    (report,) = check_path(FIXTURES / "packer/linux-vhd.json")
    (timeout,) = [r for r in report.registrations if not r.outcome.succeeded]
    assert timeout.resolution == timeout.outcome.resolution is not None
