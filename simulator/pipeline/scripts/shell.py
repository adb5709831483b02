"""A step's shell script, parsed with the shell's grammar and run against the in-memory disk.

Whether a Linux image ends generalized depends on whether ``waagent
-deprovision`` really *runs*, and a line of text cannot say that: ``#`` starts
a comment, ``printf "waagent ..."`` prints, ``if false`` and ``true ||`` never
run their command, ``exit 0`` ends the script, an ``environment_vars`` gate
stays shut; and the other way round ``sudo sh -c "waagent ..."``, a function,
``$W`` or ``echo ... | sudo sh`` do run it. So the script is parsed with
tree-sitter-bash (MIT, prebuilt wheels, exact rows and columns, heredocs as
data; bashlex is GPL, slower, and fails on heredocs) and then *interpreted*:
words are expanded from the step's own variables and environment, ``&&``,
``||``, ``;``, pipes, ``if``/``case``/loops, functions, nested shells and the
wrappers (``sudo``, ``env``, ``nohup``, ``exec``, ``timeout``, ``time``) are
followed, ``set -e`` and ``exit`` stop it, and ``[ -f path ]`` asks the disk.

What cannot be decided (a condition on a command's output, a path the
in-memory disk does not model, a command word from ``$(...)``) is never
guessed: a modelled effect (deprovision, cloud-init clean, a file write) that
would run only in such a place becomes :class:`~.effects.Undecided`, with its
line, and is not applied. Commands provsim does not model (``apt-get``,
``systemctl``...) are taken to succeed: if one fails, the real build fails,
which the Docker backend shows.

tree-sitter is imported on the first parse only: ``provsim check`` of a
template without shell steps never pays for it.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ...disk import GuestDisk
from ...guest.agent_config import remove_cloud_init, systemctl, unit_name
from .effects import (
    AgentChange,
    CloudInitClean,
    Effect,
    FileWrite,
    Place,
    Undecided,
    WaagentDeprovision,
    is_cloud_init_clean,
    is_waagent,
    package_removal,
    waagent_effect,
)
from .sed import substitution

Node = Any
Field = str | None
"""One word after expansion; None when its value cannot be known."""
Placer = Callable[[int, int], Place]

#: Variables every login session has whose values provsim does not know.
SESSION_VARIABLES = frozenset({"HOME", "USER", "LOGNAME", "PATH", "SHELL", "PWD", "TERM", "LANG", "HOSTNAME", "UID"})
#: Where an absent file is known to be absent: places the in-memory disk models in full.
MODELLED_FOLDERS = ("/tmp/", "/var/tmp/", "/var/lib/waagent/", "/etc/ssh/", "/var/lib/cloud/", "/home/", "/root/")
#: Where the build user (not root) may write.
USER_WRITABLE = ("/tmp/", "/var/tmp/", "/dev/null", "/dev/stdout", "/dev/stderr")
UNKNOWN_MARK = "\uffff"
"""Stands for an unknown value inside ``NAME=value`` words, so that ``env NAME=$X cmd`` is still an assignment."""
_SHELLS = frozenset({"sh", "bash", "dash"})
_MAX_DEPTH = 20
_MAX_LOOPS = 50


@cache
def _parser() -> Any:
    from ...lazy_names import tree_sitter_parser

    return tree_sitter_parser("tree_sitter_bash")


def parse(text: str) -> Node:
    """The script's syntax tree (tree-sitter-bash's ``program`` node)."""
    return _parser().parse(text.encode()).root_node


@dataclass(frozen=True)
class Record:
    """One modelled effect the script reached: ``applied`` to the disk or not, and why not."""

    effect: Effect | FileWrite | Undecided
    applied: bool
    note: str = ""


@dataclass
class Context:
    """What outlives one script: the disk, the build user, files whose content provsim lost track of."""

    disk: GuestDisk
    user: str
    unknown_files: dict[str, str] = field(default_factory=dict)
    """Path -> why its content is not known (written in an undecided branch, an unmodelled sed ...)."""
    records: list[Record] = field(default_factory=list)
    placers: dict[str, Placer] = field(default_factory=dict)
    """Script path on the disk -> where its lines were written (an inline script's lines are the template's)."""


@dataclass
class Outcome:
    """How a script ended: exit status (None: cannot be told) and whether a command ran at all."""

    status: int | None
    ran: bool


class _Exit(Exception):
    def __init__(self, status: int | None) -> None:
        self.status = status


class _Return(Exception):
    def __init__(self, status: int | None) -> None:
        self.status = status


@dataclass
class _Sink:
    text: str = ""
    known: bool = True

    def write(self, value: str | None) -> None:
        if value is None:
            self.known = False
        else:
            self.text += value

    @property
    def value(self) -> str | None:
        return self.text if self.known else None


class Shell:
    """One shell process: its variables, functions, options and who it runs as."""

    def __init__(
        self,
        context: Context,
        *,
        root: bool,
        env: dict[str, Field],
        placer: Placer,
        bash: bool = False,
        errexit: bool = False,
        argv: list[Field] | None = None,
        depth: int = 0,
    ) -> None:
        self.context = context
        self.root = root
        self.vars: dict[str, Field] = dict(env)
        self.exported: set[str] = set(env)
        self.functions: dict[str, Node] = {}
        self.placer = placer
        self.bash = bash
        self.errexit = errexit
        self.argv: list[Field] = argv or ["sh"]
        self.depth = depth
        self.no_errexit = 0
        self.maybe: list[str] = []
        self.sticky: str | None = None
        self.out = _Sink()
        self.stdin: str | None = ""
        self.ran = False

    # -- entry points ------------------------------------------------------------------------------
    def run(self, text: str) -> Outcome:
        """Run a whole script; its exit status (None when it cannot be told)."""
        tree = parse(text)
        try:
            status = self._block(tree.children)
        except _Exit as stop:
            status = stop.status
        if self.sticky is not None and status == 0:
            status = None
        return Outcome(status, self.ran)

    # -- bookkeeping -------------------------------------------------------------------------------
    def _place(self, node: Node) -> Place:
        row, column = node.start_point
        return self.placer(row, column)

    def _undecided_why(self) -> str | None:
        if self.maybe:
            return self.maybe[-1]
        return self.sticky

    def _record(
        self, effect: Effect | FileWrite | Undecided, apply: Callable[[], object] | None, note: str = ""
    ) -> bool:
        """Record an effect; apply it unless the place it is in may not run. True when applied."""
        why = self._undecided_why()
        if why is not None and not isinstance(effect, Undecided):
            text = effect.text if not isinstance(effect, FileWrite) else f"write to {effect.path}"
            self.context.records.append(Record(Undecided(why, text, effect.place), False))
            if isinstance(effect, FileWrite):
                self.context.unknown_files[effect.path] = f"{effect.place}: {why}"
            return False
        if apply is not None:
            apply()
            self.context.records.append(Record(effect, True, note))
            return True
        self.context.records.append(Record(effect, False, note))
        return False

    def _undecided(self, reason: str, node: Node) -> None:
        self.context.records.append(Record(Undecided(reason, _text(node)[:200], self._place(node)), False))

    @contextmanager
    def _perhaps(self, why: str) -> Iterator[None]:
        self.maybe.append(why)
        try:
            yield
        finally:
            self.maybe.pop()

    @contextmanager
    def _condition(self) -> Iterator[None]:
        self.no_errexit += 1
        try:
            yield
        finally:
            self.no_errexit -= 1

    def _check_errexit(self, status: int | None, node: Node) -> None:
        if not self.errexit or self.no_errexit or status == 0:
            return
        if status is None:
            if self._undecided_why() is None:
                self.sticky = f"under set -e the script may stop at {self._place(node)} ('{_line(node)}')"
            return
        self._exit(status, node)

    def _exit(self, status: int | None, node: Node) -> None:
        why = self._undecided_why()
        if why is not None:
            # An exit in a place that may not run: what follows may not run either.
            self.sticky = self.sticky or f"{why}, and the script may exit there ({self._place(node)})"
            return
        raise _Exit(status)

    # -- statements --------------------------------------------------------------------------------
    def _block(self, nodes: list[Node]) -> int | None:
        status: int | None = 0
        for node in nodes:
            if not node.is_named or node.type in ("comment", "heredoc_body"):
                continue
            status = self._statement(node)
        return status

    def _statement(self, node: Node) -> int | None:
        kind = node.type
        handler = getattr(self, f"_s_{kind}", None)
        if handler is None:
            self._undecided(f"provsim does not follow the shell construct '{kind}'", node)
            return None
        status: int | None = handler(node)
        return status

    def _s_program(self, node: Node) -> int | None:
        return self._block(node.children)

    def _s_compound_statement(self, node: Node) -> int | None:
        return self._block(node.children)

    def _s_do_group(self, node: Node) -> int | None:
        return self._block(node.children)

    def _s_subshell(self, node: Node) -> int | None:
        status = self._subshell(lambda: self._block(node.children))
        self._check_errexit(status, node)
        return status

    def _subshell(self, body: Callable[[], int | None]) -> int | None:
        saved = (dict(self.vars), set(self.exported), dict(self.functions), self.errexit, self.sticky)
        try:
            status = body()
        except _Exit as stop:
            status = stop.status
        finally:
            self.vars, self.exported, self.functions, self.errexit, sticky = saved
        if self.sticky is not None and sticky is None and status == 0:
            status = None
        return status

    def _s_list(self, node: Node) -> int | None:
        left, operator, right = node.children[0], node.children[1].type, node.children[2]
        with self._condition():
            status = self._statement(left)
        if status is None:
            with self._perhaps(f"{self._place(left)}: cannot tell whether '{_line(left)}' succeeds"):
                self._statement(right)
            return None
        if (operator == "&&") == (status == 0):
            return self._statement(right)
        return status

    def _s_negated_command(self, node: Node) -> int | None:
        with self._condition():
            status = self._statement(node.children[-1])
        return None if status is None else int(status == 0)

    def _s_pipeline(self, node: Node) -> int | None:
        commands = [child for child in node.children if child.is_named]
        return self._pipeline(commands, node)

    def _pipeline(self, commands: list[Node], node: Node, stdin: str | None = "") -> int | None:
        status: int | None = 0
        saved_out, saved_in = self.out, self.stdin
        data: str | None = stdin
        try:
            for index, command in enumerate(commands):
                sink = _Sink()
                self.out, self.stdin = (sink if index < len(commands) - 1 else saved_out), data

                def element(command: Node = command) -> int | None:
                    with self._condition():
                        return self._statement(command)

                status = self._subshell(element)
                data = sink.value
        finally:
            self.out, self.stdin = saved_out, saved_in
        self._check_errexit(status, node)
        return status

    def _s_variable_assignment(self, node: Node) -> int | None:
        name, value = self._assignment(node)
        self._assign(name, value)
        return 0

    def _assignment(self, node: Node) -> tuple[str, Field]:
        name = _text(node.child_by_field_name("name"))
        value_node = node.child_by_field_name("value")
        value: Field = "" if value_node is None else self._join(self._expand(value_node, split=False))
        return name, value

    def _assign(self, name: str, value: Field) -> None:
        self.vars[name] = None if self._undecided_why() is not None else value

    def _s_declaration_command(self, node: Node) -> int | None:
        keyword = node.children[0].type
        for child in node.children[1:]:
            if child.type == "variable_assignment":
                name, value = self._assignment(child)
                self._assign(name, value)
            elif child.type == "variable_name":
                name = _text(child)
                self.vars.setdefault(name, "" if keyword == "local" else self._lookup(name))
            else:
                continue
            if keyword == "export":
                self.exported.add(name)
        return 0

    def _s_unset_command(self, node: Node) -> int | None:
        for child in node.children[1:]:
            self.vars.pop(_text(child), None)
            self.functions.pop(_text(child), None)
        return 0

    def _s_function_definition(self, node: Node) -> int | None:
        name = _text(node.child_by_field_name("name"))
        self.functions[name] = node.child_by_field_name("body")
        return 0

    def _s_if_statement(self, node: Node) -> int | None:
        branches: list[tuple[list[Node], list[Node]]] = []
        condition: list[Node] = []
        body: list[Node] = []
        target = condition
        for child in node.children:
            if child.type in ("if", "elif"):
                continue
            if child.type == "then":
                target = body
            elif child.type in ("elif_clause", "else_clause"):
                continue
            elif child.type == "fi":
                break
            else:
                target.append(child)
        branches.append((condition, body))
        for clause in node.children:
            if clause.type == "elif_clause":
                cond: list[Node] = []
                then: list[Node] = []
                into: list[Node] | None = None
                for child in clause.children:
                    if child.type == "elif":
                        into = cond
                    elif child.type == "then":
                        into = then
                    elif into is not None:
                        into.append(child)
                branches.append((cond, then))
            elif clause.type == "else_clause":
                branches.append(([], [child for child in clause.children if child.type != "else"]))
        return self._branches(branches)

    def _branches(self, branches: list[tuple[list[Node], list[Node]]]) -> int | None:
        for index, (condition, body) in enumerate(branches):
            if not condition:
                return self._block(body)
            with self._condition():
                status = self._block(condition)
            if status == 0:
                return self._block(body)
            if status is None:
                why = f"{self._place(condition[0])}: cannot tell whether '{_line(condition[0])}' succeeds"
                with self._perhaps(why):
                    self._block(body)
                    for _, rest in branches[index + 1 :]:
                        self._block(rest)
                return None
        return 0

    def _s_while_statement(self, node: Node) -> int | None:
        until = node.children[0].type == "until"
        condition = [c for c in node.children[1:] if c.type != "do_group"]
        body = node.child_by_field_name("body") or next(c for c in node.children if c.type == "do_group")
        status: int | None = 0
        for _ in range(_MAX_LOOPS):
            with self._condition():
                test = self._block(condition)
            if test is None:
                with self._perhaps(f"{self._place(node)}: cannot tell whether the loop runs"):
                    self._statement(body)
                return None
            if (test == 0) == until:
                return status
            status = self._loop_body(body)
            if status == "break":
                return 0
        with self._perhaps(f"{self._place(node)}: a loop provsim stops following after {_MAX_LOOPS} rounds"):
            self._statement(body)
        return None

    def _loop_body(self, body: Node) -> Any:
        try:
            return self._statement(body)
        except _Break:
            return "break"

    def _s_for_statement(self, node: Node) -> int | None:
        name = _text(node.child_by_field_name("variable"))
        values = [c for c in node.children_by_field_name("value")]
        words: list[Field] = []
        if values:
            for value in values:
                words.extend(self._expand(value))
        else:
            words = list(self.argv[1:])
        body = node.child_by_field_name("body")
        status: int | None = 0
        if any(word is None for word in words):
            self.vars[name] = None
            with self._perhaps(f"{self._place(node)}: cannot tell what the loop goes over"):
                self._statement(body)
            return None
        for word in words:
            self._assign(name, word)
            result = self._loop_body(body)
            if result == "break":
                break
            status = result
        return status

    def _s_case_statement(self, node: Node) -> int | None:
        subject = self._join(self._expand(node.child_by_field_name("value"), split=False))
        items = [child for child in node.children if child.type == "case_item"]
        for index, item in enumerate(items):
            patterns = [c for c in item.children_by_field_name("value")]
            body = [c for c in item.children if c.is_named and c not in patterns and c.type != "comment"]
            if subject is None:
                with self._perhaps(f"{self._place(node)}: cannot tell which case '{_line(node)}' takes"):
                    for rest in items[index:]:
                        self._block([c for c in rest.children if c.is_named and c.type != "comment"][1:])
                return None
            for pattern in patterns:
                text = self._join(self._expand(pattern, split=False, glob=True))
                if text is None:
                    with self._perhaps(f"{self._place(pattern)}: cannot tell whether the case matches"):
                        self._block(body)
                    return None
                if fnmatch.fnmatchcase(subject, text):
                    return self._block(body)
        return 0

    def _s_test_command(self, node: Node) -> int | None:
        words: list[Field] = []
        for child in node.children:
            if child.type in ("[", "]", "[[", "]]"):
                continue
            words.extend(self._test_words(child))
        return _test(words, self)

    def _test_words(self, node: Node) -> list[Field]:
        if node.type in ("unary_expression", "binary_expression", "parenthesized_expression"):
            words: list[Field] = []
            for child in node.children:
                words.extend(self._test_words(child))
            return words
        if node.type == "test_operator" or not node.is_named:
            return [_text(node)]
        return [self._join([word]) for word in self._expand(node, split=False)]

    def _s_redirected_statement(self, node: Node) -> int | None:
        body = node.child_by_field_name("body")
        redirects = [c for c in node.children if c is not body and c.is_named]
        then: list[Node] = []
        for redirect in redirects:
            if redirect.type == "heredoc_redirect":
                then.extend(
                    c
                    for c in redirect.children
                    if c.is_named and c.type not in ("heredoc_start", "heredoc_body", "heredoc_end")
                )
        if then:
            return self._heredoc_pipeline(node, body, redirects, then)
        status = self._redirected(lambda: self._statement(body) if body is not None else 0, redirects)
        if body is None or body.type != "command":
            self._check_errexit(status, node)
        return status

    def _heredoc_pipeline(self, node: Node, body: Node, redirects: list[Node], then: list[Node]) -> int | None:
        """``cat <<EOF | sudo tee FILE`` (tree-sitter puts what follows the heredoc inside it)."""
        rest = then[0]
        operator = next((c.type for c in rest.children if not c.is_named), "|")
        if operator != "|":
            status = self._redirected(lambda: self._statement(body), redirects)
            return self._statement(rest) if status is not None else None
        sink = _Sink()
        saved = self.out
        self.out = sink
        try:
            with self._condition():
                self._subshell(lambda: self._redirected(lambda: self._statement(body), redirects))
        finally:
            self.out = saved
        commands = [c for c in rest.children if c.is_named]
        return self._pipeline(commands, node, stdin=sink.value)

    def _redirected(self, body: Callable[[], int | None], redirects: list[Node]) -> int | None:
        saved_out, saved_in = self.out, self.stdin
        targets: list[tuple[str | None, bool, Node]] = []
        sink = _Sink()
        try:
            for redirect in redirects:
                if redirect.type == "heredoc_redirect":
                    self.stdin = self._heredoc(redirect)
                elif redirect.type == "herestring_redirect":
                    word = self._join(self._expand(redirect.children[-1], split=False))
                    self.stdin = None if word is None else word + "\n"
                elif redirect.type == "file_redirect":
                    operator = next((c.type for c in redirect.children if not c.is_named), ">")
                    descriptor = redirect.child_by_field_name("descriptor")
                    destination = redirect.child_by_field_name("destination")
                    if destination is None:
                        continue
                    path = self._join(self._expand(destination, split=False))
                    if operator == "<":
                        self.stdin = self._read(path)
                    elif operator in (">", ">>", "&>", ">|") and (descriptor is None or _text(descriptor) == "1"):
                        targets.append((path, operator == ">>", redirect))
                        self.out = sink
            status = body()
        finally:
            self.out, self.stdin = saved_out, saved_in
        for path, append, redirect in targets:
            if not self._write(path, append, sink.value, redirect):
                return 1
        return status

    def _heredoc(self, redirect: Node) -> str | None:
        start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
        body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
        if body is None:
            return ""
        quoted = start is not None and any(q in _text(start) for q in "'\"\\")
        strip = any(c.type == "<<-" for c in redirect.children)
        if quoted:
            text: str | None = _text(body)
        else:
            text = self._join(self._expand(body, split=False, heredoc=True))
        if text is not None and strip:
            text = "\n".join(line.lstrip("\t") for line in text.split("\n"))
        return text

    def _read(self, path: str | None) -> str | None:
        if path is None or path in self.context.unknown_files:
            return None
        return self.context.disk.read_text(path)

    def _write(self, path: str | None, append: bool, text: str | None, node: Node) -> bool:
        """A redirection writes ``text`` to ``path``; False when the shell cannot open it."""
        if path in ("/dev/null", "/dev/stdout", "/dev/stderr"):
            return True
        if path is None:
            self._undecided("cannot tell which file this redirection writes", node)
            return True
        if not self._may_write(path):
            return False
        place = self._place(node)
        if text is None:
            self.context.unknown_files[path] = f"{place}: provsim cannot tell what is written there"
            return True
        write = FileWrite(path, "append" if append else "replace", text, place=place)
        if self._record(write, lambda: write.apply(self.context.disk)):
            self.context.unknown_files.pop(path, None)
        return True

    def _may_write(self, path: str) -> bool:
        if self.root:
            return True
        home = f"/home/{self.context.user}/"
        return path.startswith((*USER_WRITABLE, home)) or path in USER_WRITABLE

    # -- commands ----------------------------------------------------------------------------------
    def _s_command(self, node: Node) -> int | None:
        assignments: list[tuple[str, Field]] = []
        redirects: list[Node] = []
        words: list[Field] = []
        name_node = node.child_by_field_name("name")
        for child in node.children:
            if child.type == "variable_assignment":
                assignments.append(self._assignment(child))
            elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                redirects.append(child)
            elif child.is_named and child.type != "comment":
                words.extend(self._expand(child))
        if name_node is None and not words:
            for name, value in assignments:
                self._assign(name, value)
            return 0
        self.ran = True
        if redirects:
            status = self._redirected(lambda: self._invoke(words, dict(assignments), node), redirects)
        else:
            status = self._invoke(words, dict(assignments), node)
        self._check_errexit(status, node)
        return status

    def _invoke(self, words: list[Field], assignments: dict[str, Field], node: Node) -> int | None:
        if not words:
            return 0
        if words[0] is None:
            self._undecided(
                "provsim cannot tell which command this runs (its name comes from a value it cannot know)", node
            )
            return None
        return self._run_argv(words, assignments, self.root, node, env_reset=False)

    def _run_argv(
        self, argv: list[Field], extra: dict[str, Field], root: bool, node: Node, *, env_reset: bool
    ) -> int | None:
        """Run one command line after expansion: wrappers, builtins, functions, shells, modelled tools."""
        argv, extra, root, env_reset, stop = _unwrap(argv, extra, root, env_reset)
        argv = [None if word is None or UNKNOWN_MARK in word else word for word in argv]
        extra = {k: None if v is None or UNKNOWN_MARK in v else v for k, v in extra.items()}
        if stop is not None:
            self._undecided(stop, node)
            return None
        if not argv:
            return 0
        name = argv[0]
        if name is None:
            self._undecided("provsim cannot tell which command this runs", node)
            return None
        base = posixpath.basename(name)
        if name in self.functions and not env_reset and root == self.root:
            return self._call(name, argv, extra)
        builtin = _BUILTINS.get(name)
        if builtin is not None and root == self.root and not env_reset:
            return builtin(self, argv, node)
        if base in _SHELLS:
            return self._nested_shell(argv, extra, root, node, bash=base == "bash", env_reset=env_reset)
        if None in argv:
            if is_waagent(name) or base == "cloud-init":
                self._undecided(f"'{_line(node)}': provsim cannot tell this command's arguments", node)
                return None
            return 0
        words = [w for w in argv if w is not None]
        external = _EXTERNALS.get(base)
        if external is not None:
            return external(self, words, root, node)
        if is_waagent(name):
            return self._waagent(words, root, node)
        if is_cloud_init_clean(words):
            effect = CloudInitClean(_line(node), self._place(node))
            from ...deprovision import cloud_init_clean

            self._record(effect, lambda: cloud_init_clean(self.context.disk))
            return 0
        if name.startswith(("/", "./")) or "/" in name:
            return self._run_file(name, argv, extra, root, node, env_reset)
        return 0

    def _call(self, name: str, argv: list[Field], extra: dict[str, Field]) -> int | None:
        if self.depth >= _MAX_DEPTH:
            return None
        saved_argv, saved_vars = self.argv, dict(self.vars)
        self.argv = [self.argv[0], *argv[1:]]
        self.vars.update(extra)
        self.depth += 1
        try:
            return self._statement(self.functions[name])
        except _Return as back:
            return back.status
        finally:
            self.depth -= 1
            self.argv = saved_argv
            for key in extra:
                if key in saved_vars:
                    self.vars[key] = saved_vars[key]
                else:
                    self.vars.pop(key, None)

    def child_env(self, extra: dict[str, Field], env_reset: bool) -> dict[str, Field]:
        """What a command started from here sees: the exported variables (none but sudo's own after a reset)."""
        env = {} if env_reset else {name: self.vars.get(name) for name in self.exported if name in self.vars}
        env.update(extra)
        return env

    def _nested_shell(
        self, argv: list[Field], extra: dict[str, Field], root: bool, node: Node, *, bash: bool, env_reset: bool
    ) -> int | None:
        errexit = False
        index = 1
        script: str | None = None
        name = "sh"
        from_stdin = False
        while index < len(argv):
            word = argv[index]
            if word is None:
                self._undecided("provsim cannot tell this shell's options", node)
                return None
            if word == "-c":
                if index + 1 >= len(argv):
                    return 2
                script = argv[index + 1]
                if script is None:
                    self._undecided("provsim cannot tell the command string this shell runs", node)
                    return None
                index += 2
                break
            if word in ("-s", "-"):
                from_stdin = True
                index += 1
                break
            if word.startswith(("-", "+")) and len(word) > 1:
                if word.startswith("-") and "e" in word:
                    errexit = True
                index += 1
                continue
            name = word
            index += 1
            break
        rest = argv[index:]
        if script is not None:
            return self._child(
                script, extra, root, node, bash, errexit, [rest[0] if rest else "sh", *rest[1:]], env_reset
            )
        if from_stdin or name == "sh":
            if self.stdin is None:
                self._undecided("provsim cannot tell what is piped into this shell", node)
                return None
            return self._child(self.stdin, extra, root, node, bash, errexit, ["sh", *rest], env_reset)
        text = self._read(name)
        if text is None:
            if name in self.context.unknown_files:
                self._undecided(
                    f"runs {name}, whose content provsim lost track of ({self.context.unknown_files[name]})", node
                )
                return None
            return 127
        return self._child(text, extra, root, node, bash, errexit, [name, *rest], env_reset, path=name)

    def _run_file(
        self, path: str, argv: list[Field], extra: dict[str, Field], root: bool, node: Node, env_reset: bool
    ) -> int | None:
        if path in self.context.unknown_files:
            self._undecided(
                f"runs {path}, whose content provsim lost track of ({self.context.unknown_files[path]})", node
            )
            return None
        text = self.context.disk.read_text(path)
        if text is None:
            return 0  # an installed program the in-memory disk does not hold: taken to succeed
        first = text.split("\n", 1)[0]
        if not first.startswith("#!"):
            return self._child(text, extra, root, node, False, False, list(argv), env_reset, path=path)
        words = first[2:].split()
        if words and posixpath.basename(words[0]) == "env" and len(words) > 1:
            words = words[1:]
        interpreter = posixpath.basename(words[0]) if words else "sh"
        if interpreter not in _SHELLS:
            return 0
        errexit = any(w.startswith("-") and "e" in w for w in words[1:])
        return self._child(text, extra, root, node, interpreter == "bash", errexit, list(argv), env_reset, path=path)

    def _child(
        self,
        script: str,
        extra: dict[str, Field],
        root: bool,
        node: Node,
        bash: bool,
        errexit: bool,
        argv: list[Field],
        env_reset: bool,
        path: str | None = None,
    ) -> int | None:
        if self.depth >= _MAX_DEPTH:
            self._undecided("scripts nested too deep to follow", node)
            return None
        outer = self._place(node)
        if path is not None:
            known = self.context.placers.get(path)

            def placer(row: int, column: int) -> Place:
                return known(row, column) if known is not None else Place(path, row + 1, column + 1)
        else:

            def placer(row: int, column: int) -> Place:
                # A command string: places are the outer command's (its text is on that line).
                return outer

        child = Shell(
            self.context,
            root=root,
            env=self.child_env(extra, env_reset),
            placer=placer,
            bash=bash,
            errexit=errexit,
            argv=argv,
            depth=self.depth + 1,
        )
        child.maybe = list(self.maybe)
        child.sticky = self.sticky
        child.out, child.stdin = self.out, self.stdin
        outcome = child.run(script)
        self.ran = self.ran or outcome.ran
        return outcome.status

    def _waagent(self, argv: list[str], root: bool, node: Node) -> int | None:
        effect = waagent_effect(argv, _line(node), self._place(node))
        if effect is None:
            return 0
        if not isinstance(effect, WaagentDeprovision):
            self._record(effect, None)
            return 0
        from ...deprovision import waagent_deprovision

        if not root:
            self._record(effect, None, f"runs as {self.context.user}, not root: waagent refuses and exits 1")
            return 1
        if not effect.force:
            if self.stdin is None:
                self._record(
                    Undecided("cannot tell what answers waagent's y/n question", effect.text, effect.place), None
                )
                return None
            if not self.stdin.strip().lower().startswith("y"):
                answer = "nothing (end of input)" if not self.stdin else repr(self.stdin.split("\n")[0])
                self._record(effect, None, f"no -force: waagent asks 'Do you want to proceed (y/n)' and reads {answer}")
                return 1 if not self.stdin else 0
        delete_user = effect.delete_user
        self._record(effect, lambda: waagent_deprovision(self.context.disk, delete_user=delete_user))
        return 0

    # -- expansion ---------------------------------------------------------------------------------
    def _lookup(self, name: str) -> Field:
        if name in self.vars:
            return self.vars[name]
        if name.isdigit():
            index = int(name)
            return self.argv[index] if index < len(self.argv) else ""
        if name == "#":
            return str(len(self.argv) - 1)
        if name in SESSION_VARIABLES or name in ("?", "$", "!", "@", "*", "-", "RANDOM"):
            return None
        return ""

    def _join(self, fields: list[Field]) -> Field:
        if any(part is None or UNKNOWN_MARK in part for part in fields):
            return None
        return " ".join(part for part in fields if part is not None)

    def _expand(self, node: Node, *, split: bool = True, glob: bool = False, heredoc: bool = False) -> list[Field]:
        """A word as the shell expands it: a list of fields, None for a value provsim cannot know."""
        parts = self._parts(node, quoted=not split, heredoc=heredoc)
        fields: list[Field] = []
        current: str | None = ""
        started = False
        for text, splittable in parts:
            if text is None:
                # NAME=<unknown> stays an assignment (for env and sudo) whose value is unknown.
                assignment = current is not None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=", current)
                current, started = (current + UNKNOWN_MARK if assignment and current is not None else None), True
                continue
            if splittable and split:
                pieces = text.split()
                if not pieces:
                    continue
                if text[0].isspace() and started:
                    fields.append(current)
                    current, started = "", False
                for position, piece in enumerate(pieces):
                    if position:
                        fields.append(current)
                        current = ""
                    current = None if current is None else current + piece
                    started = True
                if text[-1].isspace():
                    fields.append(current)
                    current, started = "", False
            else:
                current = None if current is None else current + text
                started = True
        if started or (not split):
            fields.append(current)
        return fields

    def _parts(self, node: Node, *, quoted: bool, heredoc: bool = False) -> list[tuple[str | None, bool]]:
        kind = node.type
        if kind in ("word", "number", "extglob_pattern", "test_operator"):
            return [(_unescape(_text(node)), False)]
        if kind == "raw_string":
            return [(_text(node)[1:-1], False)]
        if kind == "ansi_c_string":
            return [(_c_escapes(_text(node)[2:-1]), False)]
        if kind in ("string", "translated_string", "heredoc_body"):
            parts: list[tuple[str | None, bool]] = []
            position = node.start_byte + (0 if kind == "heredoc_body" else 1)
            end = node.end_byte - (0 if kind == "heredoc_body" else 1)
            source = node.text
            base = node.start_byte
            for child in node.children:
                if child.start_byte > position:
                    parts.append((_unescape_quoted(source[position - base : child.start_byte - base].decode()), False))
                if child.type in ("string_content", "heredoc_content"):
                    parts.append((_unescape_quoted(_text(child)), False))
                elif child.is_named:
                    parts.extend((text, False) for text, _ in self._parts(child, quoted=True))
                position = max(position, child.end_byte)
            if end > position:
                parts.append((_unescape_quoted(source[position - base : end - base].decode()), False))
            return parts
        if kind == "concatenation":
            result: list[tuple[str | None, bool]] = []
            for child in node.children:
                result.extend(self._parts(child, quoted=quoted))
            return result
        if kind == "simple_expansion":
            name = _text(node)[1:]
            return [(self._lookup(name), not quoted)]
        if kind == "expansion":
            return [(self._parameter(_text(node)), not quoted)]
        if kind in ("command_substitution", "process_substitution", "arithmetic_expansion", "brace_expression"):
            return [(None, not quoted)]
        if kind == "variable_name":
            return [(_text(node), False)]
        if kind == "command_name":
            return self._parts(node.children[0], quoted=quoted) if node.children else [("", False)]
        return [(None, False)]

    def _parameter(self, text: str) -> Field:
        match = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+)(?:(:?[-=+?])(.*))?\}", text, re.DOTALL)
        if match is None:
            return None
        name, operator, word = match.groups()
        value = self._lookup(name)
        if operator is None:
            return value
        if value is None:
            return None
        unset = name not in self.vars
        empty = unset or (operator.startswith(":") and value == "")
        default = _unescape(word.strip("\"'"))
        if operator.endswith(("-", "=")):
            if empty and operator.endswith("="):
                self.vars[name] = default
            return default if empty else value
        if operator.endswith("+"):
            return "" if empty else default
        return value


