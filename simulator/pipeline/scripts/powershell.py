"""PowerShell comments and printed text, found with a real grammar (tree-sitter-powershell), never count as run.

Windows steps are still read command line by command line (no PowerShell
runs on this Linux machine to hold an interpreter against), but what the
language itself says is not code is taken out first: ``# ...`` to the end of
a line, ``<# ... #>`` blocks, which may span lines, the strings that
``Write-Host``, ``Write-Output`` or ``echo`` only print, and the branch of an
``if ($false)`` (or the ``else`` of an ``if ($true)``) that never runs, the rest of
an ``if``/``elseif``/``else`` chain once a branch is certainly taken, here-strings
(``@" ... "@``, data until something runs them), the body of a function that is
never called (about_Functions), and whatever follows an ``exit``, ``return`` or
``throw`` at the top of the script or inside a branch that certainly runs
(about_Return). The script's own plain-string variables are data where they are
assigned and code where they are used: ``$tool = 'Sysprep.exe'; & $tool
/generalize`` runs Sysprep, ``Invoke-Expression $command`` runs the string it
holds (about_Variables). A ``#`` inside a
string or a here-string is not a comment, and the grammar knows that where a
regular expression would not.

    >>> without_comments(["<# & Sysprep.exe /generalize", "#>", "Write-Host 'a # b' # Sysprep.exe /generalize"])
    ['', '', 'Write-Host']
    >>> without_comments(['echo "Sysprep.exe /oobe /generalize"', "& Sysprep.exe /oobe /generalize"])
    ['echo', '& Sysprep.exe /oobe /generalize']
    >>> without_comments(["if ($false) { & Sysprep.exe /generalize }"])
    ['if ($false)']
    >>> without_comments(["function Seal {", "  & Sysprep.exe /generalize", "}", "exit 0", "& Sysprep.exe /oobe"])
    ['function Seal {', '', '}', 'exit 0', '']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

#: Commands whose string arguments are only shown, never run.
PRINTING = frozenset(
    {"write-host", "write-output", "write-verbose", "write-information", "write-warning", "write-debug", "echo"}
)


@cache
def _parser() -> Any:
    # Imported on first use: most templates have no PowerShell step, and start-up time counts.
    from ...lazy_names import tree_sitter_parser

    return tree_sitter_parser("tree_sitter_powershell")


@dataclass(frozen=True)
class UndecidedBranch:
    """A branch holding a deprovision whose condition only the build VM can decide: blanked, and reported."""

    line: int
    """0-based index of the line the branch's block starts on."""
    condition: str
    text: str


@dataclass(frozen=True)
class PowerShellReading:
    """A script as this reader leaves it: what runs, line for line, and the branches it could not decide."""

    lines: tuple[str, ...]
    undecided: tuple[UndecidedBranch, ...] = ()


def without_comments(lines: list[str]) -> list[str]:
    """``lines`` with every comment blanked out; the number of lines stays, so line numbers still point right."""
    if not lines:
        return []
    return list(read_powershell(tuple(lines)).lines)


@cache
def read_powershell(
    lines: tuple[str, ...],
    environment: tuple[tuple[str, str], ...] = (),
    holds_deprovision: Callable[[str], bool] | None = None,
) -> PowerShellReading:
    """What of ``lines`` runs, given the step's ``environment`` (``environment_vars``, as ``$env:NAME``).

    An ``if`` whose condition cannot be decided here (a registry value, a file
    on the build VM, an environment variable the step does not set) keeps its
    block as written, unless ``holds_deprovision`` says the block deprovisions:
    then the block is blanked (counted as not run, as the shell reader counts
    an undecided command) and named in ``undecided``, so that a warning points
    at it instead of a silent guess either way.

        >>> script = ("if ($env:SEAL -eq 'yes') { & Sysprep.exe /generalize }",)
        >>> reading = read_powershell(script, holds_deprovision=lambda text: "Sysprep" in text)
        >>> reading.lines[0].strip(), reading.undecided[0].condition
        ("if ($env:SEAL -eq 'yes')", "$env:SEAL -eq 'yes'")
        >>> read_powershell(script, (("SEAL", "yes"),)).lines == script
        True
    """
    # Cached by content: AIB's hidden Windows deprovision step is the same script in every template of a file.
    if not lines:
        return PowerShellReading(())
    env = {name.lower(): value for name, value in environment}
    source = "\n".join(lines).encode()
    tree = _parser().parse(source)  # one tree for both readings: the text is the same, only what is blanked differs
    first = _blank_comments(source, tree, env, ())
    if holds_deprovision is None:
        return PowerShellReading(tuple(first))
    undecided: list[UndecidedBranch] = []
    blocks: list[Any] = []
    for condition, block in _undecided_branches(tree.root_node, source, env):
        start, end = block.start_point[0], block.end_point[0]
        if holds_deprovision("\n".join(first[start : end + 1])):
            blocks.append(block)
            undecided.append(UndecidedBranch(start, _text(condition, source).strip(), _text(block, source).strip()))
    if not blocks:
        return PowerShellReading(tuple(first))
    spans = tuple((block.start_byte, block.end_byte) for block in blocks)
    return PowerShellReading(tuple(_blank_comments(source, tree, env, spans)), tuple(undecided))


