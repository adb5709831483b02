"""Readers: every dialect, its variables and paths, and the inputs provsim refuses."""

import json
from pathlib import Path

import pytest
from provsim import OsType, ProvsimError
from provsim.pipeline.detect import read_pipelines
from provsim.pipeline.model import TargetKind, Tool
from provsim.pipeline.variables import PackerVariables

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_packer_hcl_with_variables_locals_and_path_root() -> None:
    (pipeline,) = read_pipelines(FIXTURES / "packer" / "web.pkr.hcl")
    assert (pipeline.tool, pipeline.os_type, pipeline.name) == (Tool.PACKER, OsType.LINUX, "web")
    assert [t.name for t in pipeline.targets] == ["web-1.0.0"]
    assert [s.kind for s in pipeline.steps] == ["shell", "file", "shell"]
    script = pipeline.steps[0].scripts[0]
    assert script.text is not None and "nginx" in script.text
    assert pipeline.steps[2].execute_command == "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    assert pipeline.steps[2].location.line == 51
    assert pipeline.steps[2].inline_lines == (54, 55)
    assert [where.line for _, where in pipeline.steps[2].texts()] == [54, 55]


def test_var_overrides_and_unknown_variables() -> None:
    (pipeline,) = read_pipelines(FIXTURES / "packer" / "web.pkr.hcl", PackerVariables({"image_version": "9.9.9"}))
    assert pipeline.targets[0].name == "web-9.9.9"
    with pytest.raises(ProvsimError, match="no such variable"):
        read_pipelines(FIXTURES / "packer" / "web.pkr.hcl", PackerVariables({"nope": "1"}))


def test_a_folder_with_several_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.pkr.hcl").write_text(
        'source "azure-arm" "a" {\n  os_type = "Linux"\n  managed_image_name = "a"\n}\n'
        'source "azure-arm" "b" {\n  os_type = "Windows"\n  managed_image_name = "b"\n}\n'
        'source "amazon-ebs" "c" {\n  ami_name = "c"\n}\n'
    )
    (tmp_path / "build.pkr.hcl").write_text(
        'build {\n  sources = ["source.azure-arm.a", "source.azure-arm.b", "source.amazon-ebs.c"]\n'
        '  provisioner "shell" {\n    only = ["azure-arm.a"]\n'
        '    inline = ["sudo waagent -force -deprovision+user"]\n  }\n}\n'
    )
    pipelines = read_pipelines(tmp_path)
    assert [(p.name, p.os_type) for p in pipelines] == [("a", OsType.LINUX), ("b", OsType.WINDOWS)]
    assert len(pipelines[0].steps) == 1 and pipelines[1].steps == []


def test_packer_json_user_variables() -> None:
    (pipeline,) = read_pipelines(FIXTURES / "packer" / "windows-no-sysprep.json", PackerVariables({"image_name": "x"}))
    assert pipeline.os_type is OsType.WINDOWS and pipeline.targets[0].name == "x"
    assert [s.kind for s in pipeline.steps] == ["powershell", "windows-restart"]


def test_aib_bare_and_arm_wrapped() -> None:
    (bare,) = read_pipelines(FIXTURES / "aib" / "ubuntu.json")
    assert bare.tool is Tool.AIB and bare.os_type is OsType.LINUX
    assert bare.steps[-1].hidden and bare.steps[-1].destination == "/tmp/DeprovisioningScript.sh"
    assert bare.steps[1].remote == ("https://example.invalid/index.html",)
    (wrapped,) = read_pipelines(FIXTURES / "aib" / "windows-arm.json")
    assert wrapped.name == "win2022-iis" and wrapped.os_type is OsType.WINDOWS
    assert [t.kind for t in wrapped.targets] == [TargetKind.GALLERY_IMAGE, TargetKind.VHD]
    assert [s.kind for s in wrapped.steps] == ["powershell", "windows-restart", "windows-update", "deprovision"]


