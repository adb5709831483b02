"""HCL2 expressions as Packer evaluates them, and the templates that use them."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provsim.errors import ProvsimError
from provsim.pipeline.detect import read_pipelines
from provsim.pipeline.hcl_expressions import evaluate_template
from provsim.pipeline.variables import PackerVariables

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "packer" / "hcl2-features.pkr.hcl"
VALUES: dict[str, dict[str, Any]] = {
    "var": {"n": 3, "names": ["a", "b"], "image": {"os": "Linux"}, "on": True, "env": "prod"},
    "local": {"root": "/r"},
    "path": {"root": "/t"},
}


def look(scope: str, name: str) -> Any:
    return VALUES[scope][name]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("${var.n}", 3),
        ("${var.n + 2 * 3}", 9),
        ("${(var.n + 2) * 3}", 15),
        ("${var.names[1]}", "b"),
        ('${var.image["os"]}', "Linux"),
        ("${var.image.os}", "Linux"),
        ('${lookup(var.image, "missing", "fallback")}', "fallback"),
        ('${var.env == "prod" && var.on ? "golden" : "test"}', "golden"),
        ("${!var.on || var.n > 2}", True),
        ('${join("-", concat(var.names, ["c"]))}', "a-b-c"),
        ('${format("%s-%03d", "web", var.n)}', "web-003"),
        ('${lower("WEB")}-${upper("x")}', "web-X"),
        ('${"quoted \\"and\\" \\u00e9scaped"}', 'quoted "and" éscaped'),
        ("literal $${not.an.interpolation}", "literal ${not.an.interpolation}"),
        ("${[for x in var.names : x]}", "${[for x in var.names : x]}"),
        ("name-${timestamp()}", "name-${timestamp()}"),
        ('${try(timestamp(), "now")}', "now"),
        ("${path.root}/scripts", "/t/scripts"),
    ],
)
def test_expressions(text: str, value: Any) -> None:
    try:
        result = evaluate_template(text, look, {})
    except ProvsimError:
        result = text  # a construct provsim does not evaluate must be refused, never guessed
    assert result == value


def test_env_reads_the_given_environment() -> None:
    assert evaluate_template('${env("STAGE")}', look, {"STAGE": "qa"}) == "qa"


def test_a_list_inside_a_string_is_refused() -> None:
    with pytest.raises(ProvsimError, match="a list inside a string"):
        evaluate_template("names: ${var.names}", look, {})


def test_a_template_with_the_hcl2_features_published_templates_use() -> None:
    environment = {"PROVSIM_DEMO_ENVIRONMENT": "prod"}
    (pipeline,) = read_pipelines(FIXTURE, PackerVariables(environment=environment))
    assert pipeline.os_type.value == "linux"
    (target,) = pipeline.targets
    assert target.name.startswith("golden-web-"), "the build-level source block names the output"
    assert "timestamp()" in target.name, "a timestamp stays as written: only the build knows it"


def test_given_values_are_never_evaluated(tmp_path: Path) -> None:
    (pipeline,) = read_pipelines(FIXTURE, PackerVariables({"environment": '${env("HOME")}'}))
    assert pipeline.targets[0].name.startswith("test-web-"), "the given value is taken as written"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet='${}[]()"\\.,:?!=<>&|+-*/% abcvarlocalpath0123456789_', max_size=60))
def test_any_text_is_evaluated_or_refused(text: str) -> None:
    """Only the project's error may escape, whatever a template writes between ``${`` and ``}``."""
    with suppress(ProvsimError):
        evaluate_template(text, lambda scope, name: name, {})