class _Break(Exception):
    pass


def _text(node: Node | None) -> str:
    return "" if node is None else str(node.text.decode("utf-8", "replace"))


def _line(node: Node) -> str:
    return _text(node).split("\n", 1)[0].strip()


def _unescape(text: str) -> str:
    """An unquoted word: a backslash quotes the next character; a backslash-newline disappears."""
    return re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.DOTALL)


def _unescape_quoted(text: str) -> str:
    """Inside double quotes a backslash quotes only $ ` " \\ and newline."""
    return re.sub(r"\\([$`\"\\\n])", lambda m: "" if m.group(1) == "\n" else m.group(1), text)


def _c_escapes(text: str) -> str:
    table = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "e": "\x1b", "0": "\0"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), "\\" + m.group(1)), text)


def _echo_escapes(text: str) -> tuple[str, bool]:
    """dash's echo (and printf %b): backslash escapes; ``\\c`` ends the output. Returns (text, stopped)."""
    out: list[str] = []
    index = 0
    table = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following == "c":
                return "".join(out), True
            if following in table:
                out.append(table[following])
                index += 2
                continue
            if following == "0":
                digits = re.match(r"[0-7]{0,3}", text[index + 2 :])
                assert digits is not None
                out.append(chr(int(digits.group(0) or "0", 8)))
                index += 2 + len(digits.group(0))
                continue
        out.append(char)
        index += 1
    return "".join(out), False