AIB = {
    "type": "Microsoft.VirtualMachineImages/imageTemplates",
    "properties": {
        "source": {"type": "PlatformImage", "publisher": "Canonical"},
        "customize": [{"type": "Ansible", "name": "x"}],
        "distribute": [],
    },
}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("truncated.pkr.hcl", 'source "azure-arm" "a" {\n  os_type = "Linux"\n', "not valid HCL"),
        ("truncated.json", '{"builders": [{"type": "azure-arm",', "truncated.json:1:"),
        ("aws.json", json.dumps({"builders": [{"type": "amazon-ebs"}]}), "no azure-arm builder"),
        ("aib.json", json.dumps(AIB), "unknown customizer type 'Ansible'"),
        ("bsd.json", json.dumps({"builders": [{"type": "azure-arm", "os_type": "FreeBSD"}]}), "os_type is 'FreeBSD'"),
        ("other.json", json.dumps({"hello": "world"}), "neither a Packer template"),
        (
            "missing.pkr.hcl",
            'source "azure-arm" "a" {\n  os_type = "Linux"\n}\nbuild {\n  sources = ["source.azure-arm.a"]\n'
            '  provisioner "shell" {\n    script = "nope.sh"\n  }\n}\n',
            "missing.pkr.hcl:7: ",
        ),
    ],
)
def test_bad_inputs_are_one_line_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ProvsimError) as raised:
        read_pipelines(path)
    assert message in raised.value.message and "\n" not in raised.value.message
    assert str(path) in raised.value.message


def test_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "image.vhd"
    binary.write_bytes(b"conectix\0\0\x01\x02")
    with pytest.raises(ProvsimError, match="binary file"):
        read_pipelines(binary)
    with pytest.raises(ProvsimError, match="not found"):
        read_pipelines(tmp_path / "absent.pkr.hcl")


def test_shapes_seen_in_published_templates(tmp_path: Path) -> None:
    """Unquoted provisioner labels, ``only`` by builder type (which Packer skips), locals, "sources." prefix."""
    (tmp_path / "vm.pkr.hcl").write_text(
        "locals {\n  execute_command = \"chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'\"\n}\n"
        'source "azure-arm" "vm" {\n  os_type = "Linux"\n  managed_image_name = "baseline"\n}\n'
        'build {\n  sources = ["sources.azure-arm.vm"]\n\n'
        "  provisioner shell {\n    execute_command = local.execute_command\n"
        '    inline = ["apt update"]\n  }\n\n'
        "  provisioner shell {\n    execute_command = local.execute_command\n"
        '    inline = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"]\n'
        '    only = ["azure-arm"]\n  }\n}\n'
    )
    (pipeline,) = read_pipelines(tmp_path)
    assert pipeline.steps[0].execute_command is not None and "sudo -E" in pipeline.steps[0].execute_command
    # Packer's OnlyExcept.Skip compares whole names ("azure-arm.vm"): only = ["azure-arm"] runs on no source.
    assert [step.location.line for step in pipeline.steps] == [11]
    ((message, where),) = pipeline.skipped
    assert where.line == 16 and 'only = ["azure-arm.vm"]' in message


@pytest.mark.parametrize("kind", ["Microsoft.VirtualMachineImages", None])
def test_aib_type_spelled_as_the_provider_only_or_left_out(tmp_path: Path, kind: str | None) -> None:
    """AIB's VHD quick start writes "type": "Microsoft.VirtualMachineImages"; its validator sample has none."""
    path = tmp_path / "vhd.json"
    template = {
        "type": kind,
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "Canonical", "offer": "UbuntuServer"},
            "customize": [{"type": "Shell", "name": "hello", "scriptUri": "https://example.invalid/s.sh"}],
            "distribute": [{"type": "VHD", "runOutputName": "vhd"}],
        },
    }
    path.write_text(json.dumps({k: v for k, v in template.items() if v is not None}))
    (pipeline,) = read_pipelines(path)
    assert pipeline.tool is Tool.AIB and [t.kind for t in pipeline.targets] == [TargetKind.VHD]


