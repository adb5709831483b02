"""PowerShell comments and printed text, found with a real grammar (tree-sitter-powershell), never count as run.

Windows steps are still read command line by command line (no PowerShell
runs on this Linux machine to hold an interpreter against), but what the
language itself says is not code is taken out first: ``# ...`` to the end of
a line, ``<# ... #>`` blocks, which may span lines, the strings that
``Write-Host``, ``Write-Output`` or ``echo`` only print, and the branch of an
``if ($false)`` (or the ``else`` of an ``if ($true)``) that never runs. A ``#`` inside a
string or a here-string is not a comment, and the grammar knows that where a
regular expression would not.

    >>> without_comments(["<# & Sysprep.exe /generalize", "#>", "Write-Host 'a # b' # Sysprep.exe /generalize"])
    ['', '', 'Write-Host']
    >>> without_comments(['echo "Sysprep.exe /oobe /generalize"', "& Sysprep.exe /oobe /generalize"])
    ['echo', '& Sysprep.exe /oobe /generalize']
    >>> without_comments(["if ($false) { & Sysprep.exe /generalize }"])
    ['if ($false)']
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
    stack = [(tree.root_node, False)]
    while stack:
        node, printed = stack.pop()
        if node.type == "comment" or (printed and node.type == "string_literal"):
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
