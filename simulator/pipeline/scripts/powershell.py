"""PowerShell comments and printed text, found with a real grammar (tree-sitter-powershell), never count as run.

Windows steps are still read command line by command line (no PowerShell
runs on this Linux machine to hold an interpreter against), but what the
language itself says is not code is taken out first: ``# ...`` to the end of
a line, ``<# ... #>`` blocks, which may span lines, and the strings that
``Write-Host``, ``Write-Output`` or ``echo`` only print. A ``#`` inside a
string or a here-string is not a comment, and the grammar knows that where a
regular expression would not.

    >>> without_comments(["<# & Sysprep.exe /generalize", "#>", "Write-Host 'a # b' # Sysprep.exe /generalize"])
    ['', '', 'Write-Host']
    >>> without_comments(['echo "Sysprep.exe /oobe /generalize"', "& Sysprep.exe /oobe /generalize"])
    ['echo', '& Sysprep.exe /oobe /generalize']
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
    source = "\n".join(lines).encode()
    tree = _parser().parse(source)
    blanked = bytearray(source)
    stack = [(tree.root_node, False)]
    while stack:
        node, printed = stack.pop()
        if node.type == "comment" or (printed and node.type == "string_literal"):
            for index in range(node.start_byte, node.end_byte):
                if blanked[index] != ord("\n"):
                    blanked[index] = ord(" ")
            continue
        if node.type == "command":
            name = next((child for child in node.children if child.type == "command_name"), None)
            printed = name is not None and source[name.start_byte : name.end_byte].decode().lower() in PRINTING
        stack.extend((child, printed) for child in node.children)
    return [line.rstrip() for line in blanked.decode("utf-8", "replace").split("\n")]
