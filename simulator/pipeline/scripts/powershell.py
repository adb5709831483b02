"""PowerShell comments, found with a real grammar (tree-sitter-powershell), so they never count as run.

Windows steps are still read command line by command line (no PowerShell
runs on this Linux machine to hold an interpreter against), but what the
language itself says is not code is taken out first: ``# ...`` to the end of
a line and ``<# ... #>`` blocks, which may span lines. A ``#`` inside a string
or a here-string is not a comment, and the grammar knows that where a
regular expression would not.

    >>> without_comments(["<# & Sysprep.exe /generalize", "#>", "Write-Host 'a # b' # Sysprep.exe /generalize"])
    ['', '', "Write-Host 'a # b'"]
"""

from __future__ import annotations

from functools import cache
from typing import Any


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
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            for index in range(node.start_byte, node.end_byte):
                if blanked[index] != ord("\n"):
                    blanked[index] = ord(" ")
        else:
            stack.extend(node.children)
    return [line.rstrip() for line in blanked.decode("utf-8", "replace").split("\n")]
