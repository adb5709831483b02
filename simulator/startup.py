"""Work that is the same in every start of provsim, done once and kept in the user's cache folder.

A one-template ``provsim check`` is mostly start-up (issue 15): importing the
library, which makes about 270 dataclasses. On Python 3.11 and 3.12 each
dataclass writes out the source of its ``__init__``, ``__repr__``, ``__eq__``
and the rest and compiles it, one ``exec`` of a string per method
(``dataclasses._create_fn``): an eighth of a JSON template's check. The text
is the same in every start, and so is what compiling it gives, so
:func:`compiled_dataclass_methods` keeps the compiled code of provsim's own
dataclasses, keyed by that text, and hands ``exec`` the code in place of the
text. The classes are the same classes: the code is what Python compiles from
that text (``compile(text, "<string>", "exec")``, the flags of the
``dataclasses`` module, which has none).

Only where provsim's command line owns the process (``provsim.cli.main``
without ``argv``): the library, imported by a test suite or a tool, makes its
classes as Python does.

The cache files (this one and :mod:`provsim.pipeline.hcl_grammar`'s parser)
hold code that loading runs, so they are read only when the file and its
folder are the user's own and writable by no one else, written whole under
another name and renamed (a parallel check never reads half), and carry a
CRC-32 of their content: a damaged file is removed and not used.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import os
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/provsim``, else ``~/.cache/provsim`` (never the work tree)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "provsim"


def is_private(path: Path) -> bool:
    """Whether ``path`` and its folder are this user's and writable by no one else.

    What is loaded from a cache file runs, so it is read only when no other
    user could have written it (the test OpenSSH makes of ``~/.ssh``); a
    missing file raises ``FileNotFoundError``.
    """
    for candidate in (path, path.parent):
        status = candidate.stat()
        if status.st_uid != os.geteuid() or status.st_mode & 0o022:
            return False
    return True


def _header(kind: bytes, payload: bytes | memoryview) -> bytes:
    return b"provsim " + kind + b"\n" + f"{zlib.crc32(payload):08x}\n".encode()


def read_checked(path: Path, kind: bytes) -> memoryview | None:
    """The content :func:`write_checked` wrote to ``path``, when the file is private and undamaged.

    ``None`` when there is no file or it is not private; a damaged file is
    removed as well (it is rewritten by whoever needs it next).
    """
    try:
        if not is_private(path):
            return None
        content = path.read_bytes()
    except OSError:  # FileNotFoundError among them; or no home folder
        return None
    size = len(_header(kind, b""))
    header, payload = content[:size], memoryview(content)[size:]
    if header == _header(kind, payload):
        return payload
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    return None


def write_checked(path: Path, kind: bytes, payload: bytes) -> None:
    """Write ``payload`` to ``path`` with its checksum, whole under another name, then renamed."""
    import tempfile  # only when a cache is written: a start that reads one does not pay for it

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(_header(kind, payload) + payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


#: What the cache of dataclass methods keeps at most: a release's classes are about 300 methods; a
#: cache grown past this by many versions of provsim starts again from the methods of one run.
KEPT_METHODS = 5000
_METHODS = b"dataclass methods"


def methods_file() -> Path | None:
    """The cache of compiled dataclass methods: one per Python implementation and bytecode format."""
    import importlib.util

    tag = sys.implementation.cache_tag
    if tag is None:  # a Python that caches no bytecode
        return None
    return cache_folder() / f"dataclass-methods-{tag}-{importlib.util.MAGIC_NUMBER.hex()}.marshal"


@contextlib.contextmanager
def compiled_dataclass_methods() -> Iterator[None]:
    """Within: provsim's dataclasses get their methods' code from the cache; what was missing is added after.

    ``dataclasses`` looks ``exec`` up in its own module first: the name is set
    there for the time of the block and removed after. Text of anyone else's
    dataclass, or that is not a string, goes to the real ``exec`` unchanged.
    """
    import dataclasses

    path = methods_file()
    known = _load(path)
    used: dict[str, CodeType] = {}
    added: dict[str, CodeType] = {}

    def exec_compiled(source: Any, globals: Any = None, locals: Any = None, /, **options: Any) -> None:
        if type(source) is str and isinstance(globals, dict) and str(globals.get("__name__")).startswith("provsim."):
            code = known.get(source) or added.get(source)
            if code is None:
                code = added[source] = compile(source, "<string>", "exec", dont_inherit=True)
            used[source] = code
            source = code
        builtins.exec(source, globals, locals, **options)

    setattr(dataclasses, "exec", exec_compiled)  # noqa: B010 - mypy knows no such attribute, rightly
    try:
        yield
    finally:
        if vars(dataclasses).get("exec") is exec_compiled:
            delattr(dataclasses, "exec")
        if added and path is not None:
            kept = {**known, **added} if len(known) + len(added) <= KEPT_METHODS else used
            with contextlib.suppress(Exception):  # a read-only home: the next start compiles again, no more
                write_checked(path, _METHODS, marshal.dumps(kept))


def _load(path: Path | None) -> dict[str, CodeType]:
    payload = read_checked(path, _METHODS) if path is not None else None
    if payload is None:
        return {}
    try:
        loaded = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {key: code for key, code in loaded.items() if isinstance(key, str) and isinstance(code, CodeType)}


#: What the cache of OS profiles keeps at most: a check asks for a few (its seed's, per OS and role); a cache
#: grown past this by many seeds starts again from the profiles of one run.
KEPT_PROFILES = 1000
_PROFILES = b"os profiles"


def profiles_file() -> Path | None:
    """The cache of OS profiles, one per Faker release, Python version and text of :mod:`provsim.profile`.

    A profile is what Faker draws from its seed, so the file is named after
    what decides the draw: Faker's ``__init__`` (its ``VERSION``, and when it
    was installed), the Python (its ``random``) and provsim's own code that
    makes the profile from the draws. ``None`` without Faker.
    """
    import importlib.util

    from . import profile

    spec = importlib.util.find_spec("faker")
    if spec is None or spec.origin is None:
        return None
    try:
        faker_init = Path(spec.origin)
        drawn_by = b"\n".join(
            (
                faker_init.read_bytes(),
                str(faker_init.stat().st_mtime_ns).encode(),
                sys.version.encode(),
                Path(profile.__file__).read_bytes(),
            )
        )
    except OSError:
        return None
    return cache_folder() / f"os-profiles-{zlib.crc32(drawn_by):08x}.marshal"


@contextlib.contextmanager
def kept_os_profiles() -> Iterator[None]:
    """Within: the OS profiles an earlier start drew are taken from the cache; those drawn here are added after.

    Loading Faker's generator and the providers a profile draws from is about
    40 M instructions, a tenth of a one-template check, for the same three
    values each time (:func:`provsim.profile.generate_profile`).
    """
    from . import profile

    path = profiles_file()
    payload = read_checked(path, _PROFILES) if path is not None else None
    known: dict[str, tuple[str, str, str]] = {}
    if payload is not None:
        with contextlib.suppress(EOFError, ValueError, TypeError):
            loaded = marshal.loads(payload)
            if isinstance(loaded, dict):
                known = {
                    key: value
                    for key, value in loaded.items()
                    if isinstance(key, str)
                    and isinstance(value, tuple)
                    and len(value) == 3
                    and all(isinstance(text, str) for text in value)
                }
    profile.KEPT.update(known)
    try:
        yield
    finally:
        profile.KEPT.clear()
        added = {key: value for key, value in profile.DRAWN.items() if key not in known}
        if added and path is not None:
            kept = {**known, **added} if len(known) + len(added) <= KEPT_PROFILES else dict(profile.DRAWN)
            with contextlib.suppress(Exception):  # a read-only home: the next start draws again, no more
                write_checked(path, _PROFILES, marshal.dumps(kept))


#: What the cache of compiled regular expressions keeps at most: a check compiles 100-150 (its modules',
#: the standard library's, Lark's for HCL); a cache grown past this starts again from the patterns of one run.
KEPT_PATTERNS = 3000
_PATTERNS = b"regular expressions"


def patterns_file() -> Path:
    """The cache of compiled regular expressions: one per Python build and regex engine (``_sre.MAGIC``)."""
    import importlib

    _sre: Any = importlib.import_module("_sre")  # the engine re is made on; typeshed has no stub of it
    tag = zlib.crc32(f"{sys.version} {_sre.MAGIC} {_sre.CODESIZE} {sys.maxunicode}".encode())
    return cache_folder() / f"regular-expressions-{tag:08x}.marshal"


@contextlib.contextmanager
def compiled_patterns() -> Iterator[None]:
    """Within: a regular expression an earlier start compiled is made from its kept code, not parsed again.

    ``re.compile`` parses a pattern's text and turns the parse into the
    engine's code, a list of integers, then hands that list to ``_sre.compile``
    (``re._compiler.compile``); the parse and the code are a pure function of
    the text and the flags, and the same in every start: 100-150 patterns, a
    tenth of a one-template check (a sixth of an HCL one, with Lark's). The kept code is handed to
    ``_sre.compile`` as ``re`` hands it, so the pattern is the one ``re``
    makes. Not kept: a pattern whose parse warns (the warning is given again
    each time, as without the cache), ``re.DEBUG`` (it prints) and
    ``re.LOCALE``.
    """
    import importlib
    import re
    import warnings

    compiler: Any = getattr(re, "_compiler", None)  # private, and mypy knows nothing of it
    if compiler is None or not all(hasattr(compiler, name) for name in ("_parser", "_code", "compile")):
        yield  # a Python whose re is made otherwise: every pattern compiles as re compiles it
        return
    _sre: Any = importlib.import_module("_sre")
    original = compiler.compile
    path = patterns_file()
    known = _load_patterns(path)
    used: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
    added: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
    uncached = compiler.SRE_FLAG_DEBUG | compiler.SRE_FLAG_LOCALE

    def compile_kept(pattern: Any, flags: int = 0) -> Any:
        try:
            return _kept(pattern, flags)
        except Exception:  # another Python's re, or a bad pattern: re's own way, with re's own error
            return original(pattern, flags)

    def _kept(pattern: Any, flags: int) -> Any:
        if type(pattern) not in (str, bytes) or type(flags) is not int or flags & uncached:
            return original(pattern, flags)
        key = (pattern, flags)
        kept = known.get(key) or added.get(key)
        if kept is None:
            with warnings.catch_warnings(record=True) as warned:
                warnings.simplefilter("always")
                parsed = compiler._parser.parse(pattern, flags)
                code = [int(word) for word in compiler._code(parsed, flags)]  # its opcodes are named ints
            if warned:
                return original(pattern, flags)  # parsed again, and warns as re does
            groupindex = dict(parsed.state.groupdict)
            indexgroup: list[str | None] = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            kept = added[key] = (
                flags | parsed.state.flags,
                code,
                parsed.state.groups - 1,
                groupindex,
                tuple(indexgroup),
            )
        used[key] = kept
        final_flags, code, groups, groupindex, indexgroup = kept
        return _sre.compile(pattern, final_flags, code, groups, dict(groupindex), indexgroup)

    compiler.compile = compile_kept
    try:
        yield
    finally:
        if compiler.compile is compile_kept:
            compiler.compile = original
        if added:
            kept_all = {**known, **added} if len(known) + len(added) <= KEPT_PATTERNS else used
            with contextlib.suppress(Exception):  # a read-only home: the next start compiles again, no more
                write_checked(path, _PATTERNS, marshal.dumps(kept_all))


def _load_patterns(path: Path) -> dict[tuple[str | bytes, int], tuple[Any, ...]]:
    payload = read_checked(path, _PATTERNS)
    if payload is None:
        return {}
    try:
        loaded = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {
        key: value
        for key, value in loaded.items()
        if type(key) is tuple and len(key) == 2 and type(value) is tuple and len(value) == 5
    }