# -- wrappers ---------------------------------------------------------------------------------------
_SUDO_WITH_VALUE = frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user", "--group"})


def _unwrap(
    argv: list[Field], extra: dict[str, Field], root: bool, env_reset: bool
) -> tuple[list[Field], dict[str, Field], bool, bool, str | None]:
    """Peel ``sudo``, ``env``, ``nohup``, ``exec``, ``timeout``, ``time``, ``command`` and ``nice`` off a command."""
    extra = dict(extra)
    while argv and argv[0] is not None:
        base = posixpath.basename(argv[0])
        rest = argv[1:]
        if base == "sudo":
            target_root, keep_env = True, False
            index = 0
            while index < len(rest):
                word = rest[index]
                if word is None:
                    return [], extra, root, env_reset, "provsim cannot tell sudo's options"
                if word == "--":
                    index += 1
                    break
                if word in _SUDO_WITH_VALUE or (
                    word.startswith("-")
                    and not word.startswith("--")
                    and word[-1] in "ugCDhprtTU"
                    and len(word) > 2
                    and set(word[1:-1]) <= set("EHnSbikKlsvAP")
                ):
                    value = rest[index + 1] if index + 1 < len(rest) else None
                    if word.endswith("u") or word == "--user":
                        if value is None:
                            return [], extra, root, env_reset, "provsim cannot tell which user sudo runs as"
                        target_root = value in ("root", "#0")
                    if "E" in word:
                        keep_env = True
                    index += 2
                    continue
                if word.startswith("--user="):
                    target_root = word.split("=", 1)[1] in ("root", "#0")
                    index += 1
                    continue
                if word.startswith("--preserve-env") or (
                    word.startswith("-") and not word.startswith("--") and "E" in word
                ):
                    keep_env = True
                    index += 1
                    continue
                if word.startswith("-"):
                    index += 1
                    continue
                break
            rest = rest[index:]
            while rest and rest[0] is not None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", rest[0], re.DOTALL):
                key, _, value = rest[0].partition("=")
                extra[key] = value
                rest = rest[1:]
            if not keep_env:
                env_reset = True
                extra = {k: v for k, v in extra.items() if k in argv_assignments(argv)}
            root, argv = target_root, rest
            continue
        if base == "env":
            index = 0
            while index < len(rest):
                word = rest[index]
                if word is None:
                    return [], extra, root, env_reset, "provsim cannot tell env's arguments"
                if word in ("-i", "-", "--ignore-environment"):
                    env_reset = True
                    extra = {}
                elif word in ("-u", "--unset") and index + 1 < len(rest):
                    extra.pop(rest[index + 1] or "", None)
                    index += 1
                elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word, re.DOTALL):
                    key, _, value = word.partition("=")
                    extra[key] = value
                elif not word.startswith("-"):
                    break
                index += 1
            argv = rest[index:]
            continue
        if base in ("nohup", "exec", "time", "command", "builtin", "stdbuf"):
            while rest and rest[0] is not None and rest[0].startswith("-") and len(rest[0]) > 1:
                rest = rest[1:]
            argv = rest
            continue
        if base in ("timeout", "nice", "ionice"):
            while rest and rest[0] is not None and rest[0].startswith("-"):
                takes = rest[0] in ("-s", "-k", "-n", "--signal", "--kill-after", "-c")
                rest = rest[2:] if takes else rest[1:]
            if base == "timeout" and rest:
                rest = rest[1:]
            argv = rest
            continue
        break
    return argv, extra, root, env_reset, None


