"""provsim's reading of ``sed s///`` against the host's GNU sed, on the same expressions and text.

GNU sed is the oracle: whatever provsim translates must edit a file exactly as
sed does; what it cannot translate it must refuse (None), never approximate.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provsim.pipeline.scripts.sed import substitution

WAAGENT_CONF = """\
# Microsoft Azure Linux Agent Configuration
Provisioning.Enabled=n
#Provisioning.Agent=auto
Provisioning.Agent=auto
Provisioning.RegenerateSshHostKeyPair=y
ResourceDisk.Format=y
ResourceDisk.EnableSwap=n
ResourceDisk.SwapSizeMB=0
Logs.Verbose=n
OS.EnableFirewall=y
path/with/slashes and [brackets] and a+b (c) {d} | e ^ f $ g * h & i \\ j.
"""

EXPRESSIONS = [
    r"s/Provisioning.Agent=auto/Provisioning.Agent=waagent/",
    r"s/^Provisioning.Agent=.*/Provisioning.Agent=cloud-init/",
    r"s/^#\?Provisioning.Agent=.*/Provisioning.Agent=disabled/g",
    r"s/^#\?\s*Provisioning\.Agent=.*$/Provisioning.Agent=waagent/",
    r"s/ResourceDisk.EnableSwap=n/ResourceDisk.EnableSwap=y/g",
    r"s|ResourceDisk.SwapSizeMB=0|ResourceDisk.SwapSizeMB=2048|",
    r"s#path/with#other/path#",
    r"s/\(Resource\)Disk/\1Volume/",
    r"s/=\([yn]\)$/ = \1/",
    r"s/[[:upper:]][[:lower:]]*/<&>/g",
    r"s/a+b/A+B/",
    r"s/(c)/[C]/",
    r"s/{d}/D/",
    r"s/ | / or /",
    r"s/\^ f \$/caret-dollar/",
    r"s/ \* h/ star h/",
    r"s/& i/\& I/",
    r"s/\\ j/backslash j/",
    r"s/\[brackets\]/brackets/",
    r"s/[]ab[]/X/g",
    r"s/[^a-z=]/_/g",
    r"s/n$/no/",
    r"s/^/# /",
    r"s/$/ # end/",
    r"s/Provisioning/P/2",
    r"s/x\{2\}/y/",
    r"s/o\+/0/g",
    r"s/Logs\|OS/L/g",
    r"s/.*/\U&/",
    r"s/\.$/!/",
    r"s/e/E/gI",
]


def gnu_sed(expression: str, text: str, *, extended: bool = False) -> str:
    argv = ["sed", *(["-E"] if extended else []), "-e", expression]
    return subprocess.run(argv, input=text, capture_output=True, text=True, check=True).stdout


pytestmark = pytest.mark.skipif(shutil.which("sed") is None, reason="no sed on this machine to compare with")


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_provsim_edits_as_gnu_sed_does_or_says_it_cannot(expression: str) -> None:
    edit = substitution(expression)
    if edit is None:
        return  # refused: the file becomes unknown, which is honest
    assert edit.apply(WAAGENT_CONF) == gnu_sed(expression, WAAGENT_CONF)


def test_the_common_waagent_conf_edits_are_understood() -> None:
    understood = [e for e in EXPRESSIONS[:10] if substitution(e) is not None]
    assert understood == EXPRESSIONS[:10]


@pytest.mark.parametrize(
    "expression", [r"s/(Resource)Disk/\1Volume/", r"s/o+/0/g", r"s/Logs|OS/L/g", r"s/x{2}/y/", r"s/^(#?)Prov/\1P/"]
)
def test_extended_expressions(expression: str) -> None:
    edit = substitution(expression, extended=True)
    assert edit is not None
    assert edit.apply(WAAGENT_CONF) == gnu_sed(expression, WAAGENT_CONF, extended=True)


_ATOMS = st.sampled_from(
    [".", "*", "^", "$", "a", "=", "n", "y", "\\.", "\\*", "[a-z]", "[^=]", "\\(", "\\)", "+", "?", "|", "P", "#", " "]
)


@settings(max_examples=150, deadline=None)
@given(atoms=st.lists(_ATOMS, min_size=1, max_size=6), replacement=st.sampled_from(["X", "&&", "<&>", "", "\\\\"]))
def test_generated_patterns_agree_with_gnu_sed(atoms: list[str], replacement: str) -> None:
    expression = f"s/{''.join(atoms)}/{replacement}/g"
    edit = substitution(expression)
    if edit is None:
        return
    try:
        expected = gnu_sed(expression, WAAGENT_CONF)
    except subprocess.CalledProcessError:
        pytest.fail(f"provsim accepts {expression!r}, which GNU sed refuses")
    assert edit.apply(WAAGENT_CONF) == expected, expression
