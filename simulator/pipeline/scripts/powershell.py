"""PowerShell comments and printed text, found with a real grammar (tree-sitter-powershell), never count as run.

Windows steps are still read command line by command line (no PowerShell
runs on this Linux machine to hold an interpreter against), but what the
language itself says is not code is taken out first: ``# ...`` to the end of
a line, ``<# ... #>`` blocks, which may span lines, the strings that
``Write-Host``, ``Write-Output`` or ``echo`` only print, and the branch of an
``if ($false)`` (or the ``else`` of an ``if ($true)``) that never runs, here-strings
(``@" ... "@``, data until something runs them), the body of a function that is
never called (about_Functions), and whatever follows an ``exit``, ``return`` or
``throw`` at the top of the script (about_Return). A ``#`` inside a
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

from functools import cache
from typing import Any

#: Commands whose string arguments are only shown, never run.
PRINTING = frozenset(
    {"write-host", "write-output", "write-verbose", "write-information", "write-warning", "write-debug", "echo"}
)


@cache
def _parser() -> Any:
    # Imported on first use: most templates have no PowerShell step, and start-up time counts.
    import tree_sitter
    import tree_sitter_powershell

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def without_comments(lines: list[str]) -> list[str]:
    """``lines`` with every comment blanked out; the number of lines stays, so line numbers still point right."""
    if not lines:
        return []
    return list(_without_comments(tuple(lines)))


@cache
def _without_comments(lines: tuple[str, ...]) -> tuple[str, ...]:
    # Cached by content: AIB's hidden Windows deprovision step is the same script in every template of a file.
    return tuple(_blank_comments(list(lines)))


def _blank_comments(lines: list[str]) -> list[str]:
    source = "\n".join(lines).encode()
    tree = _parser().parse(source)
    blanked = bytearray(source)
    for dead in _unreached(tree.root_node, source):
        _blank(blanked, dead)
    stack = [(tree.root_node, False)]
    while stack:
        node, printed = stack.pop()
        if node.type == "comment" or "here_string" in node.type or (printed and node.type == "string_literal"):
            _blank(blanked, node)
            continue
        if node.type == "if_statement":
            for dead in _dead_branches(node, source):
                _blank(blanked, dead)
        if node.type == "command":
            name = next((child for child in node.children if child.type == "command_name"), None)
            printed = name is not None and source[name.start_byte : name.end_byte].decode().lower() in PRINTING
        stack.extend((child, printed) for child in node.children)
    return [line.rstrip() for line in blanked.decode("utf-8", "replace").split("\n")]


def _blank(text: bytearray, node: Any) -> None:
    for index in range(node.start_byte, node.end_byte):
        if text[index] != ord("\n"):
            text[index] = ord(" ")


#: Conditions PowerShell decides without running anything (about_Booleans): the branch they close never runs.
_ALWAYS_FALSE = frozenset({"$false", "0", "$null", "''", '""'})
_ALWAYS_TRUE = frozenset({"$true", "1"})


def _dead_branches(node: Any, source: bytes) -> list[Any]:
    """The parts of an ``if`` statement that can never run: the body of ``if ($false)``, the else of ``if ($true)``."""
    condition = next((child for child in node.children if child.type == "pipeline"), None)
    if condition is None:
        return []
    written = source[condition.start_byte : condition.end_byte].decode("utf-8", "replace").strip().lower()
    blocks = [child for child in node.children if child.type == "statement_block"]
    if written in _ALWAYS_FALSE and blocks:
        return [blocks[0]]
    if written in _ALWAYS_TRUE:
        return [child for child in node.children if "else" in child.type]
    return []


#: Statements after which nothing in the same script runs (about_Return, about_Language_Keywords: exit, throw).
_ENDING = frozenset({"exit", "return", "throw"})


def _unreached(root: Any, source: bytes) -> list[Any]:
    """Code that never runs: what follows a top-level ``exit``/``return``/``throw``, and uncalled functions' bodies.

    Only the script's own top level is certain: an ``exit`` inside a block ends
    the script only when that block runs, which this reader does not decide.
    """
    dead: list[Any] = []
    top = next((child for child in root.children if child.type == "statement_list"), None)
    statements = top.children if top is not None else []
    for index, statement in enumerate(statements):
        if statement.type == "flow_control_statement" and statement.children[0].type in _ENDING:
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


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")
