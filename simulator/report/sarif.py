"""SARIF 2.1.0: each finding, and each failing registration, as a result at its file and line.

GitHub code scanning and Azure DevOps read SARIF and annotate the template's
line. A failing registration is reported at the pipeline's location, with the
resolution as its message's second sentence.

    >>> document = {"path": "t.pkr.hcl", "name": "web", "os_state": "specialized", "evidence": [],
    ...     "registrations": [], "findings": [{"severity": "warning", "location": "t.pkr.hcl:7",
    ...     "message": "deprovisions without +user"}]}
    >>> log = sarif([document])
    >>> log["version"], log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    ('2.1.0', {'startLine': 7})
"""

from __future__ import annotations

from typing import Any

from ..rules import RULES, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
#: A finding without an id (none today; a third party's, say) still gets a rule.
_GENERIC = "finding"
_REGISTRATION_RULES = {"provisioning_timeout": "PSIM001", "provisioning_failure": "PSIM002"}


def sarif(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """A SARIF log (as a dict, for ``json.dumps``) of ``provsim check``'s JSON documents."""
    results: list[dict[str, Any]] = []
    for document in documents:
        for finding in document["findings"]:
            results.append(
                _result(
                    finding.get("id") or _GENERIC,
                    _LEVELS.get(finding["severity"], "note"),
                    finding["message"],
                    finding["location"],
                    finding.get("column"),
                )
            )
        for registration in document["registrations"]:
            if registration["status"] == "succeeded" or not registration.get("known", True):
                continue
            message = (
                f"{registration['target']} registered as {registration['registered_as']}: {registration['status']} "
                f"({registration['error_code']}). {registration['reason']} Resolution: {registration['resolution']}"
            )
            rule_id = _REGISTRATION_RULES.get(registration["status"], "PSIM002")
            results.append(_result(rule_id, "error", message, document["path"]))
    used = {result["ruleId"] for result in results}
    rules = [_rule(rule) for rule in RULES]
    if _GENERIC in used:
        rules.append({"id": _GENERIC, "shortDescription": {"text": "a finding without a rule id"}})
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "provsim", "rules": rules}}, "results": results}],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    """A reportingDescriptor: the help text code scanning shows beside the annotated line."""
    help_text = f"{rule.rationale} Fix: {rule.fix} Example that fires: {rule.example}. Source: {rule.source}"
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": _markdown(rule)},
        "defaultConfiguration": {"level": _LEVELS.get(rule.severity, "note")},
    }


def _markdown(rule: Rule) -> str:
    return (
        f"**{rule.id} {rule.name}**: {rule.summary}\n\n{rule.rationale}\n\n"
        f"*Fires on:* `{rule.example}`\n\n*Fix:* {rule.fix}\n\n*Source:* {rule.source}"
    )


def _result(rule: str, level: str, message: str, location: str, column: int | None = None) -> dict[str, Any]:
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit():
        path, line = location, ""
    physical: dict[str, Any] = {"artifactLocation": {"uri": path}}
    if line:
        physical["region"] = {"startLine": int(line)}
        if column is not None:
            physical["region"]["startColumn"] = column
    return {"ruleId": rule, "level": level, "message": {"text": message}, "locations": [{"physicalLocation": physical}]}