def _blank_comments(source: bytes, tree: Any, env: dict[str, str], undecided: tuple[tuple[int, int], ...]) -> list[str]:
    blanked = bytearray(source)
    for start, end in undecided:
        for index in range(start, end):
            if blanked[index] != ord("\n"):
                blanked[index] = ord(" ")
    for dead in _unreached(tree.root_node, source, env):
        _blank(blanked, dead)
    stack = [(tree.root_node, False)]
    while stack:
        node, printed = stack.pop()
        if node.type == "comment" or "here_string" in node.type or (printed and node.type == "string_literal"):
            _blank(blanked, node)
            continue
        if node.type == "if_statement":
            for dead in _dead_branches(node, source, env):
                _blank(blanked, dead)
        if node.type == "command":
            name = next((child for child in node.children if child.type == "command_name"), None)
            printed = name is not None and source[name.start_byte : name.end_byte].decode().lower() in PRINTING
        stack.extend((child, printed) for child in node.children)
    code = _started_processes(_substituted(blanked, tree.root_node, source))
    return [line.rstrip() for line in code.decode("utf-8", "replace").split("\n")]


def _substituted(blanked: bytearray, root: Any, source: bytes) -> bytes:
    """``blanked`` with the script's own string variables put where they are used (about_Variables).

    ``$tool = 'Sysprep.exe'`` is data: its string is blanked, and ``& $tool
    /generalize`` reads as ``& Sysprep.exe /generalize``, as does
    ``Invoke-Expression $command`` for a command held in a string; in an
    expression (``-ne $EndState``) the variable becomes the string as written.
    Only a plain string (no ``$`` or backtick inside) assigned before the use
    counts; a variable assigned anything else keeps its name, and code already
    blanked (dead, printed) stays blank.
    """
    assignments: dict[str, list[tuple[int, str | None, str]]] = {}
    uses: list[tuple[Any, Any, bool]] = []  # (the node to replace, the variable, whether a command takes it raw)
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, in_command = stack.pop()
        if node.type == "assignment_expression":
            left = next((child for child in node.children if child.type == "left_assignment_expression"), None)
            right = next((child for child in node.children if child.type == "pipeline"), None)
            if left is not None and right is not None:
                literal = _plain_string(right, source)
                name = _text(left, source).strip().lower()
                assignments.setdefault(name, []).append((node.start_byte, literal, _text(right, source).strip()))
                if literal is not None:
                    _blank(blanked, right)
            stack.extend((child, in_command) for child in node.children if child is not left)
            continue
        if node.type == "variable":
            uses.append((node, node, in_command))
            continue
        if node.type in ("string_literal", "comment") or "here_string" in node.type:
            continue
        if node.type == "command":
            evaluated = _evaluated_variable(node, source)
            if evaluated is not None:
                uses.append((node, evaluated, True))
                continue
            command_name = next((child for child in node.children if child.type == "command_name"), None)
            if command_name is not None and _text(command_name, source).lower() in PRINTING:
                continue  # printed, not run: its arguments stay as written (blanked where they are strings)
            in_command = True
        elif node.type == "script_block":
            in_command = False
        stack.extend((child, in_command) for child in node.children)
    edits: list[tuple[int, int, bytes]] = []
    for target, variable, raw in uses:
        if blanked[target.start_byte : target.end_byte] != source[target.start_byte : target.end_byte]:
            continue
        # In source order (the walk above visits siblings last to first): the latest assignment before the use.
        earlier = sorted(
            (entry for entry in assignments.get(_text(variable, source).lower(), []) if entry[0] < target.start_byte),
            key=lambda entry: entry[0],
        )
        if earlier and earlier[-1][1] is not None:
            _, value, written = earlier[-1]
            shown = value if raw else written
            edits.append((target.start_byte, target.end_byte, (shown or "").replace("\n", " ").encode()))
    result = bytes(blanked)
    for start, end, text in sorted(edits, reverse=True):
        result = result[:start] + text + result[end:]
    return result