def argv_assignments(argv: list[Field]) -> set[str]:
    """Names assigned as ``sudo NAME=value cmd``: sudo keeps those even when it resets the environment."""
    names: set[str] = set()
    for word in argv[1:]:
        if word is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word, re.DOTALL):
            if word is not None and word.startswith("-"):
                continue
            if word is not None and names:
                break
            continue
        names.add(word.partition("=")[0])
    return names


# -- builtins ---------------------------------------------------------------------------------------
Builtin = Callable[[Shell, list[Field], Node], int | None]


def _b_true(shell: Shell, argv: list[Field], node: Node) -> int | None:
    return 0


def _b_false(shell: Shell, argv: list[Field], node: Node) -> int | None:
    return 1


def _status_word(word: Field, default: int | None) -> int | None:
    if word is None:
        return None
    return int(word) % 256 if word.isdigit() else (2 if word else default)


def _b_exit(shell: Shell, argv: list[Field], node: Node) -> int | None:
    status = _status_word(argv[1], 0) if len(argv) > 1 else 0
    shell._exit(status, node)
    return status


def _b_return(shell: Shell, argv: list[Field], node: Node) -> int | None:
    status = _status_word(argv[1], 0) if len(argv) > 1 else 0
    if shell._undecided_why() is None:
        raise _Return(status)
    return status


