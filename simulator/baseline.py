"""Baselines: what every pipeline is expected to do, recorded once and held against every later change.

A baseline is made from ``provsim check``'s JSON documents (the same reading,
build and registrations, never a second one). For each pipeline it keeps only
what a reviewer would call its behaviour: the OS type, the OS state read off
the build VM's disk, each registration's status and the findings. Everything
else is left out because it moves without the pipeline changing: evidence and
reasons are prose, line numbers shift when a comment is added, absolute paths
differ between checkouts.

A finding is kept as a *key*: its severity, its file and its rule's stable
id (``PSIM101``, see ``provsim rules``), or for a finding without one its
message with line and column numbers (``web.pkr.hcl:12:3``), step numbers
(``shell provisioner #3``) and the checkout's own folder taken out. Moving a
step keeps the key; rewording a message without an id (after a provsim
upgrade) shows as one finding gone and one new one. What a finding says now
is shown beside its key by ``diff`` (:func:`details_of`), never kept.

    >>> documents = [{"path": "/repo/web.pkr.hcl", "name": "web", "tool": "packer", "os_type": "linux",
    ...     "os_state": "generalized", "registrations": [{"target": "managed_image:web-1.0.0",
    ...     "stage": "capture", "registered_as": "generalized", "status": "succeeded"}], "findings": [
    ...     {"severity": "warning", "message": "shell provisioner #2 edits /etc/x at /repo/s.sh:4:1",
    ...      "location": "/repo/web.pkr.hcl:31"}]}]
    >>> main = record(documents, base=Path("/repo"))
    >>> main.pipelines["web.pkr.hcl (packer web)"].findings
    ('warning web.pkr.hcl: shell provisioner #N edits /etc/x at s.sh',)
    >>> documents[0]["os_state"] = "specialized"
    >>> documents[0]["registrations"][0]["status"] = "provisioning_failure"
    >>> for change in diff(main, record(documents, base=Path("/repo"))):
    ...     print(change)
    web.pkr.hcl (packer web): OS state: generalized -> specialized
    web.pkr.hcl (packer web): managed_image:web-1.0.0 captured as generalized: succeeded -> provisioning_failure

The file is JSON with sorted keys, one registration a line, so that a
re-recorded baseline reads as a small diff in a pull request.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ProvsimError

#: The version of the file's layout; a file of another version is refused with the fix.
FORMAT = 1
#: The key naming the layout: also what tells a baseline from any other JSON file.
MARKER = "provsim_baseline"

#: ``file:12`` or ``file:12:3`` after a path: the line moves when anything above it changes.
_POSITION = re.compile(r"(?<=[^\s:]):\d+(?::\d+)?(?![\d.])")
#: ``line 12``, ``#3``: numbers that count lines or steps, which shift when one is added above.
_COUNTED = re.compile(r"\b(line|lines) \d+|#\d+")


@dataclass(frozen=True)
class Expected:
    """One pipeline's expected behaviour."""

    os_type: str
    os_state: str | None
    """``None`` when the build itself fails (a step failed in a container)."""
    registrations: dict[str, str]
    """``"<target> captured as <state>"`` -> status, as ``provsim check`` prints them."""
    findings: tuple[str, ...]
    """Finding keys, sorted; a key appears once per finding (two alike are two)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "os_type": self.os_type,
            "os_state": self.os_state,
            "registrations": dict(sorted(self.registrations.items())),
            "findings": list(self.findings),
        }


@dataclass(frozen=True)
class Baseline:
    """Every pipeline's expected behaviour, by the pipeline's name as ``provsim check`` prints it."""

    pipelines: dict[str, Expected] = field(default_factory=dict)
    recorded_with: tuple[str, ...] = ()
    """The paths and options ``record`` was given, so that a failing check can say how to record it again."""

    def to_json(self) -> str:
        document = {
            MARKER: FORMAT,
            "recorded_with": list(self.recorded_with),
            "pipelines": {name: expected.to_dict() for name, expected in sorted(self.pipelines.items())},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Change:
    """One difference from the baseline: in which pipeline, of what, from what to what."""

    pipeline: str
    item: str
    """``OS state``, ``OS type``, a registration (``managed_image:web captured as generalized``),
    ``finding "<key>"`` or ``the pipeline`` (added or gone)."""
    before: str
    after: str
    detail: str | None = None
    """What ``provsim check`` says now: the resolution of a registration that now fails, the location and
    message of a finding now present (a key alone says which rule, not what it found)."""

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.item}: {self.before} -> {self.after}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "item": self.item,
            "from": self.before,
            "to": self.after,
            "detail": self.detail,
        }


def relative(text: str, base: Path) -> str:
    """``text`` with the checkout's own folder taken out of every path in it.

    >>> relative("/home/ci/repo/images/web.pkr.hcl:3", Path("/home/ci/repo"))
    'images/web.pkr.hcl:3'
    """
    prefix = str(base).rstrip("/") + "/"
    return text.replace(prefix, "") if prefix != "/" else text


def finding_key(finding: dict[str, Any], base: Path) -> str:
    r"""A finding as a key that stays the same while the pipeline does.

    >>> finding_key({"severity": "error", "location": "C:\\Deprovision.ps1:1",
    ...     "message": "sysprep without /generalize: the image keeps this machine's SID"}, Path("/repo"))
    "error C:\\Deprovision.ps1: sysprep without /generalize: the image keeps this machine's SID"
    >>> finding_key({"severity": "warning", "location": "/repo/web.pkr.hcl:1", "id": "PSIM101",
    ...     "message": "image hygiene: login accounts of the source VM remain: 'azureuser'"}, Path("/repo"))
    'warning web.pkr.hcl: PSIM101'
    """
    location = _POSITION.sub("", relative(str(finding["location"]), base))
    if finding.get("id"):
        # An id is the finding's own stable name: the message may quote what varies (a user, an instance id).
        return f"{finding['severity']} {location}: {finding['id']}"
    message = _COUNTED.sub(_count_word, _POSITION.sub("", relative(str(finding["message"]), base)))
    return f"{finding['severity']} {location}: {message}"


def _count_word(match: re.Match[str]) -> str:
    return f"{match.group(1)} N" if match.group(1) else "#N"


def pipeline_name(document: dict[str, Any], base: Path) -> str:
    """``path (tool name)``: the heading ``provsim check`` gives the pipeline, with a path relative to ``base``."""
    return f"{relative(str(document['path']), base)} ({document['tool']} {document['name']})"


def registration_name(registration: dict[str, Any]) -> str:
    """``managed_image:web-1.0.0 captured as generalized``: as ``provsim check`` prints it."""
    how = "uploaded" if registration["stage"] == "upload" else "captured"
    return f"{registration['target']} {how} as {registration['registered_as']}"


def expected_of(document: dict[str, Any], base: Path) -> Expected:
    """One pipeline's behaviour, from its ``provsim check`` JSON document."""
    registrations: dict[str, str] = {}
    for registration in document["registrations"]:
        name = registration_name(registration)
        # The same output registered the same way twice is two rows, not one that hides the other.
        unique, count = name, 1
        while unique in registrations:
            count += 1
            unique = f"{name} ({count})"
        registrations[unique] = str(registration["status"])
    return Expected(
        os_type=str(document["os_type"]),
        os_state=document["os_state"],
        registrations=registrations,
        findings=tuple(sorted(finding_key(f, base) for f in document["findings"])),
    )