#: Start-Process and its aliases (Microsoft.PowerShell.Management/Start-Process).
_STARTING = frozenset({"start-process", "saps", "start"})
#: Start-Process's parameters by every name and alias; PowerShell also takes any unambiguous prefix (about_Parameters).
_START_PROCESS_PARAMETERS = {
    **dict.fromkeys(("filepath", "pspath", "path"), "filepath"),
    **dict.fromkeys(("argumentlist", "args"), "argumentlist"),
    **{name: name for name in ("workingdirectory", "verb", "windowstyle", "credential", "environment")},
    **{name: name for name in ("redirectstandardinput", "redirectstandardoutput", "redirectstandarderror")},
    **dict.fromkeys(("loaduserprofile", "lup"), "switch"),
    **dict.fromkeys(("nonewwindow", "nnw"), "switch"),
    **dict.fromkeys(("passthru", "usenewenvironment", "wait"), "switch"),
}


def _start_process_parameter(written: str) -> str | None:
    """The parameter ``-File`` or ``-ArgumentList:`` names, or None when it names none or several."""
    name = written.lstrip("-").rstrip(":").lower()
    if name in _START_PROCESS_PARAMETERS:
        return _START_PROCESS_PARAMETERS[name]
    meant = {canonical for full, canonical in _START_PROCESS_PARAMETERS.items() if full.startswith(name)}
    return meant.pop() if len(meant) == 1 else None


