"""JUnit XML: one test case per registration, so CI lists each VM creation as passed or failed.

A failing registration carries its error code, reason and resolution; a
registration its user has not fixed yet (a VHD tried both ways) is
``skipped`` with why; findings are properties of the pipeline's suite and
its evidence is the suite's system-out.

    >>> document = {"path": "t.pkr.hcl", "name": "web", "os_state": "generalized", "evidence": [],
    ...     "findings": [], "registrations": [{"target": "managed_image:web", "registered_as": "generalized",
    ...     "status": "succeeded", "error_code": None, "reason": "ok", "resolution": None, "known": True}]}
    >>> print(junit([document]).splitlines()[1])
    <testsuites name="provsim check" tests="1" failures="0" skipped="0">
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def junit(documents: list[dict[str, Any]]) -> str:
    """The JUnit XML text for ``provsim check``'s JSON documents."""
    root = ET.Element("testsuites", name="provsim check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for document in documents:
        suite = ET.SubElement(root, "testsuite", name=f"{document['path']} ({document['name']})")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="os_state", value=str(document["os_state"]))
        for number, finding in enumerate(document["findings"], start=1):
            ET.SubElement(
                properties,
                "property",
                name=f"finding.{number}",
                value=f"{finding['severity']}{' ' + finding['id'] if finding.get('id') else ''}: "
                f"{finding['location']}: {finding['message']}",
            )
        if document["os_state"] is None:
            counts["tests"] += 1
            counts["failures"] += 1
            case = ET.SubElement(suite, "testcase", classname=document["name"], name="build")
            failure = next((f for f in document["findings"] if f["severity"] == "error"), None)
            ET.SubElement(case, "failure", message="the build failed").text = failure["message"] if failure else ""
        for registration in document["registrations"]:
            counts["tests"] += 1
            name = f"{registration['target']} as {registration['registered_as']}"
            case = ET.SubElement(suite, "testcase", classname=document["name"], name=name)
            if not registration.get("known", True):
                counts["skipped"] += 1
                ET.SubElement(
                    case, "skipped", message="registered later by its user"
                ).text = f"if registered so: {registration['status']}; say how with --register-vhd-as"
            elif registration["status"] != "succeeded":
                counts["failures"] += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{registration['status']} ({registration['error_code']})"
                )
                failure.text = f"{registration['reason']}\nresolution: {registration['resolution']}"
        ET.SubElement(suite, "system-out").text = "\n".join(document["evidence"])
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
