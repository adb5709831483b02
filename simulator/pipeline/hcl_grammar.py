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
cache folder (``$XDG_CACHE_HOME/provsim``, else ``~/.cache/provsim``, as
:func:`provsim.containers.base_image._build_lock` does; never the work tree).
The file is named by the versions of Python, Lark and python-hcl2 and the
grammar's hash, so an upgrade makes a new one. Loading it is one
``pickle.load``, done only when the file and its folder are the user's own
and writable by no one else. Anything wrong with it (no cache folder, a damaged or stale
file, a Lark that pickles differently) falls back to python-hcl2's own
parser: the cache can make a check faster, never different.

    >>> loads('a = "b"\\n')["a"]
    '"b"'
"""

from __future__ import annotations

import contextlib
import copy
import gc
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Parsed once when the cache file is written and again when it is read: a loaded parser that reads it
#: differently from the one that was saved is not used. It touches blocks, labels, lists, maps,
#: heredocs, comments, operators and interpolation.
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
    digest = hashlib.sha256(grammar).hexdigest()[:16]
    python = "{}.{}".format(*sys.version_info[:2])
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "provsim"
    return folder / f"hcl2-parser-py{python}-lark{lark.__version__}-hcl2{hcl2_version}-{digest}.pickle"


def _serialized(tree: Any) -> dict[str, Any]:
    """``hcl2.serialize(hcl2.transform(tree))``, from python-hcl2's transformer module alone (hcl2/api.py)."""
    _defer_hcl2_init()
    from hcl2.transformer import RuleTransformer

    document: dict[str, Any] = RuleTransformer(discard_new_line_or_comments=False).transform(tree).serialize()
    return document


def _defer_hcl2_init() -> None:
    """python-hcl2's ``__init__`` imports its writer, reconstructor and deserializer too (10-15 ms): not run."""
    from ..lazy_names import defer_package_init

    defer_package_init("hcl2")


def _from_cache() -> Any | None:
    try:
        path = cache_file()
    except Exception:  # no home folder, or python-hcl2 laid out differently: its own parser is used
        return None
    try:
        if not _private(path):
            return None
        with path.open("rb") as stream, _no_collection():
            expected, loaded = pickle.load(stream)
        if _serialized(loaded.parse(_SAMPLE)) == expected:
            return loaded
    except FileNotFoundError:
        return None
    except Exception:  # unreadable, damaged or pickled by another Lark: replaced by python-hcl2's own parser
        pass
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    return None


def _private(path: Path) -> bool:
    """Whether ``path`` and its folder are this user's and writable by no one else.

    Unpickling runs what the file says, so it is read only when no other user could have written it
    (the test OpenSSH makes of ``~/.ssh``); a missing file raises ``FileNotFoundError``.
    """
    for candidate in (path, path.parent):
        status = candidate.stat()
        if status.st_uid != os.geteuid() or status.st_mode & 0o022:
            return False
    return True


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: unpickling makes tens of thousands of objects, none of them garbage, and
    every few hundred of them would start a collection over the whole heap (twice the time of the load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
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
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((_serialized(built.parse(_SAMPLE)), built))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written whole under another name, then renamed: a parallel check (process pool, pytest -n) never reads half.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".hcl2-parser-")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
