"""The build's own end: what makes Packer or AIB fail after, or at, the deprovision.

A deprovision is the last thing a build does, and the tool still has work to
do on the VM after it:

- Packer's ``shell`` provisioner removes the script it uploaded (``rm -f
  /tmp/script_NNNN.sh``) once the script ends. ``waagent -deprovision+user``
  has by then deleted the build user whose key Packer logs in with, so where
  Packer needs a new SSH connection for that cleanup the build ends in "Error
  removing temporary script at /tmp/script_9899.sh: ssh: handshake failed: EOF"
  (hashicorp/packer #4129; the cleanup came with hashicorp/packer #2259).
  ``skip_clean = true`` leaves the script in place and avoids it.
- AIB's hidden last step runs ``/tmp/DeprovisioningScript.sh``, by default
  ``/usr/sbin/waagent -force -deprovision+user`` (seed 004). On an image that
  no longer has waagent the script fails ("command not found") and so does the
  build; a customizer that writes ``/tmp/DeprovisioningScript.sh`` replaces it.
"""

from __future__ import annotations

import fnmatch
import posixpath
import shlex

from ..disk import GuestDisk
from ..model import OsType
from .aib import LINUX_DEPROVISION_SCRIPT
from .findings import Finding, Severity
from .model import Location, Pipeline, Step, Tool
from .recognise import recognise_line
from .scripts.effects import WaagentDeprovision, package_removal

#: The package that ships /usr/sbin/waagent: walinuxagent (Debian, Ubuntu), WALinuxAgent (RHEL, CentOS, Azure
#: Linux), python-azure-agent / python3-azure-agent (SUSE). Package managers take globs, so a glob is matched too.
WAAGENT_PACKAGES = ("walinuxagent", "python-azure-agent", "python3-azure-agent")
WAAGENT_BINARY = "/usr/sbin/waagent"
#: Separators after which a new command starts, as shlex's punctuation mode splits them.
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")"})
#: Words that run the command after them (with their options): ``sudo -E apt-get ...``.
_WRAPPERS = frozenset({"sudo", "env", "nohup", "exec", "time", "command"})


def cleanup_findings(step: Step, pipeline: Pipeline, effect: WaagentDeprovision, place: Location) -> list[Finding]:
    """PSIM025: a Packer shell step that deletes the build user (``+user``) and still removes its script."""
    if pipeline.tool is not Tool.PACKER or step.hidden or step.kind != "shell" or not effect.delete_user:
        return []
    if step.skip_clean is not False:  # true, or computed by the template: nothing is known to fail
        return []
    return [
        Finding(
            Severity.WARNING,
            f"{step.name}: '{effect.text}' deletes the build user {pipeline.build_user!r}, and Packer then removes "
            "the step's script over SSH: where it has to log in again the build ends in 'Error removing temporary "
            "script ... ssh: handshake failed'; set skip_clean = true on this provisioner",
            # The fix goes on the provisioner: a deprovision in a script file is named at the step's own line.
            place if place.path == step.location.path else step.location,
            rule="PSIM025",
        )
    ]


def commands_of(line: str) -> list[list[str]]:
    """The simple commands of one shell line, as words, wrappers (``sudo -E``, ``env A=b``) and comments removed.

    >>> commands_of("sudo apt-get -y purge walinuxagent && rm -f /tmp/x # apt-get install walinuxagent")
    [['apt-get', '-y', 'purge', 'walinuxagent'], ['rm', '-f', '/tmp/x']]
    """
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # an unterminated quote: nothing certain on this line
        return []
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [_unwrapped(words) for words in commands if _unwrapped(words)]


def _unwrapped(words: list[str]) -> list[str]:
    index = 0
    while index < len(words):
        word = words[index]
        if posixpath.basename(word) in _WRAPPERS or word.startswith("-") or ("=" in word and index > 0):
            index += 1
            continue
        break
    return words[index:]


def _agent_change(words: list[str]) -> bool | None:
    """True where the command removes waagent, False where it installs it again, None where neither."""
    removal = package_removal(words)
    if removal is not None:
        removed = any(fnmatch.fnmatchcase(p, name.lower()) for name in removal[0] for p in WAAGENT_PACKAGES)
        return True if removed else None
    if words and posixpath.basename(words[0]) == "rm" and WAAGENT_BINARY in words[1:]:
        return True
    tool = posixpath.basename(words[0]) if words else ""
    if tool in ("apt-get", "apt", "yum", "dnf", "zypper") and "install" in words[1:]:
        names = [w.lower().split("=")[0] for w in words[words.index("install") + 1 :] if not w.startswith("-")]
        return False if any(name in WAAGENT_PACKAGES for name in names) else None
    return None


def waagent_removal(pipeline: Pipeline) -> tuple[str, Location] | None:
    """The last customizer line that leaves the image without waagent (none reinstalls it after), if any."""
    removed: tuple[str, Location] | None = None
    for step in pipeline.steps:
        if step.hidden or step.kind != "shell":
            continue
        for line, where in step.texts():
            for words in commands_of(line):
                change = _agent_change(words)
                if change is True:
                    removed = (line.strip(), where if where.line is not None else step.location)
                elif change is False:
                    removed = None
    return removed


def missing_waagent_findings(pipeline: Pipeline, disk: GuestDisk) -> list[Finding]:
    """PSIM026: AIB's deprovision script runs waagent on an image a customizer removed it from.

    ``disk`` is the build VM's disk after the build, where AIB's hidden step
    left the script it ran (its default, or a customizer's override).
    """
    if pipeline.tool is not Tool.AIB or pipeline.os_type is not OsType.LINUX:
        return []
    removal = waagent_removal(pipeline)
    script = disk.read_text(LINUX_DEPROVISION_SCRIPT)
    if removal is None or script is None:
        return []
    calls = [
        line for line in script.splitlines() if any(isinstance(e, WaagentDeprovision) for e in recognise_line(line))
    ]
    if not calls:
        return []  # an override that deprovisions without waagent: nothing missing
    line, where = removal
    return [
        Finding(
            Severity.ERROR,
            f"'{line}' removes waagent, and AIB's deprovision step then runs '{calls[0].strip()}' from "
            f"{LINUX_DEPROVISION_SCRIPT}: '{WAAGENT_BINARY}: not found', the build fails and no image is "
            f"distributed; keep the agent, or write {LINUX_DEPROVISION_SCRIPT} with a deprovision that does not "
            "need it",
            where,
            rule="PSIM026",
        )
    ]