def _b_break(shell: Shell, argv: list[Field], node: Node) -> int | None:
    if shell._undecided_why() is None:
        raise _Break
    return 0


def _b_set(shell: Shell, argv: list[Field], node: Node) -> int | None:
    words = argv[1:]
    for index, word in enumerate(words):
        if word is None:
            return None
        if word in ("-o", "+o") and index + 1 < len(words) and words[index + 1] == "errexit":
            shell.errexit = word == "-o"
        elif word.startswith("-") and word != "--" and "e" in word[1:] and "o" not in word:
            shell.errexit = True
        elif word.startswith("+") and "e" in word[1:]:
            shell.errexit = False
        elif word == "--" or not word.startswith(("-", "+")):
            shell.argv = [shell.argv[0], *words[index + (1 if word == "--" else 0) :]]
            break
    return 0


def _b_echo(shell: Shell, argv: list[Field], node: Node) -> int | None:
    words = argv[1:]
    newline, escapes = True, not shell.bash
    while words and words[0] is not None and re.fullmatch(r"-[neE]+", words[0]) and (shell.bash or words[0] == "-n"):
        newline = newline and "n" not in words[0]
        if "e" in words[0]:
            escapes = True
        if "E" in words[0]:
            escapes = False
        words = words[1:]
    if None in words:
        shell.out.write(None)
        return 0
    text = " ".join(w for w in words if w is not None)
    if escapes:
        text, stopped = _echo_escapes(text)
        newline = newline and not stopped
    shell.out.write(text + ("\n" if newline else ""))
    return 0


