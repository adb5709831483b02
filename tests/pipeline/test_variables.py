"""Packer variables from every place Packer reads them, in Packer's order."""

from __future__ import annotations

from pathlib import Path

import pytest
from provsim import ProvsimError
from provsim.pipeline.detect import read_pipelines
from provsim.pipeline.findings import Finding
from provsim.pipeline.variables import PackerVariables
from provsim.rules import rule

TEMPLATE = """
variable "image_name" {
  default = "from-default"
}

variable "os" {
  default = "Linux"
}

source "azure-arm" "golden" {
  os_type            = var.os
  managed_image_name = var.image_name
}

build {
  sources = ["source.azure-arm.golden"]
}
"""


def image_name(folder: Path, given: PackerVariables | None = None, path: Path | None = None) -> str:
    (pipeline,) = read_pipelines(path or folder, given)
    return pipeline.targets[0].name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "golden.pkr.hcl").write_text(TEMPLATE)
    return tmp_path


def test_each_source_wins_over_the_one_before(folder: Path) -> None:
    environment = {"PKR_VAR_image_name": "from-environment", "HOME": "/root"}
    assert image_name(folder) == "from-default"
    assert image_name(folder, PackerVariables(environment=environment)) == "from-environment"
    (folder / "b.auto.pkrvars.hcl").write_text('image_name = "from-b-auto"\n')
    (folder / "a.auto.pkrvars.json").write_text('{"image_name": "from-a-auto"}')
    assert image_name(folder, PackerVariables(environment=environment)) == "from-b-auto", "lexical order"
    named = folder / "prod.pkrvars.hcl"
    named.write_text('image_name = "from-var-file"\n')
    assert image_name(folder, PackerVariables(files=(named,), environment=environment)) == "from-var-file"
    given = PackerVariables({"image_name": "from-var"}, (named,), environment)
    assert image_name(folder, given) == "from-var"


def test_a_variable_can_decide_the_os_type(folder: Path) -> None:
    (pipeline,) = read_pipelines(folder, PackerVariables(environment={"PKR_VAR_os": "Windows"}))
    assert pipeline.os_type.value == "windows"


def test_auto_files_belong_to_a_folder_build(folder: Path) -> None:
    """Packer loads ``*.auto.pkrvars.hcl`` when it builds a folder, not a single file."""
    (folder / "x.auto.pkrvars.hcl").write_text('image_name = "from-auto"\n')
    assert image_name(folder, path=folder / "golden.pkr.hcl") == "from-default"


def test_undeclared_names_in_files_and_environment_are_passed_over(folder: Path) -> None:
    extra = folder / "extra.pkrvars.hcl"
    extra.write_text('client_secret = "x"\nimage_name = "named"\n')
    given = PackerVariables(files=(extra,), environment={"PKR_VAR_nope": "1"})
    assert image_name(folder, given) == "named"


def test_the_older_variables_block(tmp_path: Path) -> None:
    older = TEMPLATE.replace(
        'variable "image_name" {\n  default = "from-default"\n}', 'variables {\n  image_name = "old"\n}'
    )
    (tmp_path / "t.pkr.hcl").write_text(older)
    assert image_name(tmp_path) == "old"
    assert image_name(tmp_path, PackerVariables({"image_name": "new"})) == "new"


def test_a_json_template_takes_var_files_but_not_the_environment(tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text(
        '{"variables": {"image_name": "default"}, "builders": [{"type": "azure-arm", "os_type": "Linux",'
        ' "managed_image_name": "{{user `image_name`}}"}]}'
    )
    values = tmp_path / "values.json"
    values.write_text('{"image_name": "from-file"}')
    assert image_name(tmp_path, PackerVariables(environment={"PKR_VAR_image_name": "env"}), template) == "default"
    assert image_name(tmp_path, PackerVariables(files=(values,)), template) == "from-file"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('image_name = "unterminated\n', "not valid HCL"),
        ('{"image_name": ', "not valid JSON"),
        ('["a"]', "not valid HCL"),
    ],
)
def test_a_bad_var_file_names_itself(folder: Path, content: str, message: str) -> None:
    bad = folder / "bad.pkrvars.hcl"
    bad.write_text(content)
    with pytest.raises(ProvsimError, match=message) as raised:
        read_pipelines(folder, PackerVariables(files=(bad,)))
    assert str(bad) in str(raised.value)


def test_a_template_given_as_a_var_file_is_refused(folder: Path) -> None:
    with pytest.raises(ProvsimError, match=r"a template, not a var file \(it has build, source, variable blocks"):
        read_pipelines(folder, PackerVariables(files=(folder / "golden.pkr.hcl",)))


def test_a_missing_var_file(folder: Path) -> None:
    with pytest.raises(ProvsimError, match="var file not found"):
        read_pipelines(folder, PackerVariables(files=(folder / "absent.pkrvars.hcl",)))


def test_one_file_of_a_folder_alone_is_refused_as_packer_refuses_it() -> None:
    folder = Path(__file__).resolve().parents[2] / "fixtures" / "packer" / "gallery-by-environment"
    with pytest.raises(ProvsimError, match=r"var.image_version is used but not declared.*whole folder"):
        read_pipelines(folder / "build.pkr.hcl")
    (pipeline,) = read_pipelines(folder)
    assert pipeline.targets[0].name == "golden/app/0.2.0", "dev.auto.pkrvars.hcl applies to the folder"


def test_comments_and_escaped_references_are_not_references(tmp_path: Path) -> None:
    """Seen in the plugin's own examples: a commented-out line that names an undeclared variable."""
    (tmp_path / "t.pkr.hcl").write_text(
        TEMPLATE.replace(
            "  managed_image_name = var.image_name\n",
            '  managed_image_name = var.image_name\n  # image_version = "${var.gone}"\n  /* x = "${var.gone}" */\n',
        ).replace(
            'sources = ["source.azure-arm.golden"]',
            'sources = ["source.azure-arm.golden"]\n  provisioner "shell" {\n    inline = ["echo $${var.gone}"]\n  }',
        )
    )
    (pipeline,) = read_pipelines(tmp_path)
    assert pipeline.steps[0].inline == ("echo ${var.gone}",), "Packer hands the shell a literal ${"


def test_an_undeclared_reference_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "t.pkr.hcl").write_text(TEMPLATE.replace("var.image_name", "var.imagename"))
    with pytest.raises(ProvsimError, match=r"t\.pkr\.hcl:12: var\.imagename is used but not declared"):
        read_pipelines(tmp_path)


def test_a_variable_without_a_value_is_a_warning_where_it_is_used(tmp_path: Path) -> None:
    from provsim.pipeline.check import check_path

    (tmp_path / "t.pkr.hcl").write_text(TEMPLATE.replace('  default = "from-default"\n', ""))
    (report,) = check_path(tmp_path)
    (finding,) = _about_the_template(report.findings)
    assert finding.severity.value == "warning" and "'image_name' has no value" in finding.message
    assert finding.location.line == 11
    given = PackerVariables(environment={"PKR_VAR_image_name": "set"})
    assert _about_the_template(check_path(tmp_path, given)[0].findings) == []


def _about_the_template(findings: list[Finding]) -> list[Finding]:
    """Findings about what the template says (the image hygiene ones are about the Ubuntu image it builds)."""
    return [f for f in findings if f.rule is None or not rule(f.rule).name.startswith("hygiene.")]
