"""What the step-script grammars cost a ``provsim check`` start (issue 14: at most 15 ms).

    python benchmarks/parser_start.py [--runs N]

A check reads a Linux step with tree-sitter-bash and a Windows step with
tree-sitter-powershell, each loaded on first use. This times, in fresh
interpreters, a bare start against a start that loads a grammar and parses
one line, and prints the difference in milliseconds: the whole price a
check pays for reading its steps with a real grammar instead of patterns.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys

from measure import best_times

_LOAD = (
    "import tree_sitter, tree_sitter_{name}; "
    "tree_sitter.Parser(tree_sitter.Language(tree_sitter_{name}.language())).parse(b{line!r})"
)
GRAMMARS = {
    "bash": "sudo /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",
    "powershell": "& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="runs per timing (the best counts), default 20")
    args = parser.parse_args()
    commands = {"bare": [sys.executable, "-c", "pass"]}
    for name, line in GRAMMARS.items():
        commands[name] = [sys.executable, "-c", _LOAD.format(name=name, line=line)]
    commands["both"] = [sys.executable, "-c", "; ".join(commands[name][2] for name in GRAMMARS)]
    best = best_times(commands, args.runs)
    print(f"bare interpreter start: {best['bare'] * 1000:.1f} ms (best of {args.runs})")
    for name in (*GRAMMARS, "both"):
        extra = (best[name] - best["bare"]) * 1000
        print(f"{name:>10}: +{extra:.1f} ms  (goal: at most 15 ms)")


if __name__ == "__main__":
    main()
