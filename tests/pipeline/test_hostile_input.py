"""Hostile templates: every one ends in exit 0, 1 or 2 with at most one line on stderr, never a traceback.

``provsim check`` gates CI on templates anyone with a branch can change. A
traceback exits 1, which CI reads as "the VM will fail"; a hang or minutes of
work stalls the pipeline. Each case here was a traceback, a hang or minutes
of work before the readers checked what they read.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from provsim.pipeline import PackerVariables, read_pipelines

CliRun = Callable[..., tuple[int, str, str]]  # the provsim_cli fixture (tests/conftest.py)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
AIB = json.loads((FIXTURES / "aib" / "ubuntu.json").read_text())
PACKER_JSON = json.loads((FIXTURES / "packer" / "linux-vhd.json").read_text())
WEB_HCL = (FIXTURES / "packer" / "web.pkr.hcl").read_text()


def _refused(status: int, out: str, err: str, path: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr naming the file."""
    assert "Traceback" not in err
    assert (status, out) == (2, ""), err
    assert len(err.strip().splitlines()) == 1, err
    assert path in err, err


def _clean(status: int, err: str) -> None:
    assert "Traceback" not in err
    assert status in (0, 1, 2), err
    assert len(err.strip().splitlines()) <= 1, err


# --- AIB: every field read, with the wrong JSON type ------------------------------------------------


def _aib(change: Callable[[dict[str, Any]], None]) -> str:
    document = copy.deepcopy(AIB)
    change(document)
    return json.dumps(document, indent=2)