def _started_processes(code: bytes) -> bytes:
    """``code`` with every ``Start-Process FILE ARGS`` written as the call it makes: ``& FILE ARGS``.

    ``-FilePath`` (or the first positional argument) names the program and
    ``-ArgumentList`` (or the second) its arguments, a string or an array of
    them; ``-Wait`` and the other switches change only when the script goes on.
    A call whose program is not a plain word or string stays as written.
    """
    if not any(word in code.lower() for word in (b"start", b"saps")):  # every name in _STARTING holds one
        return code
    tree = _parser().parse(code)
    edits: list[tuple[int, int, bytes]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "command":
            call = _start_process_call(node, code)
            if call is not None:
                lines = _text(node, code).count("\n")
                edits.append((node.start_byte, node.end_byte, (call + "\n" * lines).encode()))
                continue
        stack.extend(node.children)
    for start, end, text in sorted(edits, reverse=True):
        code = code[:start] + text + code[end:]
    return code


def _start_process_call(command: Any, source: bytes) -> str | None:
    name = next((child for child in command.children if child.type == "command_name"), None)
    if name is None or _text(name, source).lower() not in _STARTING:
        return None
    elements = next((child for child in command.children if child.type == "command_elements"), None)
    parts = [
        child for child in (elements.children if elements is not None else []) if child.type != "command_argument_sep"
    ]
    named: dict[str, Any] = {}
    positional: list[Any] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if part.type == "command_parameter":
            parameter = _start_process_parameter(_text(part, source))
            if parameter is None:
                return None  # a parameter Start-Process does not have: not the call this reads
            if parameter != "switch" and index + 1 < len(parts):
                named[parameter] = parts[index + 1]
                index += 1
        else:
            positional.append(part)
        index += 1
    program = named.get("filepath", positional[0] if positional else None)
    arguments = named.get("argumentlist")
    if arguments is None and len(positional) > 1 and program is positional[0]:
        arguments = positional[1]
    path = _word(program, source) if program is not None else None
    if path is None:
        return None
    words = [path]
    if arguments is not None:
        items = (
            [child for child in arguments.children if child.type != ","]
            if arguments.type == "array_literal_expression"
            else [arguments]
        )
        for item in items:
            word = _word(item, source)
            if word is None:
                return None
            words.append(word)
    return "& " + " ".join(words)


def _word(node: Any, source: bytes) -> str | None:
    """A bare word or a string's text, as a program path or argument; None for anything computed."""
    written = _text(node, source).strip()
    if written.startswith("(") and written.endswith(")") and written.count("(") == 1:
        written = written[1:-1].strip()  # ("/oobe /generalize"): a parenthesized string is that string
    if node.type == "generic_token" or (written and written[0] not in "'\"$(@"):
        return written
    if written.lower().startswith("$env:") and not any(mark in written for mark in " \t'\"("):
        return written  # $env:windir\System32\...: one bare word, the path as the recognisers know it
    if len(written) >= 2 and written[0] in "'\"" and written[-1] == written[0] and "\n" not in written:
        return written[1:-1]
    return None


#: Commands that run the string they are given (about_Invoke-Expression).
_EVALUATING = frozenset({"iex", "invoke-expression"})


def _evaluated_variable(command: Any, source: bytes) -> Any | None:
    """The variable of ``Invoke-Expression $text``: the whole command becomes the code the variable holds."""
    name = next((child for child in command.children if child.type == "command_name"), None)
    if name is None or _text(name, source).lower() not in _EVALUATING:
        return None
    elements = next((child for child in command.children if child.type == "command_elements"), None)
    written = _text(elements, source).strip() if elements is not None else ""
    found = []
    stack = [elements] if elements is not None else []
    while stack:
        node = stack.pop()
        if node.type == "variable":
            found.append(node)
        stack.extend(node.children)
    return found[0] if len(found) == 1 and written == _text(found[0], source) else None


def _plain_string(pipeline: Any, source: bytes) -> str | None:
    """The value of a pipeline that is one string with nothing to expand, else None.

    Strings joined with ``+`` count too, and so does an environment variable
    among them, kept as written: ``$env:windir + '\\System32\\Sysprep\\sysprep.exe'``
    is ``$env:windir\\System32\\Sysprep\\sysprep.exe``, the path a recogniser knows.
    """
    node = pipeline
    while node.child_count == 1 and node.type not in ("string_literal", "variable"):
        node = node.children[0]
    if node.type == "variable":
        written = _text(node, source)
        return written if written.lower().startswith("$env:") else None
    if node.type == "additive_expression" and node.child_count == 3 and node.children[1].type == "+":
        left, right = _plain_string(node.children[0], source), _plain_string(node.children[2], source)
        return None if left is None or right is None else left + right
    if node.type != "string_literal":
        return None
    written = _text(node, source)
    if len(written) < 2 or written[0] not in "'\"" or written[-1] != written[0]:
        return None  # here-strings are data of their own, blanked above
    inner = written[1:-1]
    if written[0] == '"' and ("$" in inner or "`" in inner):
        return None
    return inner.replace("''", "'") if written[0] == "'" else inner


def _blank(text: bytearray, node: Any) -> None:
    for index in range(node.start_byte, node.end_byte):
        if text[index] != ord("\n"):
            text[index] = ord(" ")


#: Conditions PowerShell decides without running anything (about_Booleans): the branch they close never runs.
_ALWAYS_FALSE = frozenset({"$false", "0", "$null", "''", '""'})
_ALWAYS_TRUE = frozenset({"$true", "1"})

#: ``$env:NAME -eq 'value'`` (or ``-ne``, ``-ceq`` ...), either way round (about_Comparison_Operators).
_ENV_COMPARISON = re.compile(
    r"""^(?:\$env:(?P<name>\w+)\s*-(?P<op>[ci]?(?:eq|ne))\s*(?P<q>['"])(?P<value>[^'"$`]*)(?P=q)"""
    r"""|(?P<q2>['"])(?P<value2>[^'"$`]*)(?P=q2)\s*-(?P<op2>[ci]?(?:eq|ne))\s*\$env:(?P<name2>\w+))$""",
    re.IGNORECASE,
)


def _decided(condition: Any | None, source: bytes, env: dict[str, str]) -> bool | None:
    """Whether a branch's condition holds, where the script itself decides it; None when only the VM knows.

    An ``else`` (no condition) holds; literals hold as about_Booleans says; a
    comparison of an environment variable the step sets (``environment_vars``)
    with a string is decided by that value. A variable the step does not set may
    still be set on the build VM, so it leaves the condition undecided.
    """
    if condition is None:
        return True
    written = _text(condition, source).strip()
    if written.lower() in _ALWAYS_FALSE:
        return False
    if written.lower() in _ALWAYS_TRUE:
        return True
    match = _ENV_COMPARISON.match(written)
    if match is None:
        return None
    name = (match.group("name") or match.group("name2")).lower()
    if name not in env:
        return None
    value = match.group("value") if match.group("name") else match.group("value2")
    op = (match.group("op") or match.group("op2")).lower()
    same = env[name] == value if op.startswith("c") else env[name].lower() == value.lower()
    return same if op.endswith("eq") else not same


def _dead_branches(node: Any, source: bytes, env: dict[str, str]) -> list[Any]:
    """The parts of an ``if`` statement that can never run (about_If).

    Branches are tried in order: a false condition's block never runs; after a
    true condition nothing later in the chain runs. A condition that cannot be
    decided leaves its block and the rest of the chain as they are.
    """
    dead: list[Any] = []
    for index, (condition, block) in enumerate(branches := _branches(node)):
        decided = _decided(condition, source, env)
        if decided is False:
            dead.append(block)
        elif decided is True:
            dead.extend(later for _, later in branches[index + 1 :])
            break
    return dead


def _undecided_branches(root: Any, source: bytes, env: dict[str, str]) -> list[tuple[Any, Any]]:
    """``(condition, block)`` of every ``if``/``elseif`` branch that may or may not run, in the whole script."""
    found: list[tuple[Any, Any]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "if_statement":
            for condition, block in _branches(node):
                decided = _decided(condition, source, env)
                if decided is True:
                    break
                if decided is None:
                    found.append((condition, block))
        stack.extend(node.children)
    return found


def _branches(node: Any) -> list[tuple[Any | None, Any]]:
    """``(condition, block)`` of the ``if``, each ``elseif``, and the ``else`` (whose condition is None)."""
    found: list[tuple[Any | None, Any]] = []

    def branch_of(parent: Any) -> None:
        condition = next((child for child in parent.children if child.type == "pipeline"), None)
        block = next((child for child in parent.children if child.type == "statement_block"), None)
        if block is not None:
            found.append((condition, block))

    branch_of(node)
    for child in node.children:
        if child.type == "elseif_clauses":
            for clause in child.children:
                branch_of(clause)
        elif child.type == "else_clause":
            branch_of(child)
    return found


def _taken_block(node: Any, source: bytes, env: dict[str, str]) -> Any | None:
    """The block an ``if`` chain certainly runs, where its conditions decide it."""
    for condition, block in _branches(node):
        decided = _decided(condition, source, env)
        if decided is True:
            return block
        if decided is None:
            return None
    return None


#: Statements after which nothing in the same script runs (about_Return, about_Language_Keywords: exit, throw).
_ENDING = frozenset({"exit", "return", "throw"})


def _unreached(root: Any, source: bytes, env: dict[str, str]) -> list[Any]:
    """Code that never runs: what follows a top-level ``exit``/``return``/``throw``, and uncalled functions' bodies.

    Only the script's own top level is certain: an ``exit`` inside a block ends
    the script only when that block runs, which this reader does not decide.
    """
    dead: list[Any] = []
    top = next((child for child in root.children if child.type == "statement_list"), None)
    statements = top.children if top is not None else []
    for index, statement in enumerate(statements):
        if _ends_script(statement, source, env):
            dead.extend(statements[index + 1 :])
            break
    called: set[str] = set()
    functions: list[Any] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "command_name":
            called.add(_text(node, source).lower())
        elif node.type == "function_statement":
            functions.append(node)
        stack.extend(node.children)
    for function in functions:
        name = next((child for child in function.children if child.type == "function_name"), None)
        if name is not None and _text(name, source).lower() not in called:
            dead.extend(child for child in function.children if child.type == "script_block")
    return dead


def _ends_script(statement: Any, source: bytes, env: dict[str, str]) -> bool:
    """An ``exit``/``return``/``throw``, or an ``if`` whose certainly-taken block ends in one."""
    if statement.type == "flow_control_statement":
        return bool(statement.children[0].type in _ENDING)
    if statement.type != "if_statement":
        return False
    block = _taken_block(statement, source, env)
    body = next((child for child in block.children if child.type == "statement_list"), None) if block else None
    return body is not None and any(_ends_script(inner, source, env) for inner in body.children)


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")