def _b_printf(shell: Shell, argv: list[Field], node: Node) -> int | None:
    if len(argv) < 2 or None in argv:
        shell.out.write(None)
        return 0
    words = [w for w in argv[1:] if w is not None]
    text = _printf(words[0], words[1:])
    shell.out.write(text)
    return 0 if text is not None else None


def _printf(form: str, args: list[str]) -> str | None:
    output: list[str] = []
    while True:
        consumed = 0
        index = 0
        while index < len(form):
            char = form[index]
            if char == "\\" and index + 1 < len(form):
                escaped, _ = _echo_escapes(form[index : index + 2])
                if form[index + 1] == '"':
                    escaped = '"'
                output.append(escaped)
                index += 2
                continue
            if char == "%":
                spec = re.match(r"%[-+ #0]*\d*(?:\.\d+)?([sbdiuxXoc%])", form[index:])
                if spec is None:
                    return None
                conversion = spec.group(1)
                if conversion == "%":
                    output.append("%")
                else:
                    value = args[consumed] if consumed < len(args) else ""
                    consumed += 1
                    if conversion == "b":
                        output.append(_echo_escapes(value)[0])
                    elif conversion == "s":
                        output.append(value)
                    elif conversion == "c":
                        output.append(value[:1])
                    else:
                        try:
                            output.append(spec.group(0) % int(value or "0"))
                        except ValueError:
                            return None
                index += len(spec.group(0))
                continue
            output.append(char)
            index += 1
        args = args[consumed:]
        if not args or consumed == 0:
            return "".join(output)