def record(documents: list[dict[str, Any]], base: Path, recorded_with: tuple[str, ...] = ()) -> Baseline:
    """The baseline of ``provsim check``'s documents; paths are made relative to ``base`` (the checkout)."""
    return Baseline(
        {pipeline_name(document, base): expected_of(document, base) for document in documents}, recorded_with
    )


def details_of(documents: list[dict[str, Any]], base: Path) -> dict[str, dict[str, str]]:
    """Pipeline -> registration or finding key -> what ``provsim check`` says of it now (see :attr:`Change.detail`)."""
    details: dict[str, dict[str, str]] = {}
    for document in documents:
        said = details.setdefault(pipeline_name(document, base), {})
        for registration in document["registrations"]:
            if registration.get("resolution") and registration["status"] != "succeeded":
                said.setdefault(registration_name(registration), f"resolution: {registration['resolution']}")
        for finding in document["findings"]:
            where = relative(str(finding["location"]), base)
            said.setdefault(finding_key(finding, base), f"{where}: {relative(str(finding['message']), base)}")
    return details


def diff(
    baseline: Baseline, current: Baseline, *, details: dict[str, dict[str, str]] | None = None, only: bool = False
) -> list[Change]:
    """What changed from ``baseline`` to ``current``, pipeline by pipeline, in a stable order.

    ``only``: compare only the pipelines of ``current`` (a scenario checks one
    template against a baseline of many). ``details``: from :func:`details_of`,
    what to show under a registration that now fails and a finding now present.
    """
    changes: list[Change] = []
    for name in sorted(set(baseline.pipelines) | set(current.pipelines)):
        before, after = baseline.pipelines.get(name), current.pipelines.get(name)
        if after is None:
            if not only:
                changes.append(Change(name, "the pipeline", "present", "absent"))
            continue
        if before is None:
            changes.append(Change(name, "the pipeline", "absent", "present"))
            continue
        changes += _pipeline_changes(name, before, after, (details or {}).get(name, {}))
    return changes


