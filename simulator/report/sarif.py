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

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_RULES = {
    "finding": "a template finding: a step, an option or an output that does not do what it seems",
    "registration": "a registration whose VM creation does not succeed (timeout or failure)",
}


def sarif(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """A SARIF log (as a dict, for ``json.dumps``) of ``provsim check``'s JSON documents."""
    results: list[dict[str, Any]] = []
    for document in documents:
        for finding in document["findings"]:
            results.append(
                _result("finding", _LEVELS.get(finding["severity"], "note"), finding["message"], finding["location"])
            )
        for registration in document["registrations"]:
            if registration["status"] == "succeeded" or not registration.get("known", True):
                continue
            message = (
                f"{registration['target']} registered as {registration['registered_as']}: {registration['status']} "
                f"({registration['error_code']}). {registration['reason']} Resolution: {registration['resolution']}"
            )
            results.append(_result("registration", "error", message, document["path"]))
    rules = [{"id": rule, "shortDescription": {"text": text}} for rule, text in _RULES.items()]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "provsim", "rules": rules}}, "results": results}],
    }


def _result(rule: str, level: str, message: str, location: str) -> dict[str, Any]:
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit():
        path, line = location, ""
    physical: dict[str, Any] = {"artifactLocation": {"uri": path}}
    if line:
        physical["region"] = {"startLine": int(line)}
    return {"ruleId": rule, "level": level, "message": {"text": message}, "locations": [{"physicalLocation": physical}]}