def _b_cd(shell: Shell, argv: list[Field], node: Node) -> int | None:
    return 0


def _b_source(shell: Shell, argv: list[Field], node: Node) -> int | None:
    if len(argv) < 2 or argv[1] is None:
        shell._undecided("provsim cannot tell which file this sources", node)
        return None
    path = argv[1]
    text = shell._read(path)
    if text is None:
        if path in shell.context.unknown_files:
            shell._undecided(f"sources {path}, whose content provsim lost track of", node)
            return None
        return 1
    tree = parse(text)
    saved = shell.placer
    shell.placer = lambda row, column: Place(path, row + 1, column + 1)
    try:
        return shell._block(tree.children)
    finally:
        shell.placer = saved


def _b_test(shell: Shell, argv: list[Field], node: Node) -> int | None:
    words = argv[1:]
    if argv[0] == "[":
        if not words or words[-1] != "]":
            return 2
        words = words[:-1]
    return _test(words, shell)


_BUILTINS: dict[str, Builtin] = {
    "true": _b_true,
    ":": _b_true,
    "false": _b_false,
    "exit": _b_exit,
    "return": _b_return,
    "break": _b_break,
    "continue": _b_true,
    "set": _b_set,
    "echo": _b_echo,
    "printf": _b_printf,
    "cd": _b_cd,
    ".": _b_source,
    "source": _b_source,
    "test": _b_test,
    "[": _b_test,
    "shift": _b_true,
    "trap": _b_true,
}


def _test(words: list[Field], shell: Shell) -> int | None:
    """``test``/``[``: file tests ask the disk; string and number tests compare known values."""
    if not words:
        return 1
    if words[0] == "!":
        inner = _test(words[1:], shell)
        return None if inner is None else int(inner == 0)
    for joiner in ("-o", "-a"):
        if joiner in words:
            at = words.index(joiner)
            first, second = _test(words[:at], shell), _test(words[at + 1 :], shell)
            if joiner == "-a":
                if first == 1 or second == 1:
                    return 1
                return None if None in (first, second) else 0
            if first == 0 or second == 0:
                return 0
            return None if None in (first, second) else 1
    if len(words) == 1:
        return None if words[0] is None else int(words[0] == "")
    if len(words) == 2:
        operator, operand = words
        if operator in ("-n", "-z"):
            if operand is None:
                return None
            return int((operand != "") != (operator == "-n"))
        if operator in ("-f", "-e", "-d", "-s", "-r", "-x", "-w", "-L", "-h"):
            return _path_test(operator, operand, shell)
        return None
    if len(words) == 3:
        left, middle, right = words
        if left is None or right is None or middle is None:
            return None
        if middle in ("=", "==", "!="):
            same = fnmatch.fnmatchcase(left, right) if middle == "==" and shell.bash else left == right
            return int(same == (middle == "!="))
        numbers = {"-eq": "==", "-ne": "!=", "-lt": "<", "-le": "<=", "-gt": ">", "-ge": ">="}
        if middle in numbers:
            try:
                a, b = int(left), int(right)
            except ValueError:
                return 2
            result = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}
            return int(not result[numbers[middle]])
    return None


