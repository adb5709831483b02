"""python-hcl2's parser, loaded in about 15 ms instead of 70-100 ms (or 2.4 s).

python-hcl2 builds an LALR parser for its grammar with Lark and keeps the
tables in a cache file next to its own code (``hcl2/parser.py``:
``Lark.open("hcl2.lark", cache=<package>/.lark_cache.bin, ...)``). Two costs
remain on every ``provsim check`` of an HCL template:

- loading that cache rebuilds each of Lark's objects through Lark's own
  deserializer (``lark/lark.py`` ``Lark._load``): 70-100 ms here, a third of
  the whole check;
- when python-hcl2's folder is not writable (a system-wide or read-only
  install), there is no cache at all, and every run analyses the grammar
  afresh: about 2.4 s.

So provsim keeps the parser python-hcl2 built, pickled whole, in the user's
cache folder (:func:`provsim.startup.cache_folder`; never the work tree).
The file is named by the versions of Python, Lark and python-hcl2 and the
grammar's checksum, so an upgrade makes a new one. It is written only once a
copy read back from its bytes parses a sample as the parser that was saved
does, and it carries the checksum of those bytes. Loading it is a checksum
and one ``pickle.loads``, done only when the file and its folder are the
user's own and writable by no one else (:mod:`provsim.startup`). Anything wrong with it (no cache
folder, a damaged or stale file, a Lark that pickles differently) falls back
to python-hcl2's own parser: the cache can make a check faster, never
different.

    >>> loads('a = "b"\\n')["a"]
    '"b"'
"""

from __future__ import annotations

import contextlib
import copy
import gc
import io
import pickle
import sys
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..startup import cache_folder, read_checked, write_checked

#: Parsed when the cache file is written, by the parser and by a copy read back from the file's bytes: a
#: file whose copy reads it differently is not written. It touches blocks, labels, lists, maps, heredocs,
#: comments, operators and interpolation.
_SAMPLE = """\
# a comment
variable "v" { default = "x" }
source "azure-arm" "a" {
  list = [1, 2.5, true, null]
  map  = { k = "v", "q" = var.v }
  expr = var.v == "x" ? upper("${var.v}-y") : local.z[0]
  text = <<EOF
line ${var.v}
EOF
}
"""

_LOADED: list[Any] = []


#: The documents of the texts parsed last, newest last: a folder's variables file is read with each of its
#: templates, and a test suite reads the same fixture in many scenarios; Lark takes 5-20 ms a template.
_PARSED: OrderedDict[str, dict[str, Any]] = OrderedDict()
_PARSED_KEPT = 32


def loads(text: str) -> dict[str, Any]:
    """What ``hcl2.loads(text)`` gives, with the parser loaded from provsim's cache when it can be.

    The same text gives the same document: a text parsed recently is not parsed
    again, and each caller gets its own copy (readers may change what they get).
    """
    document = _PARSED.get(text)
    if document is None:
        # python-hcl2 appends a newline: its grammar cannot end a block at the end of the input (hcl2/api.py).
        document = _serialized(parser().parse(text + "\n"))
        _PARSED[text] = document
        if len(_PARSED) > _PARSED_KEPT:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(text)
    return copy.deepcopy(document)


def parser() -> Any:
    """The Lark parser of python-hcl2's grammar: from provsim's cache, else python-hcl2's own (then cached)."""
    if not _LOADED:
        _LOADED.append(_from_cache() or _built_and_saved())
    return _LOADED[0]


def cache_file() -> Path:
    """Where the parser is kept: named by everything that decides its content."""
    _defer_hcl2_init()
    import hcl2.parser as hcl2_parser
    import lark

    try:  # as python-hcl2's __init__ reads its __version__: "unknown" when installed without its version file
        from hcl2.version import version as hcl2_version
    except ImportError:
        hcl2_version = "unknown"

    grammar = (Path(hcl2_parser.__file__).parent / "hcl2.lark").read_bytes()
    digest = f"{zlib.crc32(grammar):08x}"  # zlib, not hashlib: no OpenSSL to load (3 ms) to tell grammars apart
    python = "{}.{}".format(*sys.version_info[:2])
    return cache_folder() / f"hcl2-parser-py{python}-lark{lark.__version__}-hcl2{hcl2_version}-{digest}.pickle"


