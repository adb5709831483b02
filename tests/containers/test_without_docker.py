"""The Docker backend's failure paths and pure parts, without an engine (mocks only here)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from provsim.containers import base_image, engine
from provsim.containers.machine import decode_etc, encode_etc
from provsim.containers.provisioners import StepRunner
from provsim.errors import ProvsimError
from provsim.model import OsType
from provsim.pipeline.model import Location, Pipeline, Script, Step, Tool


def test_no_engine_is_one_line_saying_what_to_do() -> None:
    with (
        mock.patch("docker.from_env", side_effect=ConnectionError("Error while fetching server API version\nmore")),
        pytest.raises(ProvsimError) as caught,
    ):
        engine.connect()
    assert caught.value.message == (
        "no Docker engine reachable: Error while fetching server API version; start dockerd or set DOCKER_HOST"
    )


def test_apt_sources_deb822_and_one_line(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb deb-src\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
    )
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://other.invalid/debian trixie main\n")
    recipe = base_image.machine_recipe(tmp_path)
    assert (recipe.suite, recipe.mirror) == ("bookworm", "http://mirror.invalid/debian")
    assert base_image.apt_sources(tmp_path)[-1] == base_image.AptSource("http://other.invalid/debian", "trixie")


def test_no_apt_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProvsimError, match="configure apt with a Debian mirror"):
        base_image.machine_recipe(tmp_path)


def test_recipe_tag_ignores_the_mirror_and_follows_the_content() -> None:
    one = base_image.Recipe("bookworm", mirror="http://a.invalid")
    assert one.tag == base_image.Recipe("bookworm", mirror="http://b.invalid").tag
    assert one.tag != base_image.Recipe("trixie").tag
    assert one.tag != base_image.Recipe("bookworm", packages=("waagent",)).tag


def test_etc_label_round_trip() -> None:
    state = {"/etc/hostname": "web-1\n", "/etc/resolv.conf": None}
    assert decode_etc(encode_etc(state)) == state


def test_skip_step_numbers_the_pipeline_does_not_have_are_refused() -> None:
    from provsim.containers.check import check_skips

    pipeline = Pipeline(
        "t.pkr.hcl", Tool.PACKER, "b", OsType.LINUX, Location("t", 1), [Step("shell", "s", Location("t"))]
    )
    check_skips(pipeline, {1})
    for wrong in (0, 2):
        with pytest.raises(ProvsimError, match=f"--skip-step {wrong}: the pipeline has 1 step"):
            check_skips(pipeline, {wrong})


def test_unreadable_script_is_skipped_not_ignored() -> None:
    pipeline = Pipeline("t.pkr.hcl", Tool.PACKER, "b", OsType.LINUX, Location("t"))
    missing = Step("shell", "s", Location("t", 3), scripts=(Script("gone.sh", None, Location("gone.sh")),))
    runner = StepRunner(mock.Mock(), pipeline, "packer")
    assert runner.cannot_run(missing) == "script gone.sh could not be read"


FEATURE = """\
@container
Feature: needs an engine
  Scenario: a container scenario
    Given a Linux build VM whose OS is specialized
"""


@pytest.mark.parametrize(("required", "outcome"), [("0", "skipped"), ("1", "errors")])
def test_container_scenarios_skip_or_fail_without_an_engine(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, required: str, outcome: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/provsim-docker.sock")
    monkeypatch.setenv(engine.REQUIRE_ENV, required)
    pytester.makefile(".feature", engine_needed=FEATURE)
    pytester.makepyfile(
        "from pytest_bdd import scenarios\nfrom provsim.steps.containers import use_containers\n"
        "use_containers()\nscenarios('engine_needed.feature')\n"
    )
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\nmarkers =\n    container: needs Docker\n")
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines(["*no Docker engine reachable: *; start dockerd or set DOCKER_HOST*"])


def test_the_suite_says_container_scenarios_are_the_slow_part(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After collection, their count and the engine; at the end, their share of the time; none with -m."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/provsim-docker.sock")
    monkeypatch.setenv(engine.REQUIRE_ENV, "0")
    pytester.makefile(".feature", engine_needed=FEATURE)
    pytester.makepyfile(
        "from pytest_bdd import scenarios\nfrom provsim.steps.containers import use_containers\n"
        "use_containers()\nscenarios('engine_needed.feature')\n\ndef test_plain():\n    pass\n"
    )
    pytester.makeini("[pytest]\nbdd_features_base_dir = .\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "provsim: 1 of 2 tests are container scenarios (Docker engine: unix:///nonexistent/provsim-docker.sock*);"
            ' -m "not container" leaves them out',
            "provsim: container scenarios took * s of the * s the tests ran (*%)",
        ]
    )
    quiet = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-m", "not container")
    assert "provsim:" not in quiet.stdout.str().replace("provsim seed", "")
