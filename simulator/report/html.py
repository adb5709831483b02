"""HTML: one self-contained page a person reads, per pipeline the seed's table with its cells marked.

The seed's table is 4 x 4: rows are OS type x OS state, columns are stage x
registration. Each registration of a pipeline lands in one cell (the
pipeline's OS type and state, the registration's stage and state) and is
coloured by its outcome. Below the table: each VM creation with its reason,
resolution and timeline, the evidence and the findings. Everything from a template is
untrusted text, so every value goes through :func:`html.escape`; the page
loads nothing (inline CSS, no script, no image).

    >>> document = {"path": "t.pkr.hcl", "name": "<web>", "os_type": "linux", "os_state": "generalized",
    ...     "evidence": [], "findings": [], "registrations": [{"target": "managed_image:web", "stage": "capture",
    ...     "registered_as": "generalized", "status": "succeeded", "error_code": None, "reason": "ok",
    ...     "resolution": None, "known": True}]}
    >>> page = html([document])
    >>> "&lt;web&gt;" in page and "<web>" not in page and page.count('class="marked') == 1
    True
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..model import OsState, OsType, Stage

#: Rows and columns of the seed's table, in ``provsim matrix``'s order (simulator/cells.py's all_cells).
ROWS = [(os_type.value, os_state.value) for os_type in (OsType.WINDOWS, OsType.LINUX) for os_state in OsState]
COLUMNS = [(stage.value, state.value) for stage in Stage for state in (OsState.SPECIALIZED, OsState.GENERALIZED)]

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #999; padding: .3em .6em; text-align: left; vertical-align: top; }
table.seed td { min-width: 9em; height: 2.2em; color: #777; }
table.seed td.marked { color: #000; font-weight: 600; }
.succeeded { background: #c8ecc8; } .provisioning_timeout { background: #ffe2a8; }
.provisioning_failure, .failed { background: #f6c0c0; }
table.seed td.later { border: 2px dashed #555; font-weight: normal; }
table.seed th { width: 10em; } p.legend span { padding: .1em .5em; margin-right: .5em; border: 1px solid #999; }
code { font-family: ui-monospace, monospace; }
.error { color: #a00000; } .warning { color: #8a5a00; } .info { color: #305080; }
"""


def html(documents: list[dict[str, Any]]) -> str:
    """The page for ``provsim check``'s JSON documents."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>provsim check</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>provsim check: {len(documents)} pipeline{'' if len(documents) == 1 else 's'}</h1>",
        '<p class="legend">Each table is the seed\'s 16 cells; a marked cell is where a registration lands: '
        '<span class="succeeded">succeeded</span><span class="provisioning_timeout">provisioning_timeout</span>'
        '<span class="provisioning_failure">provisioning_failure</span>'
        '<span class="later" style="border-style: dashed">dashed: a VHD its user registers later</span></p>',
    ]
    parts.extend(_pipeline(document) for document in documents)
    parts.append("</body></html>\n")
    return "\n".join(parts)


#: How a stage reads before "as": "uploaded as generalized".
_DONE = {"upload": "uploaded", "capture": "captured"}


def _outcome(registration: dict[str, Any]) -> str:
    """The CSS classes of a registration: its status, and ``later`` for one its user registers later (a VHD)."""
    return str(registration["status"]) + ("" if registration.get("known", True) else " later")


def _timeline(registration: dict[str, Any]) -> str:
    """The VM creation's events in virtual time, folded under the reason (``simulate`` prints the same lines)."""
    events = registration.get("timeline") or []
    if not events:
        return ""
    rows = "".join(
        f"<li><code>{int(ev['at']) // 60}:{int(ev['at']) % 60:02d}</code> {_text(ev['actor'])}: "
        f"{_text(ev['text'])}</li>"
        for ev in events
    )
    # Open where the VM creation did not succeed: there the order of events is the explanation.
    shown = "" if registration.get("status") == "succeeded" else " open"
    return f'<details class="timeline"{shown}><summary>timeline</summary><ol>{rows}</ol></details>'


def _pipeline(document: dict[str, Any]) -> str:
    e = _text
    title = f"{e(document['path'])} ({e(document.get('tool', ''))} {e(document['name'])})"
    os_state = document["os_state"]
    parts = [
        '<section class="pipeline">',
        f"<h2>{title}</h2>",
        f"<p>{e(document.get('os_type'))} image, OS {e(os_state) if os_state else 'unknown (the build failed)'}</p>",
        _seed_table(document),
        '<h3>VM creations</h3><table class="creations"><tr><th>registration</th><th>outcome</th>'
        "<th>reason</th><th>resolution</th></tr>",
    ]
    for r in document["registrations"]:
        outcome = r["status"] + (f" ({r['error_code']})" if r.get("error_code") else "")
        if not r.get("known", True):
            outcome += "; registered later by its user"
        stage = _DONE.get(str(r.get("stage")), r.get("stage"))
        parts.append(
            f'<tr class="{e(_outcome(r))}"><td><code>{e(r["target"])}</code> {e(stage)} as '
            f"{e(r['registered_as'])}</td><td>{e(outcome)}</td><td>{e(r['reason'])}{_timeline(r)}</td>"
            f"<td>{e(r['resolution'] or '')}</td></tr>"
        )
    parts.append("</table>")
    parts.append('<h3>Evidence</h3><ul class="evidence">')
    parts.extend(f"<li>{e(line)}</li>" for line in document["evidence"])
    parts.append('</ul><h3>Findings</h3><ul class="findings">')
    for f in document["findings"]:
        rule = f" {f['id']}" if f.get("id") else ""
        parts.append(
            f'<li class="{e(f["severity"])}">{e(f["severity"] + rule)}: <code>{e(f["location"])}</code> '
            f"{e(f['message'])}</li>"
        )
    if not document["findings"]:
        parts.append("<li>none</li>")
    parts.append("</ul></section>")
    return "\n".join(parts)


def _seed_table(document: dict[str, Any]) -> str:
    """The 4 x 4 table with the cells this pipeline's registrations land in marked and coloured."""
    landed: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for r in document["registrations"]:
        key = (document.get("os_type"), document["os_state"], r.get("stage"), r["registered_as"])
        landed.setdefault(key, []).append(r)  # type: ignore[arg-type]
    head = "".join(f"<th>{_DONE[stage]} as {state}</th>" for stage, state in COLUMNS)
    rows = [f'<table class="seed"><tr><th>OS</th>{head}</tr>']
    for os_type, os_state in ROWS:
        cells = []
        for stage, state in COLUMNS:
            here = landed.get((os_type, os_state, stage, state), [])
            if not here:
                cells.append("<td></td>")
                continue
            # A cell two registrations land in takes the worse outcome's colour; each is named in it.
            worst = max(here, key=lambda r: (r.get("known", True), r["status"] != "succeeded"))
            css = _outcome(worst)
            text = "<br>".join(
                f"{_text(r['target'])}: {_text(r['status'])}{'' if r.get('known', True) else ' (if registered so)'}"
                for r in here
            )
            cells.append(f'<td class="marked {_text(css)}">{text}</td>')
        rows.append(f"<tr><th>{os_type} {os_state}</th>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _text(value: object) -> str:
    """Any value as HTML text, quotes included (it may land in an attribute)."""
    return escape("" if value is None else str(value), quote=True)
