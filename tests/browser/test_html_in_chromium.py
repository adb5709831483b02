"""``provsim check --html`` in a real headless Chromium: no console error, no request but the file, the table.

Skipped when Chromium is not installed (``apt-get install chromium``), except
with ``PROVSIM_REQUIRE_BROWSER=1`` (CI sets it), where that fails instead.
One browser serves the whole module; it is ended by its PID at the end. The
screenshot lands in the session's temporary folder for a person to look at.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from tests.browser.cdp import Browser, chromium

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REQUIRE_ENV = "PROVSIM_REQUIRE_BROWSER"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    binary = chromium()
    if binary is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}; {REQUIRE_ENV}=1: the browser test must run", pytrace=False)
        pytest.skip(message)
    started = Browser(binary)
    try:
        started.open_page()
        for domain in ("Runtime", "Log", "Network", "Page"):
            started.send(f"{domain}.enable")
        yield started
    finally:
        started.close()


def load(browser: Browser, page: Path) -> list[dict[str, Any]]:
    """Navigate to ``page`` and return the events of that load."""
    browser.events.clear()
    browser.send("Page.navigate", {"url": page.as_uri()})
    browser.wait_for("Page.loadEventFired")
    # An evaluation after the load: every console message and request of the load came before its reply.
    browser.send("Runtime.evaluate", {"expression": "0"})
    return list(browser.events)


def evaluate(browser: Browser, expression: str) -> Any:
    return browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})["result"]["value"]


def errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and the browser's own error log entries."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(str(params["exceptionDetails"]))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(str(params.get("args")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(str(params["entry"].get("text")))
    return found


def test_the_page_renders_its_tables_alone(
    browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "check.html"
    paths = [FIXTURES / "packer" / "forgot-deprovision-centos.pkr.hcl", FIXTURES / "mixed-folder"]
    assert main(["check", *map(str, paths), "--html", str(page)]) == 1
    capsys.readouterr()
    events = load(browser, page)
    assert errors(events) == []
    requested = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    assert requested == [page.as_uri()], "the page loads nothing but itself"
    assert evaluate(browser, "document.querySelectorAll('table.seed').length") == 4
    assert evaluate(browser, "document.querySelectorAll('table.seed td').length") == 4 * 16
    marked = evaluate(browser, "[...document.querySelectorAll('table.seed td.marked')].map(c => c.className)")
    assert "marked provisioning_failure" in marked and "marked succeeded" in marked
    # The colours are applied (the stylesheet is inline and was read).
    colour = evaluate(
        browser, "getComputedStyle(document.querySelector('table.seed td.provisioning_failure')).backgroundColor"
    )
    assert colour == "rgb(246, 192, 192)"
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    picture = Path(tempfile.gettempdir()) / "provsim-check-html.png"
    picture.write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {picture}")


def test_a_hostile_name_runs_nothing(browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = '<script>console.error("ran")</script><img src="http://127.0.0.1:9/x">'
    template = (FIXTURES / "packer" / "web.pkr.hcl").read_text()
    template = template.replace('"web-${var.image_version}"', '"' + hostile.replace('"', '\\"') + '"')
    (tmp_path / "web.pkr.hcl").write_text(template)
    (tmp_path / "scripts").symlink_to(FIXTURES / "packer" / "scripts")
    page = tmp_path / "check.html"
    main(["check", str(tmp_path / "web.pkr.hcl"), "--html", str(page)])
    capsys.readouterr()
    events = load(browser, page)
    assert errors(events) == []
    assert [e for e in events if e.get("method") == "Network.requestWillBeSent"][1:] == []
    assert evaluate(browser, "document.querySelectorAll('script, img').length") == 0
    assert hostile in evaluate(browser, "document.querySelector('table.seed td.marked').textContent")
