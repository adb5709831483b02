"""Fuzzing the readers: whatever a branch puts in a template, only ProvsimError may come out.

A reader that raises anything else turns bad input into a provsim bug (exit 3),
or before that into exit 1, "the VM will fail". Inputs are random bytes,
random JSON documents, and fixtures with one structure-aware mutation (a key
deleted, a value swapped for another JSON type, a truncation, a block
duplicated). The recognisers get random text. Examples are derandomized (the
same every run, so CI is reproducible) and no example database is written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provsim.errors import ProvsimError
from provsim.pipeline import PackerVariables, check_path
from provsim.pipeline.recognise import recognise_line, waits_for_image_state
from provsim.pipeline.simple_blocks import split_simple_variables
from provsim.pipeline.writes import executed_lines, file_writes, writes_a_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CI = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
JSON_FIXTURES = sorted([*(FIXTURES / "packer").glob("*.json"), *(FIXTURES / "aib").glob("*.json")])
HCL_FIXTURES = sorted((FIXTURES / "packer").rglob("*.pkr.hcl"))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A copy of the Packer fixtures, so that mutated templates still find their scripts."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(FIXTURES / "packer" / "scripts", root / "scripts")
        yield root


def only_provsim_errors(path: Path, variables: PackerVariables | None = None) -> None:
    try:
        check_path(path, variables)
    except ProvsimError as error:
        assert "\n" not in error.message


def _write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


# --- random input -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
KEYS = [
    "builders",
    "provisioners",
    "variables",
    "sensitive-variables",
    "type",
    "name",
    "properties",
    "source",
    "customize",
    "distribute",
    "inline",
    "resources",
    "parameters",
    "os_type",
    "only",
    "except",
    "scripts",
    "shared_image_gallery_destination",
    "specialized",
    "managed_image_name",
    "publisher",
    "defaultValue",
]
shaped_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["azure-arm", "Linux", "Shell", "VHD", "true", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=30,
)


@settings(CI, max_examples=150)
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".json", ".pkr.hcl"]))
def test_random_bytes(workdir: Path, content: bytes, suffix: str) -> None:
    only_provsim_errors(_write(workdir, f"random{suffix}", content))


@settings(CI, max_examples=100)
@given(document=json_values)
def test_random_json(workdir: Path, document: Any) -> None:
    only_provsim_errors(_write(workdir, "random.json", json.dumps(document).encode()))


@settings(CI, max_examples=200)
@given(document=st.dictionaries(st.sampled_from(KEYS), shaped_values, min_size=1, max_size=6))
def test_random_json_shaped_like_templates(workdir: Path, document: dict[str, Any]) -> None:
    """Documents with the keys readers look for, so that they get past recognising the dialect."""
    only_provsim_errors(_write(workdir, "shaped.json", json.dumps(document).encode()))


@settings(CI, max_examples=80)
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_random_var_files(workdir: Path, content: bytes) -> None:
    values = _write(workdir, "random.pkrvars.hcl", content)
    only_provsim_errors(FIXTURES / "packer" / "web.pkr.hcl", PackerVariables(files=(values,)))


# --- structure-aware mutations of the fixtures -------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, as the keys and indexes leading to it."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutate(document: Any, place: tuple[Any, ...], how: str, replacement: Any) -> Any:
    if not place:
        return replacement
    parent = document
    for step in place[:-1]:
        parent = parent[step]
    last = place[-1]
    if how == "delete":
        del parent[last]
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, json.loads(json.dumps(parent[last])))
    else:
        parent[last] = replacement
    return document


@settings(CI, max_examples=150)
@given(data=st.data(), fixture=st.sampled_from(JSON_FIXTURES), how=st.sampled_from(["delete", "replace", "duplicate"]))
def test_mutated_json_fixtures(workdir: Path, data: st.DataObject, fixture: Path, how: str) -> None:
    document = json.loads(fixture.read_text())
    place = data.draw(st.sampled_from(_paths(document)), label="place")
    replacement = data.draw(json_values, label="replacement")
    mutated = _mutate(document, place, how, replacement)
    only_provsim_errors(_write(workdir, fixture.name, json.dumps(mutated, indent=2).encode()))


@settings(CI, max_examples=60)
@given(data=st.data(), fixture=st.sampled_from(JSON_FIXTURES + HCL_FIXTURES))
def test_truncated_fixtures(workdir: Path, data: st.DataObject, fixture: Path) -> None:
    content = fixture.read_bytes()
    cut = data.draw(st.integers(0, len(content)), label="cut")
    only_provsim_errors(_write(workdir, fixture.name, content[:cut]))


HCL_WORDS = [
    '"x"',
    "5",
    "true",
    "null",
    "[]",
    "{}",
    '["a", 1]',
    "{ a = 1 }",
    "var.nothing",
    "local.x",
    '"${var.x}"',
    '"$${x}"',
    "[[1]]",
]


@settings(CI, max_examples=150)
@given(
    data=st.data(),
    fixture=st.sampled_from(HCL_FIXTURES),
    how=st.sampled_from(["delete", "duplicate", "replace value", "swap label"]),
)
def test_mutated_hcl_fixtures(workdir: Path, data: st.DataObject, fixture: Path, how: str) -> None:
    """Line-level mutations: drop a line, repeat a block, give an attribute another type, drop a label."""
    lines = fixture.read_text().splitlines()
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    if how == "delete":
        del lines[index]
    elif how == "duplicate":
        end = data.draw(st.integers(index, min(len(lines), index + 12)), label="end")
        lines[index:index] = lines[index:end]
    elif how == "replace value" and "=" in lines[index]:
        name = lines[index].split("=", 1)[0]
        lines[index] = f"{name}= {data.draw(st.sampled_from(HCL_WORDS), label='value')}"
    elif '"' in lines[index]:
        first, _, rest = lines[index].partition('"')
        lines[index] = first + rest.partition('"')[2]
    for extra in fixture.parent.glob("*.pkrvars.hcl"):
        shutil.copy(extra, workdir / extra.name)
    only_provsim_errors(_write(workdir, fixture.name, "\n".join(lines).encode()))


# --- the recognisers and the plain-variable reader ---------------------------------------------------

command_text = st.text(
    alphabet=st.sampled_from(
        list("waagent -deprovision+user sysprep.exe /generalize /oobe cloud-init clean &|;'\"\n$#>")
    ),
    max_size=120,
) | st.text(max_size=120)


@settings(CI, max_examples=300)
@given(lines=st.lists(command_text, max_size=6))
def test_recognisers_never_raise(lines: list[str]) -> None:
    for line in lines:
        recognise_line(line)
        writes_a_file(line)
    waits_for_image_state(lines)
    file_writes(lines)
    executed_lines(lines)


plain_values = st.sampled_from(['"1.0.0"', '""', "5", "-3", "true", "false", "null", '"a b"', '"x-y_z"'])
plain_blocks = st.lists(
    st.tuples(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.dictionaries(st.sampled_from(["default", "description", "sensitive", "type"]), plain_values, max_size=3),
    ),
    max_size=5,
    unique_by=lambda block: block[0],
)


@settings(CI, max_examples=100)
@given(blocks=plain_blocks, between=st.sampled_from(["", "\n", "# note\n", 'locals {\n  a = "{"\n}\n']))
def test_plain_variables_read_as_python_hcl2_reads_them(blocks: list[tuple[str, dict[str, str]]], between: str) -> None:
    text = between.join(
        f'variable "{name}" {{\n' + "".join(f"  {key} = {value}\n" for key, value in body.items()) + "}\n"
        for name, body in blocks
    )
    rest, found = split_simple_variables(text)
    assert rest.count("\n") == text.count("\n")
    expected = {}
    for block in hcl2.loads(text).get("variable", []):
        for name, body in block.items():
            expected[name.strip('"')] = {
                key: value.strip('"') if isinstance(value, str) else value
                for key, value in body.items()
                if not key.startswith("__")
            }
    assert {name: body for name, body, _ in found} == expected
