"""Recognising commands that write a file, so a step's writes can be replayed on a disk.

AIB's hidden deprovision step runs whatever ``/tmp/DeprovisioningScript.sh``
(or ``C:\\DeprovisioningScript.ps1``) holds when it runs, so provsim has to
know what the customizers wrote there. These are the forms recognised:

- shell: ``echo``/``printf`` with ``>`` or ``>>``, ``cat > FILE <<EOF`` here
  documents, ``tee [-a] FILE``, ``sed -i 's/old/new/' FILE``;
- PowerShell: ``Set-Content``/``Add-Content``/``Out-File`` with a path and a
  value, or a string piped into them.

    >>> [w.path for w in file_writes(["echo '/usr/sbin/waagent -force -deprovision' > /tmp/DeprovisioningScript.sh"])]
    ['/tmp/DeprovisioningScript.sh']
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache

from .scripts.effects import FileWrite

_REDIRECT = re.compile(
    r"^\s*(?:sudo\s+)?(?P<cmd>echo(?:\s+-[ne]+)?|printf)\s+(?P<args>.*?)\s*(?P<op>>>?)\s*(?P<path>\S+)\s*$"
)
_HEREDOC = re.compile(
    r"^\s*(?:sudo\s+)?(?:cat|tee(?:\s+-a)?)\s*(?P<op>>>?)?\s*(?P<path>[^\s<]+)?\s*<<-?\s*['\"]?(?P<tag>\w+)"
)
_TEE = re.compile(r"\|\s*(?:sudo\s+)?tee\s+(?P<append>-a\s+)?(?P<path>\S+)")
_SED = re.compile(r"^\s*(?:sudo\s+)?sed\s+-i\S*\s+(?P<expr>'[^']*'|\"[^\"]*\")\s+(?P<path>\S+)")
_PS_WRITE = re.compile(r"(?P<cmd>Set-Content|Add-Content|Out-File)\b(?P<args>.*)", re.IGNORECASE)
_PS_PATH = re.compile(r"-(?:File)?Path\s+(?P<path>'[^']*'|\"[^\"]*\"|\S+)", re.IGNORECASE)
_PS_VALUE = re.compile(r"-Value\s+(?P<value>'[^']*'|\"[^\"]*\")", re.IGNORECASE)
_PS_PIPED = re.compile(r"^\s*(?P<value>'[^']*'|\"[^\"]*\"|@'.*'@|@\".*\"@)\s*\|", re.DOTALL)


def _unquote(word: str) -> str:
    word = word.strip()
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def file_writes(lines: list[str]) -> list[FileWrite]:
    """The file writes in a sequence of command lines, in order."""
    writes: list[FileWrite] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        heredoc = _HEREDOC.match(line)
        if heredoc:
            tag = heredoc.group("tag")
            body: list[str] = []
            index += 1
            while index < len(lines) and lines[index].strip() != tag:
                body.append(lines[index])
                index += 1
            tee = _TEE.search(line)
            path = heredoc.group("path") or (tee.group("path") if tee else None)
            if path:
                append = heredoc.group("op") == ">>" or bool(tee and tee.group("append"))
                writes.append(FileWrite(_unquote(path), "append" if append else "replace", "\n".join(body) + "\n"))
            index += 1
            continue
        writes.extend(_line_writes(line))
        index += 1
    return writes


# A line's writes depend on its text alone and are frozen; the templates of one file repeat their steps.
@lru_cache(maxsize=4096)
def _line_writes(line: str) -> tuple[FileWrite, ...]:
    redirect = _REDIRECT.match(line)
    if redirect:
        try:
            words = shlex.split(redirect.group("args"))
        except ValueError:
            words = [redirect.group("args")]
        text = " ".join(words)
        if redirect.group("cmd").startswith("printf"):
            text = text.replace("\\n", "\n")
        elif "-n" not in redirect.group("cmd"):
            text += "\n"
        how = "append" if redirect.group("op") == ">>" else "replace"
        return (FileWrite(_unquote(redirect.group("path")), how, text),)
    tee = _TEE.search(line)
    if tee and "<<" not in line:
        source = line[: tee.start()].strip()
        value = re.sub(r"^(?:echo|printf)\s+", "", source)
        return (
            FileWrite(
                _unquote(tee.group("path")), "append" if tee.group("append") else "replace", _unquote(value) + "\n"
            ),
        )
    sed = _SED.match(line)
    if sed:
        expression = _unquote(sed.group("expr"))
        if expression.startswith("s") and len(expression) > 1:
            parts = expression[2:].split(expression[1])
            if len(parts) >= 2:
                return (FileWrite(_unquote(sed.group("path")), "substitute", parts[1], old=parts[0]),)
    ps = _PS_WRITE.search(line)
    if ps:
        path = _PS_PATH.search(ps.group("args"))
        written = _PS_VALUE.search(ps.group("args")) or _PS_PIPED.match(line[: ps.start()])
        if path and written:
            text = _unquote(written.group("value").strip("@"))
            how = "append" if ps.group("cmd").lower() == "add-content" or "-append" in line.lower() else "replace"
            return (FileWrite(_unquote(path.group("path")), how, text + "\n"),)
    return ()


def executed_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines a shell executes: here-document bodies are data, not commands."""
    executed: set[int] = set()
    index = 0
    while index < len(lines):
        executed.add(index)
        heredoc = _HEREDOC.match(lines[index])
        if heredoc:
            index += 1
            while index < len(lines) and lines[index].strip() != heredoc.group("tag"):
                index += 1
        index += 1
    return executed


def writes_a_file(line: str) -> bool:
    """True when the line writes text into a file: what it writes is data, not a command run now."""
    return bool(_line_writes(line)) or bool(_HEREDOC.match(line))