def _props(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["properties"].update(values)


def _customizer(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["properties"]["customize"][0].update(values)


def _distribution(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["properties"]["distribute"][0].update(values)


AIB_REFUSED = {
    "customize-string": _props(customize="Shell"),
    "customize-number": _props(customize=5),
    "customize-list-of-numbers": _props(customize=[5]),
    "customizer-type-number": _customizer(type=5),
    "customizer-type-missing": lambda d: d["properties"]["customize"][0].pop("type"),
    "customizer-name-list": _customizer(name=["a"]),
    "customizer-inline-number": _customizer(inline=5),
    "customizer-inline-nested": _customizer(inline=[["sudo"]]),
    "customizer-inline-object": _customizer(inline={"a": 1}),
    "customizer-scripturi-object": _customizer(scriptUri={}),
    "file-destination-list": lambda d: d["properties"]["customize"][1].update(destination=[]),
    "distribute-string": _props(distribute="ManagedImage"),
    "distribute-number": _props(distribute=7),
    "distribute-null": _props(distribute=None),
    "distribute-list-of-strings": _props(distribute=["ManagedImage"]),
    "distribute-type-number": _distribution(type=5),
    "distribute-type-unknown": _distribution(type="Tape"),
    "distribute-run-output-object": _distribution(runOutputName={}),
    "source-string": _props(source="Canonical"),
    "source-number": _props(source=5),
    "source-null": _props(source=None),
    "source-publisher-list": lambda d: d["properties"]["source"].update(publisher=["Canonical"]),
    "properties-string": lambda d: d.update(properties="x"),
    "name-object": lambda d: d.update(name={"a": 1}),
    "parameters-list": lambda d: d.update(parameters=["a"]),
    "parameter-spec-number": lambda d: d.update(parameters={"a": 5}),
}


@pytest.mark.parametrize("change", AIB_REFUSED.values(), ids=AIB_REFUSED.keys())
def test_aib_wrong_types_are_refused(provsim_cli: CliRun, tmp_path: Path, change: Any) -> None:
    path = tmp_path / "aib.json"
    path.write_text(_aib(change))
    _refused(*provsim_cli("check", str(path)), str(path))


AIB_ACCEPTED = {
    "customize-null": _props(customize=None),
    "customize-empty": _props(customize=[]),
    "scripturi-number": _customizer(scriptUri=5),
    "resources-with-a-number": lambda d: d.update(resources=[5]),
}


@pytest.mark.parametrize("change", AIB_ACCEPTED.values(), ids=AIB_ACCEPTED.keys())
def test_aib_values_aib_takes_are_read(provsim_cli: CliRun, tmp_path: Path, change: Any) -> None:
    path = tmp_path / "aib.json"
    path.write_text(_aib(change))
    status, _, err = provsim_cli("check", str(path))
    _clean(status, err)
    assert status in (0, 1)


# --- Packer JSON ------------------------------------------------------------------------------------


def _packer(change: Callable[[dict[str, Any]], None]) -> str:
    document = copy.deepcopy(PACKER_JSON)
    change(document)
    return json.dumps(document, indent=2)


def _builder(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["builders"][0].update(values)


def _provisioner(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["provisioners"][0].update(values)


PACKER_JSON_REFUSED = {
    "builders-null": lambda d: d.update(builders=None),
    "builders-string": lambda d: d.update(builders="azure-arm"),
    "builders-list-of-strings": lambda d: d.update(builders=["azure-arm"]),
    "builders-empty": lambda d: d.update(builders=[]),
    "provisioners-object": lambda d: d.update(provisioners={"type": "shell"}),
    "provisioners-list-of-numbers": lambda d: d.update(provisioners=[5]),
    "provisioner-without-type": lambda d: d["provisioners"][0].pop("type"),
    "provisioner-type-number": _provisioner(type=5),
    "variables-list": lambda d: d.update(variables=["storage_account"]),
    "variable-object": lambda d: d.update(variables={"storage_account": {"default": "x"}}),
    "sensitive-variables-string": lambda d: d.update({"sensitive-variables": "storage_account"}),
    "sensitive-variables-object": lambda d: d.update({"sensitive-variables": {"a": 1}}),
    "only-number": _provisioner(only=5),
    "except-object": _provisioner(**{"except": {"a": 1}}),
    "inline-object": _provisioner(inline={"a": "b"}),
    "inline-nested": _provisioner(inline=[["a"]]),
    "environment-vars-object": _provisioner(environment_vars={"A": "1"}),
    "execute-command-list": _provisioner(execute_command=["sh"]),
    "scripts-object": _provisioner(scripts={"a": 1}),
    "script-number-not-found": _provisioner(script=5),
    "os-type-list": _builder(os_type=["Linux"]),
    "os-type-missing": lambda d: d["builders"][0].pop("os_type"),
    "builder-name-object": _builder(name={"a": 1}),
    "gallery-string": _builder(shared_image_gallery_destination="golden"),
    "gallery-specialized-maybe": _builder(
        shared_image_gallery_destination={"gallery_name": "g", "image_name": "i", "specialized": "maybe"}
    ),
    "managed-image-name-object": _builder(managed_image_name={"a": 1}),
    "skip-create-image-number": _builder(managed_image_name="m", skip_create_image=5),
    "capture-prefix-list": _builder(capture_name_prefix=["a"]),
}


@pytest.mark.parametrize("change", PACKER_JSON_REFUSED.values(), ids=PACKER_JSON_REFUSED.keys())
def test_packer_json_wrong_types_are_refused(provsim_cli: CliRun, tmp_path: Path, change: Any) -> None:
    path = tmp_path / "packer.json"
    path.write_text(_packer(change))
    _refused(*provsim_cli("check", str(path)), str(path))


def test_packer_json_weak_types_are_read_as_packer_reads_them(provsim_cli: CliRun, tmp_path: Path) -> None:
    """Packer JSON decodes weakly: a lone string is a one-item list, a number a string."""
    path = tmp_path / "packer.json"
    path.write_text(_packer(_provisioner(inline="/usr/sbin/waagent -force -deprovision+user", only=["vhd"])))
    status, out, err = provsim_cli("check", str(path))
    _clean(status, err)
    assert "OS generalized" in out


# --- Packer HCL2 ------------------------------------------------------------------------------------

SOURCE = """
source "azure-arm" "x" {
  os_type            = "Linux"
  image_publisher    = "Canonical"
  managed_image_name = "img"
  %s
}
"""
BUILD = """
build {
  sources = ["source.azure-arm.x"]
  provisioner "shell" {
    inline = ["/usr/sbin/waagent -force -deprovision+user"]
    # waagent needs root: Packer's default execute_command runs the script as the SSH user.
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    %s
  }
}
"""


def _hcl(source: str = "", build: str = "", head: str = "") -> str:
    return head + SOURCE % source + BUILD % build


HCL_REFUSED = {
    "only-number": _hcl(build="only = 5"),
    "except-object": _hcl(build='except = { a = "b" }'),
    "sources-number": _hcl().replace('sources = ["source.azure-arm.x"]', "sources = 7"),
    "sources-nested": _hcl().replace('sources = ["source.azure-arm.x"]', 'sources = [["source.azure-arm.x"]]'),
    "provisioner-unlabelled": _hcl().replace('provisioner "shell" {', "provisioner {"),
    "provisioner-two-labels": _hcl().replace('provisioner "shell" {', 'provisioner "shell" "again" {'),
    "source-one-label": _hcl().replace('source "azure-arm" "x" {', 'source "x" {'),
    "source-three-labels": _hcl().replace('source "azure-arm" "x" {', 'source "azure-arm" "x" "y" {'),
    "build-labelled": _hcl().replace("build {", 'build "b" {'),
    "variable-unlabelled": _hcl(head='variable {\n  default = "a"\n}\n'),
    "variable-attribute": _hcl(head="variable = 5\n"),
    "source-attribute": _hcl(head="source = 5\n"),
    "build-attribute": "build = 5\n",
    "locals-labelled": _hcl(head='locals "l" {\n  a = 1\n}\n'),
    "duplicate-variable": _hcl(head='variable "a" {\n  default = 1\n}\nvariable "a" {\n  default = 2\n}\n'),
    "duplicate-source": _hcl() + SOURCE % "",
    "duplicate-local": _hcl(head="locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n"),
    "inline-number": _hcl().replace('inline = ["/usr/sbin/waagent -force -deprovision+user"]', "inline = 5"),
    "inline-string": _hcl().replace('inline = ["/usr/sbin/waagent -force -deprovision+user"]', 'inline = "ls"'),
    "inline-object": _hcl().replace('inline = ["/usr/sbin/waagent -force -deprovision+user"]', "inline = {a = 1}"),
    "environment-vars-object": _hcl(build='environment_vars = { A = "1" }'),
    "env-list": _hcl(build='env = ["A=1"]'),
    "scripts-number": _hcl(build="scripts = 5"),
    "script-list-not-found": _hcl(build='script = "absent.sh"'),
    "execute-command-list": _hcl(build='execute_command = ["sh"]'),
    "inline-shebang-object": _hcl(build="inline_shebang = {a = 1}"),
    "os-type-list": _hcl().replace('os_type            = "Linux"', 'os_type = ["Linux"]'),
    "os-type-bogus": _hcl().replace('os_type            = "Linux"', 'os_type = "BeOS"'),
    "managed-image-name-object": _hcl().replace('managed_image_name = "img"', "managed_image_name = {a = 1}"),
    "skip-create-image-maybe": _hcl(source='skip_create_image = "sometimes"'),
    "specialized-maybe": _hcl(
        source='shared_image_gallery_destination {\n gallery_name = "g"\n specialized = "maybe"\n }'
    ),
    "two-gallery-blocks": _hcl(
        source='shared_image_gallery_destination {\n gallery_name = "g"\n }\n'
        'shared_image_gallery_destination {\n gallery_name = "h"\n }'
    ),
    "gallery-name-list": _hcl(source='shared_image_gallery_destination {\n gallery_name = ["g"]\n }'),
    "sensitive-perhaps": _hcl(head='variable "a" {\n  default = "x"\n  sensitive = "perhaps"\n}\n'),
    "variable-default-refers-to-a-variable": _hcl(
        head='variable "a" {\n  default = "x"\n}\nvariable "b" {\n  default = "${var.a}"\n}\n'
    ),
    "local-cycle": _hcl(
        head='locals {\n  a = "${local.b}"\n  b = "${local.a}"\n}\n',
        source="managed_image_resource_group_name = local.a",
    ),
    "local-self-cycle": _hcl(head='locals {\n  a = "x${local.a}"\n}\n', source="location = local.a"),
    "list-inside-a-string": _hcl(head='locals {\n  a = ["x"]\n}\n', source='location = "in ${local.a}"'),
    "undeclared-local": _hcl(source="location = local.nowhere"),
    "number-of-5000-digits": _hcl(source="vm_size = " + "9" * 5000),
    "nested-10000-deep": _hcl(source="tags = " + "[" * 10000 + "]" * 10000),
    "nested-100000-deep": _hcl(source="tags = " + "{a = " * 100_000 + "1" + "}" * 100_000),
    "over-256-KiB-of-hcl": _hcl(head="locals {\n" + "".join(f'  l{n} = "{"x" * 60}"\n' for n in range(5000)) + "}\n"),
    "unterminated": _hcl()[:-20],
    "build-uses-undeclared-source": _hcl().replace("source.azure-arm.x", "source.azure-arm.y"),
    "chain-of-1500-locals": _hcl(
        head="locals {\n"
        + "".join(f'  l{n} = "${{local.l{n - 1}}}x"\n' if n else '  l0 = "a"\n' for n in range(1500))
        + "}\n",
        source="location = local.l1499",
    ),
    "local-block-cycle": _hcl(
        head='local "a" {\n  expression = local.b\n}\nlocal "b" {\n  expression = local.a\n}\n',
        source="location = local.a",
    ),
}


@pytest.mark.parametrize("content", HCL_REFUSED.values(), ids=HCL_REFUSED.keys())
def test_hcl_wrong_shapes_and_types_are_refused(provsim_cli: CliRun, tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.pkr.hcl"
    path.write_text(content)
    _refused(*provsim_cli("check", str(path)), str(path))


def test_a_cycle_of_locals_is_named(provsim_cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "t.pkr.hcl"
    path.write_text(HCL_REFUSED["local-cycle"])
    _, _, err = provsim_cli("check", str(path))
    assert "local.a -> local.b -> local.a" in err


def test_locals_doubling_each_other_are_refused_without_building_the_string(
    provsim_cli: CliRun, tmp_path: Path
) -> None:
    """30 locals each "${local.prev}${local.prev}" would spell out 2^30 copies: refused at the one past 1 MiB."""
    chain = ['l0 = "ab"'] + [f'l{n} = "${{local.l{n - 1}}}${{local.l{n - 1}}}"' for n in range(1, 31)]
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head="locals {\n  " + "\n  ".join(chain) + "\n}\n", source="location = local.l30"))
    status, out, err = provsim_cli("check", str(path))
    _refused(status, out, err, str(path))
    assert "local.l20 expands to" in err


def test_locals_used_many_times_are_evaluated_once(provsim_cli: CliRun, tmp_path: Path) -> None:
    """Below the limit, doubling locals are fine: each is evaluated once, not once per use."""
    chain = ['l0 = "a"'] + [f'l{n} = "${{local.l{n - 1}}}${{local.l{n - 1}}}"' for n in range(1, 15)]
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head="locals {\n  " + "\n  ".join(chain) + "\n}\n", source="location = local.l14"))
    status, _, err = provsim_cli("check", str(path))
    assert status == 0, err


def test_variable_values_are_not_expanded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Packer takes --var, PKR_VAR_ and var file values as text: "${var.b}" stays literal, so nothing multiplies."""
    head = 'variable "a" {\n  default = "x"\n}\nvariable "b" {\n  default = "y"\n}\n'
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head=head, source='managed_image_resource_group_name = "${var.a}"'))
    values = tmp_path / "v.pkrvars.hcl"
    values.write_text('b = "$${var.a}"\n')
    for given in (
        PackerVariables({"a": "${var.b}${var.b}"}),
        PackerVariables(environment={"PKR_VAR_a": "${var.b}"}),
        PackerVariables(files=(values,), assigned={"a": "${var.b}"}),
    ):
        (pipeline,) = read_pipelines(path, given)
        assert pipeline.targets[0].name == "img"
    (pipeline,) = read_pipelines(tmp_path, PackerVariables({"a": "${var.b}${var.b}"}))  # a folder too
    assert pipeline.name == "x"


def test_a_referenced_whole_value_keeps_its_type(tmp_path: Path) -> None:
    """``inline = local.commands`` is the list itself, ``specialized = var.s`` the bool."""
    head = (
        'variable "s" {\n  default = true\n}\n'
        'locals {\n  commands = ["/usr/sbin/waagent -force -deprovision+user"]\n}\n'
    )
    source = 'shared_image_gallery_destination {\n gallery_name = "g"\n specialized = var.s\n }'
    content = _hcl(head=head, source=source).replace(
        'inline = ["/usr/sbin/waagent -force -deprovision+user"]', "inline = local.commands"
    )
    path = tmp_path / "t.pkr.hcl"
    path.write_text(content)
    (pipeline,) = read_pipelines(path)
    assert pipeline.steps[0].inline == ("/usr/sbin/waagent -force -deprovision+user",)
    assert [t.specialized for t in pipeline.targets] == [True, True]


# --- bytes and files --------------------------------------------------------------------------------

FILES_REFUSED: dict[str, bytes] = {
    "json-100k-deep": b"[" * 100_000 + b"]" * 100_000,
    "json-100k-deep-unclosed": b'{"builders": ' + b"[" * 100_000,
    "json-deep-under-builders": b'{"builders": [' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"]}",
    "json-number-5000-digits": b'{"builders": [{"type": "azure-arm", "n": ' + b"7" * 5000 + b"}]}",
    "json-lone-surrogate-in-a-name": json.dumps({**AIB, "name": "web\ud800"}).encode(),
    "json-lone-surrogate-in-a-key": b'{"builders": [{"\\udfff": 1}]}',
    "invalid-utf8": b'source "azure-arm" "x" {\n  os_type = "\xff\xfe"\n}\n',
    "empty": b"",
    "only-whitespace": b"  \n\n\t",
    "byte-order-mark-only": b"\xef\xbb\xbf",
    "nul-bytes": b'source "azure-arm" "x" {\0}\n',
    "nul-late": WEB_HCL.encode() * 10 + b"\0",
    "json-nan": b'{"builders": [{"type": "azure-arm", "n": NaN}]}',
    "json-infinity": b'{"builders": [{"type": "azure-arm", "n": -Infinity}]}',
    "json-not-an-object": b"[1, 2, 3]",
    "json-string": b'"builders"',
    "json-truncated": json.dumps(PACKER_JSON).encode()[:-7],
}


@pytest.mark.parametrize("content", FILES_REFUSED.values(), ids=FILES_REFUSED.keys())
def test_hostile_bytes_are_refused(provsim_cli: CliRun, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(content)
    _refused(*provsim_cli("check", str(path)), str(path))


def test_a_lone_surrogate_names_its_line(provsim_cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{\n  "builders": [\n    {"type": "azure-arm", "name": "a\\ud800"}\n  ]\n}\n')
    _, _, err = provsim_cli("check", str(path))
    assert f"{path}:3:" in err


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo


def _big(tmp_path: Path) -> Path:
    big = tmp_path / "big.sh"
    with big.open("wb") as file:
        file.truncate(9 * 1024 * 1024)  # sparse: no disk space used
    return big


SPECIAL_FILES: dict[str, Callable[[Path], Path]] = {
    "fifo": _fifo,
    "dev-zero": lambda _: Path("/dev/zero"),
    "folder": lambda tmp_path: tmp_path,
    "over-8-MiB": _big,
}


@pytest.mark.parametrize("make", SPECIAL_FILES.values(), ids=SPECIAL_FILES.keys())
def test_only_regular_files_are_read_as_templates(provsim_cli: CliRun, tmp_path: Path, make: Any) -> None:
    """A folder is read as a folder of .pkr.hcl templates (none here); anything else that is no file is refused."""
    path = make(tmp_path)
    _refused(*provsim_cli("check", str(path)), str(path))


@pytest.mark.parametrize("make", SPECIAL_FILES.values(), ids=SPECIAL_FILES.keys())
@pytest.mark.parametrize("field", ["script", "scripts"])
def test_only_regular_files_are_read_as_scripts(provsim_cli: CliRun, tmp_path: Path, make: Any, field: str) -> None:
    script = make(tmp_path)
    value = f'"{script}"' if field == "script" else f'["{script}"]'
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(build=f"{field} = {value}"))
    _refused(*provsim_cli("check", str(path)), str(script))


@pytest.mark.parametrize("make", SPECIAL_FILES.values(), ids=SPECIAL_FILES.keys())
def test_only_regular_files_are_read_as_var_files(provsim_cli: CliRun, tmp_path: Path, make: Any) -> None:
    values = make(tmp_path)
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl())
    _refused(*provsim_cli("check", str(path), "--var-file", str(values)), str(values))


def test_an_automatic_var_file_that_is_a_fifo_is_refused(provsim_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "t.pkr.hcl").write_text(_hcl())
    os.mkfifo(tmp_path / "x.auto.pkrvars.hcl")
    _refused(*provsim_cli("check", str(tmp_path)), "x.auto.pkrvars.hcl")


def test_a_file_provisioner_source_that_is_a_fifo_is_not_read(provsim_cli: CliRun, tmp_path: Path) -> None:
    fifo = _fifo(tmp_path)
    path = tmp_path / "t.pkr.hcl"
    path.write_text(
        _hcl().replace(
            'provisioner "shell" {',
            f'provisioner "file" {{\n source = "{fifo}"\n destination = "/tmp/x"\n}}\nprovisioner "shell" {{',
        )
    )
    status, _, err = provsim_cli("check", str(path))
    _clean(status, err)
    assert status == 0


def test_one_big_script_named_many_times_is_refused(provsim_cli: CliRun, tmp_path: Path) -> None:
    script = tmp_path / "big.sh"
    script.write_text("true\n" * (1024 * 1024))  # 5 MiB
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(build='scripts = ["big.sh", "big.sh", "big.sh", "big.sh"]'))
    _refused(*provsim_cli("check", str(path)), str(path))


def test_a_folder_of_many_big_templates_is_refused(provsim_cli: CliRun, tmp_path: Path) -> None:
    local = "".join(f'  l{n} = "{"x" * 60}"\n' for n in range(3000))  # 200 KiB each
    for name in "abc":
        (tmp_path / f"{name}.pkr.hcl").write_text(f"locals {{\n{local.replace(' l', f' {name}l')}}}\n")
    _refused(*provsim_cli("check", str(tmp_path)), str(tmp_path))


# --- scale: these only have to finish (the project times nothing in tests) ---------------------------


def test_an_arm_template_with_1000_image_templates(provsim_cli: CliRun, tmp_path: Path) -> None:
    resources = [{**copy.deepcopy(AIB), "name": f"t{n}"} for n in range(1000)]
    path = tmp_path / "arm.json"
    path.write_text(json.dumps({"resources": resources}, indent=2))
    pipelines = read_pipelines(path)
    assert len(pipelines) == 1000 and pipelines[-1].name == "t999"
    assert pipelines[-1].location.line is not None and pipelines[-1].location.line > 50_000


def test_10000_variables(tmp_path: Path) -> None:
    blocks = "".join(f'variable "v{n}" {{\n  type    = string\n  default = "x{n}"\n}}\n' for n in range(10_000))
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head=blocks, source='location = "${var.v9999}"'))
    (pipeline,) = read_pipelines(path, PackerVariables({"v5000": "given"}))
    assert pipeline.name == "x"


def test_20000_steps_whose_text_is_escaped(tmp_path: Path) -> None:
    """Steps and customizers whose text is not in the file as written (\\u escapes) are still read in one pass."""
    document = copy.deepcopy(PACKER_JSON)
    document["provisioners"][:0] = [{"type": "shell", "inline": [f"echo \u00e9{n} \\ x"]} for n in range(20_000)]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document, indent=1))
    (pipeline,) = read_pipelines(path)
    assert len(pipeline.steps) == 20_001
    aib = copy.deepcopy(AIB)
    aib["properties"]["customize"][:0] = [
        {"type": "Shell", "name": f"\u00e9{n}", "inline": ["ls"]} for n in range(20_000)
    ]
    path.write_text(json.dumps(aib, indent=1))
    (pipeline,) = read_pipelines(path)
    assert len(pipeline.steps) == 20_003


# --- secrets ----------------------------------------------------------------------------------------


def test_a_sensitive_hcl_variable_given_by_var_is_sensitive(tmp_path: Path) -> None:
    head = 'variable "secret" {\n  type      = string\n  default   = "from-default"\n  sensitive = true\n}\n'
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head=head, build='environment_vars = ["TOKEN=${var.secret}"]'))
    values = tmp_path / "v.pkrvars.hcl"
    values.write_text('secret = "from-a-var-file"\n')
    environment = {"PKR_VAR_secret": "from-the-environment"}
    (pipeline,) = read_pipelines(path, PackerVariables({"secret": "hunter22"}, (values,), environment))
    assert {"hunter22", "from-a-var-file", "from-the-environment", "from-default"} <= pipeline.sensitive
    assert pipeline.steps[0].environment_vars == ("TOKEN=hunter22",)


def test_a_sensitive_json_variable_given_by_var_is_sensitive(tmp_path: Path) -> None:
    document = copy.deepcopy(PACKER_JSON)
    document["variables"]["token"] = "from-default"
    document["sensitive-variables"] = ["token"]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document))
    (pipeline,) = read_pipelines(path, PackerVariables({"token": "hunter22"}))
    assert {"hunter22", "from-default"} <= pipeline.sensitive and "imagesvhd" not in pipeline.sensitive


def test_secret_settings_are_sensitive_however_they_are_set(tmp_path: Path) -> None:
    head = 'variable "pw" {\n  default = "through-a-variable"\n}\n'
    source = 'client_secret = "written-literally"\nwinrm_password = var.pw'
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head=head, source=source))
    (pipeline,) = read_pipelines(path)
    assert {"written-literally", "through-a-variable"} <= pipeline.sensitive
    document = copy.deepcopy(PACKER_JSON)
    document["builders"][0]["client_secret"] = "{{user `storage_account`}}"
    json_path = tmp_path / "t.json"
    json_path.write_text(json.dumps(document))
    (pipeline,) = read_pipelines(json_path)
    assert "imagesvhd" in pipeline.sensitive


def test_aib_secure_parameters_are_sensitive(tmp_path: Path) -> None:
    document = {
        "parameters": {"token": {"type": "secureString", "defaultValue": "arm-secret"}},
        "resources": [copy.deepcopy(AIB)],
    }
    path = tmp_path / "arm.json"
    path.write_text(json.dumps(document))
    (pipeline,) = read_pipelines(path)
    assert "arm-secret" in pipeline.sensitive


def test_an_error_never_shows_a_sensitive_value(provsim_cli: CliRun, tmp_path: Path) -> None:
    head = 'variable "os" {\n  default   = "Plan9-hunter22"\n  sensitive = true\n}\n'
    path = tmp_path / "t.pkr.hcl"
    path.write_text(_hcl(head=head).replace('os_type            = "Linux"', "os_type = var.os"))
    status, out, err = provsim_cli("check", str(path))
    _refused(status, out, err, str(path))
    assert "hunter22" not in err and "<sensitive>" in err


def test_a_var_file_syntax_error_quotes_nothing(provsim_cli: CliRun, tmp_path: Path) -> None:
    """A var file's values may be secrets, and which are is only known once it is read."""
    values = tmp_path / "v.pkrvars.hcl"
    values.write_text('image_version = "hunter22" "hunter23"\n')
    status, out, err = provsim_cli("check", str(FIXTURES / "packer" / "web.pkr.hcl"), "--var-file", str(values))
    _refused(status, out, err, str(values))
    assert "hunter2" not in err


# --- the CLI: a provsim bug is not a failing VM ------------------------------------------------------


def _boom(args: Any) -> int:
    raise ValueError("the\nmessage")


def test_an_internal_error_exits_3_in_one_line(provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("provsim.commands.check.run", _boom)
    status, out, err = provsim_cli("check", "x")
    assert (status, out) == (3, "")
    assert err.splitlines() == [
        "provsim: internal error (this is a provsim bug, please report it): ValueError: the message; rerun with "
        "--debug for the traceback"
    ]


def test_debug_shows_the_traceback(provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("provsim.commands.check.run", _boom)
    status, _, err = provsim_cli("--debug", "check", "x")
    assert status == 3 and "Traceback" in err and "ValueError" in err


def test_a_closed_stdout_exits_quietly(provsim_cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    def closed(args: Any) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("provsim.commands.check.run", closed)
    assert provsim_cli("check", "x") == (141, "", "")
