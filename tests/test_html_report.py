"""The HTML page of ``provsim check --html`` parses, agrees with the JSON, and shows hostile names as text."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

#: One template of each kind the readers know: Packer HCL2 and JSON, a VHD, Windows, AIB, an ARM template.
KINDS = {
    "packer-hcl": FIXTURES / "packer" / "forgot-deprovision-centos.pkr.hcl",
    "packer-json-vhd": FIXTURES / "packer" / "linux-vhd.json",
    "packer-windows": FIXTURES / "packer" / "windows.pkr.hcl",
    "packer-gallery-specialized": FIXTURES / "packer" / "gallery-specialized.pkr.hcl",
    "aib": FIXTURES / "aib" / "windows-override-no-generalize.json",
    "aib-arm": FIXTURES / "aib" / "windows-arm.json",
    "folder": FIXTURES / "mixed-folder",
}


class Page(HTMLParser):
    """What a reader of the page sees: each pipeline's title, its marked cells and its VM creation rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pipelines: list[dict[str, Any]] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        if tag == "section":
            self.pipelines.append({"title": "", "marked": [], "rows": [], "classes": []})
        if tag in ("h2", "td"):
            self._cell = []
        if tag == "tr" and self._in("table", "creations"):
            self.pipelines[-1]["classes"].append(attributes.get("class", ""))
            self.pipelines[-1]["rows"].append([])
        self._stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, attributes = self._stack.pop()
            if open_tag == tag:
                break
        if self._cell is None or tag not in ("h2", "td"):
            return
        text, self._cell = "".join(self._cell), None
        if tag == "h2":
            self.pipelines[-1]["title"] = text
        elif self._in("table", "seed") and "marked" in attributes.get("class", ""):
            self.pipelines[-1]["marked"].append((attributes["class"], text))
        elif self._in("table", "creations"):
            self.pipelines[-1]["rows"][-1].append(text)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def _in(self, tag: str, css: str) -> bool:
        return any(t == tag and css in a.get("class", "").split() for t, a in self._stack)


def check_html(provsim_cli: CliRun, tmp_path: Path, *paths: Path) -> tuple[list[dict[str, Any]], Page, str]:
    page_file = tmp_path / "check.html"
    status, out, err = provsim_cli("check", *map(str, paths), "--format", "json", "--html", str(page_file))
    assert status in (0, 1), err
    text = page_file.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    return json.loads(out)["pipelines"], page, text


@pytest.mark.parametrize("path", KINDS.values(), ids=KINDS.keys())
def test_the_page_agrees_with_the_json(provsim_cli: CliRun, tmp_path: Path, path: Path) -> None:
    documents, page, _ = check_html(provsim_cli, tmp_path, path)
    assert len(page.pipelines) == len(documents) > 0
    for document, shown in zip(documents, page.pipelines, strict=True):
        assert shown["title"].startswith(document["path"]) and document["name"] in shown["title"]
        registrations = document["registrations"]
        assert len(shown["rows"]) == len(registrations) + 1, "a header row, then one row per VM creation"
        for registration, row, css in zip(registrations, shown["rows"][1:], shown["classes"][1:], strict=True):
            assert registration["target"] in row[0] and registration["registered_as"] in row[0]
            assert row[1].startswith(registration["status"]) and css.split()[0] == registration["status"]
        # Each registration lands in one marked cell, coloured by its outcome.
        marked_text = " ".join(text for _, text in shown["marked"])
        assert all(f"{r['target']}: {r['status']}" in marked_text for r in registrations)
        assert len(shown["marked"]) == len({(r["stage"], r["registered_as"]) for r in registrations})
        statuses = {r["status"] for r in registrations}
        assert all(css.split()[1] in statuses for css, _ in shown["marked"])


def test_the_page_loads_nothing(provsim_cli: CliRun, tmp_path: Path) -> None:
    _, page, text = check_html(provsim_cli, tmp_path, KINDS["folder"])
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(page.tags)
    style = text[text.index("<style>") : text.index("</style>")]
    assert "url(" not in style and "@import" not in style and " src=" not in text and " href=" not in text


def test_a_hostile_template_shows_as_text(provsim_cli: CliRun, tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    folder = tmp_path / 'images"<script>'
    folder.mkdir()
    template = (FIXTURES / "packer" / "web.pkr.hcl").read_text()
    template = template.replace('image_name = "web-${var.image_version}"', f"image_name = {json.dumps(hostile)}")
    (folder / "web.pkr.hcl").write_text(template)
    (folder / "scripts").symlink_to(FIXTURES / "packer" / "scripts")
    documents, page, text = check_html(provsim_cli, tmp_path, folder / "web.pkr.hcl")
    assert hostile in documents[0]["registrations"][0]["target"]
    assert "<script" not in text and "script" not in page.tags
    shown = "".join(page.text)
    assert hostile in shown and 'images"<script>' in shown, "the reader sees the names as written"


def test_each_vm_creation_shows_its_timeline(provsim_cli: CliRun, tmp_path: Path) -> None:
    """The JSON's events in order under the reason, unfolded where the VM creation did not succeed."""
    documents, page, text = check_html(provsim_cli, tmp_path, KINDS["packer-json-vhd"])
    (document,), (shown,) = documents, page.pipelines
    for registration, row in zip(document["registrations"], shown["rows"][1:], strict=True):
        events = registration["timeline"]
        assert events, "every VM creation has a timeline"
        timeline = row[2][row[2].index("timeline") :]
        at = 0
        for event in events:  # each after the one before it
            at = timeline.index(event["text"], at) + len(event["text"])
    statuses = [r["status"] for r in document["registrations"]]
    assert text.count('<details class="timeline" open>') == sum(status != "succeeded" for status in statuses) > 0