def _serialized(tree: Any) -> dict[str, Any]:
    """``hcl2.serialize(hcl2.transform(tree))``, from python-hcl2's transformer module alone (hcl2/api.py)."""
    _defer_hcl2_init()
    from hcl2.transformer import RuleTransformer

    document: dict[str, Any] = RuleTransformer(discard_new_line_or_comments=False).transform(tree).serialize()
    return document


def _defer_hcl2_init() -> None:
    """What python-hcl2 and Lark import but a parse does not use, put off until someone uses it.

    python-hcl2's ``__init__`` imports its writer, reconstructor and deserializer
    too (10-15 ms). Lark imports the third-party ``regex`` module wherever it is
    installed (``lark/lark.py``, ``lark/utils.py``: ``try: import regex``), for
    grammars built with ``regex=True``; python-hcl2's is not, and ``regex``'s
    ``__init__`` costs 8-13 ms. Lark still finds the module, and the first
    grammar that uses it runs its ``__init__``.
    """
    from ..lazy_names import defer_package_init

    defer_package_init("hcl2")
    if "lark" not in sys.modules:
        defer_package_init("regex", if_installed=True)


#: What the cache file says it holds (:func:`provsim.startup.read_checked`).
_KIND = b"hcl2 parser"


def _from_cache() -> Any | None:
    try:
        path = cache_file()
    except Exception:  # no home folder, or python-hcl2 laid out differently: its own parser is used
        return None
    payload = read_checked(path, _KIND)  # None: no file, not private, or damaged (then removed)
    if payload is None:
        return None
    try:
        with _no_collection():
            return pickle.loads(payload)
    except Exception:  # pickled by another Lark: replaced by python-hcl2's own parser
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while the parser is unpickled, and its objects counted as old ones after.

    Unpickling makes about 50,000 objects, none of them garbage, and every few
    hundred new objects would start a collection (twice the time of the load).
    Resumed as it was, the collector would still go over all of them in its
    next two young collections (20 ms, the time of the load itself). So they
    join the oldest generation, where the process's modules and classes are,
    at once: ``gc.freeze()`` then ``gc.unfreeze()`` moves every tracked object
    there and nothing else (CPython's gcmodule.c: both merge lists, counting
    nothing as new). Whatever else was young is only promoted early: garbage
    among it goes with the next full collection. Skipped where the process
    keeps objects frozen itself (a server that forks), which ``unfreeze``
    would let go.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def _built_and_saved() -> Any:
    _defer_hcl2_init()
    from hcl2.parser import parser as hcl2_parser

    built = hcl2_parser()
    with contextlib.suppress(Exception):  # a read-only home or a Lark that no longer pickles: just slower
        _save(built, cache_file())
    return built


def _save(built: Any, path: Path) -> None:
    """Write ``built`` to ``path`` when a copy read back from the pickle parses the sample as ``built`` does.

    Checked here, once, rather than at every load: the file's checksum then
    says the bytes a load reads are the bytes that were checked (6 ms a check).
    """
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(built)
    payload = buffer.getvalue()
    if _serialized(pickle.loads(payload).parse(_SAMPLE)) != _serialized(built.parse(_SAMPLE)):
        return  # this Lark does not survive a pickle: python-hcl2's own parser every time
    write_checked(path, _KIND, payload)  # whole under another name, then renamed: a parallel check never reads half


class _Pickler(pickle.Pickler):
    """Pickles a Lark parser, which the standard pickler gets wrong in two places.

    The lexer configuration holds the ``re`` module itself (``LexerConf.re_module``),
    which pickle refuses; and the parse table's actions are two module-level
    singletons that the parser compares by identity (``lark/parsers/lalr_analysis.py``
    ``Shift``, ``Reduce``; ``lalr_parser_state.py``: ``if action is Shift``), which a
    plain pickle would turn into copies. Both are pickled by name instead.
    """

    def reducer_override(self, obj: Any) -> Any:
        import importlib
        import types

        from lark.parsers import lalr_analysis

        if isinstance(obj, types.ModuleType):
            return importlib.import_module, (obj.__name__,)
        if isinstance(obj, lalr_analysis.Action):
            for name in ("Shift", "Reduce"):
                if obj is getattr(lalr_analysis, name):
                    return getattr, (lalr_analysis, name)
        return NotImplemented