def _path_test(operator: str, path: Field, shell: Shell) -> int | None:
    if path is None or path in shell.context.unknown_files:
        return None
    disk = shell.context.disk
    if disk.exists(path):
        if operator == "-s":
            text = disk.read_text(path)
            return None if text is None else int(text == "")
        if operator == "-d":
            return int(disk.read_text(path) is not None)
        if operator == "-f":
            return int(disk.read_text(path) is None)
        return 0 if operator not in ("-L", "-h", "-x") else None
    if path.startswith(MODELLED_FOLDERS) or path in ("/tmp", "/var/tmp"):
        return 1
    return None


# -- external commands provsim models -----------------------------------------------------------------
External = Callable[[Shell, list[str], bool, Node], int | None]


def _x_cat(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    files = [w for w in argv[1:] if not w.startswith("-") or w == "-"]
    if not files:
        shell.out.write(shell.stdin)
        return 0
    for path in files:
        text = shell.stdin if path == "-" else shell._read(path)
        if (
            text is None
            and path != "-"
            and path not in shell.context.unknown_files
            and not shell.context.disk.exists(path)
        ) and path.startswith(MODELLED_FOLDERS):
            return 1
        shell.out.write(text)
    return 0


def _x_tee(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    append = any(w in ("-a", "--append") for w in argv[1:])
    files = [w for w in argv[1:] if not w.startswith("-")]
    text = shell.stdin
    shell.out.write(text)
    saved = shell.root
    shell.root = root
    try:
        failed = [path for path in files if not shell._write(path, append, text, node)]
    finally:
        shell.root = saved
    return 1 if failed else 0


def _x_sed(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    words = argv[1:]
    in_place = any(w.startswith("-i") or w.startswith("--in-place") for w in words)
    extended = any(w in ("-E", "-r", "--regexp-extended") for w in words)
    if not in_place:
        shell.out.write(None)
        return 0
    expressions: list[str] = []
    files: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("-e", "--expression") and index + 1 < len(words):
            expressions.append(words[index + 1])
            index += 2
            continue
        if word.startswith("-"):
            index += 1
            continue
        if not expressions:
            expressions.append(word)
        else:
            files.append(word)
        index += 1
    place = shell._place(node)
    status = 0
    for path in files:
        if not root and not shell._may_write(path):
            return 4
        if not shell.context.disk.exists(path) and path not in shell.context.unknown_files:
            if not path.startswith(MODELLED_FOLDERS):
                # A stock file of the platform image (/etc/hosts, /etc/apt/sources.list ...): the in-memory disk
                # does not hold it, so nothing proves sed fails; its content is unknown from here on.
                shell.context.unknown_files[path] = (
                    f"{place}: {path} is a file of the platform image provsim does not model"
                )
                continue
            shell.context.records.append(
                Record(FileWrite(path, "substitute", "", place=place), False, "sed -i on a file that does not exist")
            )
            status = 2
            continue
        for expression in expressions:
            if substitution(expression, extended=extended) is None:
                shell.context.unknown_files[path] = f"{place}: sed '{expression}' is more than provsim models"
                continue
            write = FileWrite(path, "sed-extended" if extended else "sed", "", expression.strip(), place)
            shell._record(write, _applier(write, shell.context.disk))
    return status


def _x_rm(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    force = any(w.startswith("-") and "f" in w for w in argv[1:])
    paths = [w for w in argv[1:] if not w.startswith("-")]
    status = 0
    for path in paths:
        if not root and not path.startswith(USER_WRITABLE):
            status = 1
            continue
        if shell._undecided_why() is None:
            if not shell.context.disk.exists(path) and not force and path.startswith(MODELLED_FOLDERS):
                status = 1
            shell.context.disk.remove(path)
            shell.context.unknown_files.pop(path, None)
    return status


def _applier(write: FileWrite, disk: GuestDisk) -> Callable[[], None]:
    return lambda: write.apply(disk)


def _x_systemctl(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    words = [w for w in argv[1:] if not w.startswith("-")]
    if len(words) < 2 or words[0] not in ("enable", "disable", "mask", "unmask"):
        return 0
    units = [unit for unit in map(unit_name, words[1:]) if unit is not None]
    if not units:
        return 0
    if not root:
        return 1  # "Interactive authentication required": changing units needs root
    action = words[0]
    shell._record(
        AgentChange(f"systemctl {action}", _line(node), shell._place(node)),
        lambda: systemctl(shell.context.disk, action, units),
    )
    return 0


def _x_packages(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    removal = package_removal(argv)
    # apt and dnf take glob patterns (cloud-init*) and versions (cloud-init=22.4): either names the package.
    if removal is None or not any(fnmatch.fnmatchcase("cloud-init", name.split("=")[0]) for name in removal[0]):
        return 0
    if not root:
        return 100  # apt-get: "Could not open lock file ... are you root?"
    purge = removal[1]
    shell._record(
        AgentChange("remove cloud-init", _line(node), shell._place(node)),
        lambda: remove_cloud_init(shell.context.disk, purge=purge),
    )
    return 0


def _x_ln(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    """``ln -s[f] /dev/null /etc/systemd/system/cloud-init-local.service``: a mask by hand, as systemctl makes it."""
    words = [w for w in argv[1:] if not w.startswith("-")]
    symbolic = any((w.startswith("-") and "s" in w.lstrip("-")) or w == "--symbolic" for w in argv[1:])
    if not symbolic or len(words) != 2 or words[0] != "/dev/null":
        return 0
    folder, _, file = words[1].rpartition("/")
    unit = unit_name(file)
    if folder != "/etc/systemd/system" or unit is None:
        return 0
    if not root:
        return 1
    shell._record(
        AgentChange("systemctl mask", _line(node), shell._place(node)),
        lambda: systemctl(shell.context.disk, "mask", [unit]),
    )
    return 0


def _x_touch(shell: Shell, argv: list[str], root: bool, node: Node) -> int | None:
    saved = shell.root
    shell.root = root
    try:
        paths = [w for w in argv[1:] if not w.startswith("-")]
        failed = [p for p in paths if shell.context.disk.read_text(p) is None and not shell._write(p, True, "", node)]
    finally:
        shell.root = saved
    return 1 if failed else 0


_EXTERNALS: dict[str, External] = {
    "cat": _x_cat,
    "tee": _x_tee,
    "sed": _x_sed,
    "rm": _x_rm,
    "systemctl": _x_systemctl,
    "touch": _x_touch,
    "ln": _x_ln,
    **{tool: _x_packages for tool in ("apt-get", "apt", "yum", "dnf", "zypper")},
}


def shell_words(command: str) -> list[str]:
    """A command line split into words the way a POSIX shell splits it (for places that only need words)."""
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()
