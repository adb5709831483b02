"""python-hcl2's parser from provsim's cache: read as python-hcl2 reads, replaced when damaged, never shared."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest
from provsim.pipeline import hcl_grammar

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "fixtures").rglob("*.pkr.hcl"))


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def test_the_cached_parser_reads_every_fixture_as_python_hcl2_does(cache_home: Path) -> None:
    hcl_grammar._built_and_saved()
    assert hcl_grammar.cache_file().is_relative_to(cache_home)
    cached = hcl_grammar._from_cache()
    assert cached is not None
    assert TEMPLATES
    for template in TEMPLATES:
        text = template.read_text()
        assert hcl_grammar._serialized(cached.parse(text + "\n")) == hcl2.loads(text), template


def test_a_damaged_cache_is_removed_and_not_used(cache_home: Path) -> None:
    path = hcl_grammar.cache_file()
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_bytes(b"not a pickle")
    path.chmod(0o600)
    assert hcl_grammar._from_cache() is None
    assert not path.exists()


def test_a_cache_others_can_write_is_not_loaded(cache_home: Path) -> None:
    hcl_grammar._built_and_saved()
    path = hcl_grammar.cache_file()
    path.chmod(0o666)
    assert hcl_grammar._from_cache() is None


def test_a_cache_whose_bytes_changed_after_writing_is_removed_and_not_used(cache_home: Path) -> None:
    """The sample is parsed when the file is written, not at every load: the checksum stands for that check."""
    hcl_grammar._built_and_saved()
    path = hcl_grammar.cache_file()
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))
    assert hcl_grammar._from_cache() is None
    assert not path.exists()


def test_a_parser_that_does_not_survive_a_pickle_is_not_cached(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Lark whose copy read back parses the sample differently: python-hcl2's own parser, nothing written."""
    real = hcl_grammar._serialized
    calls: list[int] = []

    def differs_the_first_time(tree: object) -> object:
        calls.append(1)
        document = real(tree)
        return {**document, "copy": True} if len(calls) == 1 else document

    monkeypatch.setattr(hcl_grammar, "_serialized", differs_the_first_time)
    built = hcl_grammar._built_and_saved()
    assert built is not None
    assert not hcl_grammar.cache_file().exists()