def _pipeline_changes(name: str, before: Expected, after: Expected, details: dict[str, str]) -> list[Change]:
    changes = []
    if before.os_type != after.os_type:
        changes.append(Change(name, "OS type", before.os_type, after.os_type))
    if before.os_state != after.os_state:
        changes.append(Change(name, "OS state", _state(before.os_state), _state(after.os_state)))
    for registration in sorted(set(before.registrations) | set(after.registrations)):
        was = before.registrations.get(registration, "absent")
        now = after.registrations.get(registration, "absent")
        if was != now:
            detail = details.get(registration) if now not in ("succeeded", "absent") else None
            changes.append(Change(name, registration, was, now, detail))
    was_found, now_found = Counter(before.findings), Counter(after.findings)
    for key in sorted(set(was_found) | set(now_found)):
        if was_found[key] != now_found[key]:
            detail = details.get(key) if now_found[key] else None
            changes.append(Change(name, f'finding "{key}"', _times(was_found[key]), _times(now_found[key]), detail))
    return changes


def _state(state: str | None) -> str:
    return state if state is not None else "none (the build fails)"


def _times(count: int) -> str:
    return {0: "absent", 1: "present"}.get(count, f"present {count} times")


def load(path: Path) -> Baseline:
    """The baseline in ``path``; a missing, unreadable or malformed file is a one-line :class:`ProvsimError`."""
    from .pipeline.sources import parse_json, read_text

    fix = f"record it with 'provsim baseline record PATH... -o {path}'"
    if not path.exists():
        raise ProvsimError(f"{path}: no baseline there; {fix} (on the main branch)")
    try:
        text = read_text(path, "baseline")
    except ProvsimError as error:  # a folder, a FIFO, a binary file: the same fix
        raise ProvsimError(f"{error.message}, or {fix}") from None
    document = parse_json(path, text, f"{fix} again")
    if not isinstance(document, dict) or MARKER not in document:
        raise ProvsimError(f"{path}: not a provsim baseline (no {MARKER!r} key); {fix}")
    if document[MARKER] != FORMAT:
        raise ProvsimError(
            f"{path}: a provsim baseline of format {document[MARKER]!r}, this provsim reads format {FORMAT}; {fix}"
        )
    pipelines = document.get("pipelines")
    if not isinstance(pipelines, dict):
        raise ProvsimError(f"{path}: 'pipelines' is not an object of pipeline -> expected outcome; {fix}")
    recorded_with = document.get("recorded_with", [])
    if not isinstance(recorded_with, list) or not all(isinstance(item, str) for item in recorded_with):
        raise ProvsimError(f"{path}: 'recorded_with' is not a list of the paths and options recorded; {fix}")
    expected = {str(name): _expected(path, str(name), entry, fix) for name, entry in pipelines.items()}
    return Baseline(expected, tuple(recorded_with))


def _expected(path: Path, name: str, entry: Any, fix: str) -> Expected:
    def wrong(what: str) -> ProvsimError:
        return ProvsimError(f"{path}: pipeline {name!r}: {what}; {fix}")

    if not isinstance(entry, dict):
        raise wrong("not an object")
    os_type, os_state = entry.get("os_type"), entry.get("os_state")
    registrations, findings = entry.get("registrations"), entry.get("findings")
    if not isinstance(os_type, str):
        raise wrong("'os_type' is not a string")
    if os_state is not None and not isinstance(os_state, str):
        raise wrong("'os_state' is neither a string nor null")
    if not isinstance(registrations, dict) or not all(isinstance(v, str) for v in registrations.values()):
        raise wrong("'registrations' is not an object of registration -> status")
    if not isinstance(findings, list) or not all(isinstance(f, str) for f in findings):
        raise wrong("'findings' is not a list of finding keys")
    return Expected(os_type, os_state, dict(registrations), tuple(sorted(findings)))