def test_a_provisioners_timeout_is_read_as_packer_reads_it(tmp_path: Path) -> None:

    template = tmp_path / "t.pkr.hcl"
    template.write_text(
        'source "azure-arm" "x" {\n  os_type = "Linux"\n  managed_image_name = "x"\n}\n'
        'build {\n  sources = ["source.azure-arm.x"]\n'
        '  provisioner "shell" {\n    timeout = "1h2m30s"\n    inline = ["true"]\n  }\n'
        '  provisioner "shell" {\n    inline = ["true"]\n  }\n}\n'
    )
    (pipeline,) = read_pipelines(template)
    assert [step.timeout for step in pipeline.steps] == [3750.0, None]


LAYOUT = Path(__file__).resolve().parents[2] / "fixtures" / "packer" / "repo-layout"


def test_relative_scripts_resolve_from_where_packer_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Packer reads ``images/linux/scripts/x.sh`` from its working folder, the repository's root here."""
    monkeypatch.chdir(LAYOUT)
    (pipeline,) = read_pipelines(Path("images/linux/ubuntu.json"))
    assert pipeline.steps[0].scripts[0].text is not None


def test_template_dir_is_the_templates_folder_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (pipeline,) = read_pipelines(LAYOUT / "images" / "linux" / "ubuntu-template-dir.json")
    assert pipeline.steps[0].scripts[0].text is not None


def test_a_script_found_nowhere_names_both_places_tried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProvsimError) as error:
        read_pipelines(LAYOUT / "images" / "linux" / "ubuntu.json")
    message = error.value.message
    assert str(tmp_path / "images/linux/scripts/deprovision.sh") in message
    assert str(LAYOUT / "images/linux/images/linux/scripts/deprovision.sh") in message
    assert "{{template_dir}}" in message


def test_the_platform_image_is_read_from_every_dialect() -> None:
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    (packer,) = read_pipelines(fixtures / "packer" / "hcl2-features.pkr.hcl")
    assert str(packer.source_image) == "Canonical:0001-com-ubuntu-server-jammy:22_04-lts"
    (aib,) = read_pipelines(fixtures / "aib" / "ubuntu.json")
    assert aib.source_image is not None and aib.source_image.publisher == "Canonical"


def test_os_type_from_a_variable_without_a_value_says_how_to_give_one(tmp_path: Path) -> None:
    template = tmp_path / "t.pkr.hcl"
    template.write_text(
        'variable "os" {\n  type = string\n}\nsource "azure-arm" "x" {\n  os_type = var.os\n}\n'
        'build {\n  sources = ["source.azure-arm.x"]\n}\n'
    )
    with pytest.raises(ProvsimError, match=r"os_type comes from var.os, which has no value.*--var os=Linux"):
        read_pipelines(template)


HEREDOC_TEMPLATE = """
source "azure-arm" "x" {
  os_type            = "Linux"
  managed_image_name = "x"
}
build {
  sources = ["source.azure-arm.x"]
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline = [
      "echo \\"caf\\u00e9\\"\\tready",
      <<-EOT
        /usr/sbin/waagent -force -deprovision+user
        sync
      EOT
    ]
  }
}
"""


def test_hcl_strings_are_decoded_as_hcl_decodes_them(tmp_path: Path) -> None:
    """Escapes decoded, a heredoc without its markers: the shell gets what Packer gives it."""
    template = tmp_path / "t.pkr.hcl"
    template.write_text(HEREDOC_TEMPLATE)
    (pipeline,) = read_pipelines(template)
    assert pipeline.steps[0].inline == ('echo "café"\tready', "/usr/sbin/waagent -force -deprovision+user\nsync\n")


def test_env_in_a_packer_json_variable_default(tmp_path: Path) -> None:
    """``{{env `NAME`}}`` is read in the variables section, as Packer reads it; unset it is empty."""
    template = tmp_path / "t.json"
    template.write_text(
        json.dumps(
            {
                "variables": {"image": "{{env `IMAGE_NAME`}}"},
                "builders": [{"type": "azure-arm", "os_type": "Linux", "managed_image_name": "{{user `image`}}"}],
            }
        )
    )
    (named,) = read_pipelines(template, PackerVariables(environment={"IMAGE_NAME": "golden"}))
    assert [target.name for target in named.targets] == ["golden"]
    (unset,) = read_pipelines(template, PackerVariables(environment={}))
    assert unset.targets == [], "an empty managed_image_name creates no managed image"


def test_references_only_the_build_knows_are_no_refusal(tmp_path: Path) -> None:
    """dynamic blocks' iterators and build.User are Packer's to fill in: provsim reads the rest."""
    template = tmp_path / "t.pkr.hcl"
    template.write_text(
        'variable "tags" {\n  default = { team = "images" }\n}\n'
        'source "azure-arm" "x" {\n  os_type = "Linux"\n  managed_image_name = "x"\n'
        '  dynamic "azure_tag" {\n    for_each = var.tags\n    content {\n'
        "      name  = azure_tag.key\n      value = azure_tag.value\n    }\n  }\n}\n"
        'build {\n  sources = ["source.azure-arm.x"]\n'
        '  provisioner "shell" {\n    environment_vars = ["U=${build.User}"]\n    inline = ["true"]\n  }\n}\n'
    )
    (pipeline,) = read_pipelines(template)
    assert pipeline.steps[0].environment_vars == ("U=${build.User}",)


def test_default_null_is_a_value(tmp_path: Path) -> None:
    """``default = null`` makes a variable optional (Packer does not stop); coalesce() takes the fallback."""
    template = tmp_path / "t.pkr.hcl"
    template.write_text(
        'variable "disk_gb" {\n  type    = number\n  default = null\n}\n'
        "locals {\n  disk = coalesce(var.disk_gb, 75)\n}\n"
        'source "azure-arm" "x" {\n  os_type = "Linux"\n  managed_image_name = "x-${local.disk}"\n}\n'
        'build {\n  sources = ["source.azure-arm.x"]\n}\n'
    )
    (pipeline,) = read_pipelines(template)
    assert pipeline.unset_variables == {} and pipeline.targets[0].name == "x-75"


def test_builds_of_one_source_are_told_apart_by_their_names(tmp_path: Path) -> None:
    (tmp_path / "t.pkr.hcl").write_text(
        'source "azure-arm" "vm" {\n  os_type = "Linux"\n  managed_image_name = "x"\n}\n'
        'build {\n  name = "dev"\n  sources = ["source.azure-arm.vm"]\n}\n'
        'build {\n  name = "prod"\n  sources = ["source.azure-arm.vm"]\n}\n'
    )
    assert [pipeline.name for pipeline in read_pipelines(tmp_path)] == ["dev.vm", "prod.vm"]


@pytest.mark.parametrize("written", ["[parameters('templateName')]", "\\u005bparameters('templateName')]"])
def test_aib_parameter_references_are_resolved_as_written_or_escaped(tmp_path: Path, written: str) -> None:
    """A file without the text of a reference is read as written; an escaped one is still a reference."""
    document = json.loads((FIXTURES / "aib/windows-arm.json").read_text())
    document["parameters"]["templateName"] = {"type": "string", "defaultValue": "from-the-parameter"}
    (template,) = document["resources"]
    template["name"] = "@NAME@"
    path = tmp_path / "arm.json"
    path.write_text(
        json.dumps(document).replace('"@NAME@"', f'"{written}"').replace("[parameters('api-version')]", "x")
    )
    (pipeline,) = read_pipelines(path)
    assert pipeline.name == "from-the-parameter"


def test_aib_templates_on_one_line_are_located_on_that_line(tmp_path: Path) -> None:
    """A generator's compact ARM file: every template, step and output is on line 1, never past the end."""
    document = json.loads((FIXTURES / "aib/windows-arm.json").read_text())
    document["resources"] = document["resources"] * 3
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(document, separators=(",", ":")))
    pipelines = read_pipelines(path)
    assert len(pipelines) == 3
    lines = {pipeline.location.line for pipeline in pipelines}
    lines |= {step.location.line for pipeline in pipelines for step in pipeline.steps if not step.hidden}
    lines |= {target.location.line for pipeline in pipelines for target in pipeline.targets}
    assert lines == {1}
