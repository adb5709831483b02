"""``provsim check``: read image pipeline templates and predict every registration's outcome.

With ``--backend docker`` (Linux pipelines), the steps run for real in a build
container, the real waagent deprovisions, and the OS state is read off that
container's disk; ``--rootfs disk.tar --os linux`` uploads a root filesystem
of your own both ways. Both backends print the same report and JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ProvsimError
from ..masking import mask
from ..model import OsState

if TYPE_CHECKING:
    from ..containers.check import ContainerCheck
    from ..pipeline.check import PipelineReport
    from ..pipeline.model import Target
    from ..pipeline.variables import PackerVariables


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated OS profiles (default 0)")
    parser.add_argument(
        "--backend",
        choices=("memory", "docker"),
        default="memory",
        help="memory: simulate on in-memory disks (default); docker: run Linux pipelines in containers",
    )
    parser.add_argument(
        "--skip-step",
        action="append",
        default=[],
        type=int,
        metavar="N",
        help="docker backend: do not run step N (from 1) of each pipeline, e.g. one that downloads packages "
        "(containers have no network); reported as skipped (repeatable)",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="docker backend: stop a step that runs longer (default 900; a provisioner's own 'timeout' wins)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        help="also exit 1 when a finding has this severity or a higher one (default: only VM creations decide)",
    )
    parser.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write JUnit XML: one test case per registration"
    )
    parser.add_argument(
        "--sarif", type=Path, metavar="FILE", help="also write SARIF 2.1.0: each finding at its file and line"
    )
    parser.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write one self-contained HTML page: each pipeline's cells of the seed's table",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="memory backend: build many pipelines in N processes (default: one per usable core)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="ID",
        help="drop the findings of this rule (see 'provsim rules'); repeat for more",
    )
    parser.add_argument("--rootfs", metavar="TARBALL", help="check a root filesystem tarball (docker backend)")
    parser.add_argument("--os", choices=("linux",), dest="os_type", help="OS type of --rootfs")


def add_reading_arguments(parser: argparse.ArgumentParser, *, paths: str = "*") -> None:
    """The options that change what a pipeline does: ``check`` and ``baseline`` read templates alike."""
    parser.add_argument(
        "paths", nargs=paths, metavar="PATH", help="Packer HCL2 file or folder, Packer JSON template, or AIB template"
    )
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="set a Packer variable (repeatable)"
    )
    parser.add_argument(
        "--var-file",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="Packer variables from a .pkrvars.hcl or JSON file (repeatable; PKR_VAR_* and *.auto.pkrvars.hcl are "
        "read as Packer reads them)",
    )
    parser.add_argument(
        "--register-vhd-as",
        choices=("generalized", "specialized"),
        help="how you will register the VHD outputs (and a --rootfs upload); without it both ways are shown, "
        "and neither decides the exit status",
    )
    parser.add_argument(
        "--linux-agent",
        choices=("cloud-init", "waagent"),
        default=None,
        help="the agent the Linux platform image provisions with, when the template cannot tell (default: from "
        "its publisher, offer and SKU)",
    )


def parse_variables(pairs: list[str], files: list[Path]) -> PackerVariables:
    """``--var`` and ``--var-file`` as Packer takes them, with the environment's ``PKR_VAR_*``."""
    from ..pipeline.variables import PackerVariables

    assigned: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ProvsimError(f"--var {pair!r}: expected NAME=VALUE")
        assigned[name.strip()] = value
    return PackerVariables(assigned, tuple(files), dict(os.environ))


def run(args: argparse.Namespace) -> int:
    from ..pipeline.check import check_path

    if not args.paths and not args.rootfs:
        raise ProvsimError("check: nothing to check; pass a template PATH or --rootfs TARBALL --os linux")
    if args.rootfs and not args.os_type:
        raise ProvsimError("--rootfs needs --os linux (the OS type cannot be read off a tarball reliably)")
    if args.skip_step and args.backend != "docker":
        raise ProvsimError("--skip-step goes with --backend docker: the memory backend runs no step for real")
    if args.step_timeout is not None and args.backend != "docker":
        raise ProvsimError("--step-timeout goes with --backend docker: the memory backend runs no step for real")
    if args.step_timeout is not None and not 0 < args.step_timeout < 10**7:
        raise ProvsimError(f"--step-timeout {args.step_timeout:g}: give a number of seconds greater than 0")
    for report_file in (args.junit, args.sarif, args.html):
        # Checked before any work: a long container build must not end in a report that cannot be written.
        if report_file is not None and (report_file.is_dir() or not report_file.parent.is_dir()):
            raise ProvsimError(f"{report_file}: not a file in an existing folder; pass a path such as reports/x.xml")
    if args.jobs is not None and args.jobs < 1:
        raise ProvsimError(f"--jobs {args.jobs}: give a number of processes, 1 or more")
    ignored = _ignored_rules(args.ignore)
    variables = parse_variables(args.var, args.var_file)
    vhd_as = OsState(args.register_vhd_as) if args.register_vhd_as else None
    # Read and simulate everything before printing anything: a bad input must not leave half a report.
    colour = args.format == "text" and _colour(sys.stdout)
    reports_asked = any(report_file is not None for report_file in (args.junit, args.sarif, args.html))
    if args.backend == "docker" or args.rootfs:
        reports = [
            report
            for path in args.paths
            for report in check_path(Path(path), variables, args.seed, vhd_as, linux_agent=args.linux_agent)
        ]
        secrets = frozenset(value for report in reports for value in report.pipeline.sensitive)
        shown = [
            Shown.of(document, ignored, secrets, args.format, colour, keep=True)
            for document in _docker_documents(args, reports, secrets, vhd_as)
        ]
    else:
        shown = _memory_shown(args, variables, vhd_as, ignored, colour, keep=reports_asked)
    documents = [one.document for one in shown]
    if reports_asked:
        write_reports(documents, junit_file=args.junit, sarif_file=args.sarif, html_file=args.html)
    if args.format == "json":
        print_json_parts([one.text for one in shown])
    else:
        # One pipeline at a time: the report of thousands is never one string.
        for index, one in enumerate(shown):
            print(("\n" if index else "") + one.text)
        if not shown:
            print()
        if len(shown) > 1:
            print(f"\n{summary(documents)}")
    return exit_status(documents, args.fail_on)


def _colour(stream: Any) -> bool:
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class Shown(NamedTuple):
    """A pipeline's report as ``check`` prints it: its text on stdout, and the document the rest reads.

    Made where the pipeline is built (a pool's worker, for many): the
    rendering goes to every core, and only what the calling process still
    needs comes back. ``document`` is the whole report where a report file
    wants it (``keep``), else only what the summary line and the exit status
    read (:func:`verdicts`).
    """

    document: dict[str, Any]
    text: str

    @classmethod
    def of(
        cls,
        document: dict[str, Any],
        ignored: frozenset[str],
        secrets: frozenset[str],
        form: str,
        colour: bool,
        *,
        keep: bool,
    ) -> Shown:
        # The last line of defence: whatever a reader, a finding or a step quoted, no sensitive value is printed.
        document = masked(_without_ignored(document, ignored), secrets)
        text = _json_part(document) if form == "json" else render_text(document, colour=colour)
        return cls(document if keep else verdicts(document), text)


def verdicts(document: dict[str, Any]) -> dict[str, Any]:
    """What :func:`summary` and :func:`exit_status` read of a report document.

    >>> verdicts({"name": "web", "os_state": None, "findings": [{"severity": "info", "message": "m"}],
    ...           "registrations": [{"status": "succeeded", "known": True, "timeline": []}]})["findings"]
    [{'severity': 'info'}]
    """
    return {
        "os_state": document["os_state"],
        "registrations": [{"status": r["status"], "known": r.get("known", True)} for r in document["registrations"]],
        "findings": [{"severity": f["severity"]} for f in document["findings"]],
    }


def _ignored_rules(given: list[str]) -> frozenset[str]:
    """The rule ids of ``--ignore``, checked: an unknown one is a typo that would silence nothing."""
    from ..rules import rule

    ids = set()
    for key in given:
        try:
            ids.add(rule(key).id)
        except KeyError:
            raise ProvsimError(f"--ignore {key}: no such rule; 'provsim rules' lists them (PSIM001 ...)") from None
    return frozenset(ids)


def _without_ignored(document: dict[str, Any], ignored: frozenset[str]) -> dict[str, Any]:
    if not ignored:
        return document
    return {**document, "findings": [f for f in document["findings"] if f.get("id") not in ignored]}


def _memory_shown(
    args: argparse.Namespace,
    variables: PackerVariables,
    vhd_as: OsState | None,
    ignored: frozenset[str],
    colour: bool,
    *,
    keep: bool,
) -> list[Shown]:
    """Every pipeline of every path, read here, then built (and shown) on every core when there are many."""
    from ..pipeline.detect import pipelines_to_read
    from ..pipeline.parallel import check_documents

    # An AIB file's templates are read by the builds, on every core: reading 10,000 here took a third of the time.
    pipelines = [pipeline for path in args.paths for pipeline in pipelines_to_read(Path(path), variables)]
    for pipeline in pipelines:
        pipeline.linux_agent = args.linux_agent
    secrets = frozenset(value for pipeline in pipelines for value in pipeline.sensitive)
    finish = functools.partial(Shown.of, ignored=ignored, secrets=secrets, form=args.format, colour=colour, keep=keep)
    with _Progress.on_terminal(sys.stderr) as progress:
        return check_documents(
            pipelines, args.seed, vhd_as, jobs=args.jobs, progress=progress, release=True, finish=finish
        )


class _Progress:
    """``provsim: built 412 of 1000 pipelines`` on one line of a terminal, erased when done.

    Only on a terminal: a CI log or a pipe gets nothing extra. Only for many
    pipelines, and redrawn at most ten times a second.
    """

    #: Fewer pipelines take well under a second: no line at all.
    FROM = 32

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = False
        self.last = 0.0

    @classmethod
    @contextlib.contextmanager
    def on_terminal(cls, stream: Any) -> Iterator[Callable[[int, int], None] | None]:
        if not _is_terminal(stream):
            yield None
            return
        progress = cls(stream)
        try:
            yield progress
        finally:
            progress.erase()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if total < self.FROM or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\rprovsim: built {done} of {total} pipelines\x1b[K")
        self.stream.flush()

    def erase(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # replaced or closed (tests capture it)
        return False


def print_json(documents: list[dict[str, Any]]) -> None:
    r"""``{"pipelines": documents}`` as ``json.dumps(..., indent=2)`` writes it, one pipeline at a time.

    The same text, but never all of it in memory at once: with an indent, ``json.dumps`` goes through
    the pure-Python encoder and holds every fragment of the output in one list before joining them,
    about 85 MB for the 21 MB report of an ARM file of 10,000 image templates.

    >>> import contextlib, io
    >>> documents = [{"path": "a", "findings": []}, {"path": "b", "findings": [{"severity": "info"}]}]
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     print_json(documents)
    >>> out.getvalue() == json.dumps({"pipelines": documents}, indent=2) + "\n"
    True
    """
    print_json_parts([_json_part(document) for document in documents])


def _json_part(document: dict[str, Any]) -> str:
    """A document as it stands in :func:`print_json`'s list, without the comma."""
    # JSON escapes line breaks inside strings, so every line of the text is a line of the structure.
    return textwrap.indent(json.dumps(document, indent=2), "    ")


def print_json_parts(parts: list[str]) -> None:
    """:func:`print_json` of documents already written as their parts (:func:`_json_part`)."""
    if not parts:
        print(json.dumps({"pipelines": []}, indent=2))
        return
    print('{\n  "pipelines": [')
    for index, part in enumerate(parts):
        print(part + ("," if index < len(parts) - 1 else ""))
    print("  ]\n}")


def write_reports(
    documents: list[dict[str, Any]], *, junit_file: Path | None, sarif_file: Path | None, html_file: Path | None = None
) -> None:
    """Write the JUnit, SARIF and HTML files asked for; a file that cannot be written is bad input, in one line."""
    if junit_file is None and sarif_file is None and html_file is None:
        return  # and the report writers (html.entities and the like) are not imported
    from ..report import html, junit, sarif

    renders: tuple[tuple[Path | None, Callable[[list[dict[str, Any]]], str]], ...] = (
        (junit_file, junit),
        (sarif_file, lambda d: json.dumps(sarif(d), indent=2) + "\n"),
        (html_file, html),
    )
    for path, render in renders:
        if path is None:
            continue
        try:
            path.write_text(render(documents), encoding="utf-8")
        except OSError as error:
            raise ProvsimError(f"{path}: cannot write the report ({error.strerror}); pass a writable file") from None


#: Findings at or above each --fail-on level.
_FAILING_SEVERITIES = {"error": {"error"}, "warning": {"error", "warning"}}


def exit_status(documents: list[dict[str, Any]], fail_on: str | None = None) -> int:
    """1 when a known registration does not succeed or a build fails (or a finding reaches ``fail_on``), else 0.

    >>> vhd = {"status": "provisioning_timeout", "known": False}
    >>> exit_status([{"os_state": "generalized", "registrations": [vhd], "findings": []}])
    0
    >>> exit_status([{"os_state": None, "registrations": [], "findings": []}])
    1
    """
    for document in documents:
        if document["os_state"] is None:
            return 1  # the build itself fails: there is no image to create a VM from
        if any(r["status"] != "succeeded" for r in document["registrations"] if r.get("known", True)):
            return 1
        if fail_on and any(f["severity"] in _FAILING_SEVERITIES[fail_on] for f in document["findings"]):
            return 1
    return 0


def masked(value: Any, secrets: frozenset[str]) -> Any:
    """A JSON-shaped value with every sensitive value in its strings replaced by ``<sensitive>``.

    >>> masked({"evidence": ["curl -u app:hunter2"], "n": 1}, frozenset({"hunter2"}))
    {'evidence': ['curl -u app:<sensitive>'], 'n': 1}
    """
    if not secrets:
        return value
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, dict):
        return {key: masked(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item, secrets) for item in value]
    return value


def _docker_documents(
    args: argparse.Namespace, reports: list[PipelineReport], secrets: frozenset[str], vhd_as: OsState | None
) -> list[dict[str, Any]]:
    from ..containers.check import check_pipeline, check_rootfs, check_skips
    from ..containers.engine import no_engine_message, unreachable_reason
    from ..containers.provisioners import DEFAULT_STEP_TIMEOUT
    from ..model import OsType

    why = unreachable_reason()
    if why is not None:
        raise ProvsimError(no_engine_message(why))
    for report in reports:
        if report.pipeline.os_type is not OsType.LINUX:
            raise ProvsimError(
                f"{report.pipeline.location}: the Docker backend runs Linux pipelines only; drop --backend docker"
            )
        check_skips(report.pipeline, args.skip_step)

    def progress(line: str) -> None:
        print(f"provsim: {mask(line, secrets)}", file=sys.stderr)

    documents = []
    for report in reports:
        result = check_pipeline(
            report.pipeline,
            seed=args.seed,
            progress=progress,
            skip=args.skip_step,
            step_timeout=args.step_timeout or DEFAULT_STEP_TIMEOUT,
            vhd_as=vhd_as,
        )
        documents.append(container_document(report, result, vhd_as=vhd_as))
    if args.rootfs:
        tarball = Path(args.rootfs)
        if not tarball.is_file():
            raise ProvsimError(f"{tarball}: --rootfs tarball not found; pass a file made with 'tar -C root -cf'")
        result = check_rootfs(tarball, OsType(args.os_type), seed=args.seed, register_as=vhd_as)
        documents.append(container_document(None, result, path=str(tarball), vhd_as=vhd_as))
    return documents


def container_document(
    report: PipelineReport | None, result: ContainerCheck, path: str = "", *, vhd_as: OsState | None = None
) -> dict[str, Any]:
    """The same JSON shape as the memory backend, from what the containers showed.

    ``vhd_as``: how the user registers VHDs and a ``--rootfs`` upload (None: unknown, so both ways were tried).
    """
    from ..pipeline.check import is_hygiene, is_known
    from ..pipeline.resolution import resolution_for

    findings = [f.to_dict() for f in report.findings] if report else []
    if result.residue is not None:
        # The image's residue as the container's disk holds it, where the memory backend read its own disk.
        generalized = any(
            r.registered_as is OsState.GENERALIZED and (r.targets and is_known(r.targets[0], vhd_as))
            for r in result.registrations
        )
        findings = [f for f in findings if not is_hygiene(f)]
        findings += [f.to_dict() for f in result.residue] if generalized else []
    evidence = [*result.notes, *(run.describe() for run in result.steps)]
    if result.evidence is not None:
        evidence += list(result.evidence.facts())
    failed = result.failed_step
    if failed is not None:
        findings.append(
            {
                "severity": "error",
                "message": f"the build failed at {failed.step.name} (exit {failed.exit_code}): {failed.reason}",
                "location": str(failed.step.location),
            }
        )
    for skipped in result.skipped_steps:
        findings.append(
            {
                "severity": "warning",
                "message": f"{skipped.step.name} was skipped in the container: {skipped.reason}",
                "location": str(skipped.step.location),
            }
        )
    registrations = []
    for registration in result.registrations:
        row = registration.outcome.to_dict()
        targets: list[Target | None] = list(registration.targets) or [None]
        for target in targets:
            resolution = row["resolution"]
            if target is not None and report is not None:
                resolution = resolution_for(target, report.pipeline.tool, result.os_type, registration.outcome)
            registrations.append(
                {
                    "target": f"{target.kind.value}:{target.name}" if target is not None else "rootfs",
                    "stage": row["stage"] or ("capture" if report else "upload"),
                    "registered_as": registration.registered_as.value,
                    "status": row["status"],
                    "error_code": row["error_code"],
                    "reason": row["reason"],
                    "resolution": resolution,
                    "known": is_known(target, vhd_as) if target is not None else vhd_as is not None,
                    "timeline": row["timeline"],
                }
            )
    return {
        "path": report.pipeline.path if report else path,
        "name": report.pipeline.name if report else result.name,
        "tool": report.pipeline.tool.value if report else "rootfs",
        "os_type": result.os_type.value,
        "os_state": result.os_state.value if result.os_state else None,
        "evidence": evidence,
        "registrations": registrations,
        "findings": findings,
        "backend": "docker",
    }


def summary(documents: list[dict[str, Any]]) -> str:
    """One line over several pipelines: how many, how their known registrations end, how many findings.

    >>> ok = {"status": "succeeded", "known": True}
    >>> bad = {"status": "provisioning_failure", "known": True}
    >>> error = {"severity": "error"}
    >>> summary([{"registrations": [ok], "findings": []}, {"registrations": [bad, ok], "findings": [error]}])
    '2 pipelines, 3 known registrations: 2 succeeded, 1 provisioning_failure; findings: 1 error'
    """
    known = [r for document in documents for r in document["registrations"] if r.get("known", True)]
    statuses = Counter(r["status"] for r in known)
    ordered = sorted(statuses.items(), key=lambda item: item[0] != "succeeded")
    ends = ", ".join(f"{count} {status}" for status, count in ordered)
    severities = Counter(f["severity"] for document in documents for f in document["findings"])
    found = ", ".join(f"{severities[s]} {s}" for s in ("error", "warning", "info") if severities[s]) or "none"
    return f"{len(documents)} pipelines, {len(known)} known registrations: {ends or 'none'}; findings: {found}"


#: ANSI colours of the verdicts and severities, used on a terminal only (never with NO_COLOR, https://no-color.org).
_COLOURS = {
    "succeeded": "32",
    "provisioning_timeout": "33",
    "provisioning_failure": "31",
    "error": "31",
    "warning": "33",
    "info": "36",
}


def _paint(text: str, key: str, colour: bool) -> str:
    r"""
    >>> _paint("succeeded", "succeeded", True), _paint("succeeded", "succeeded", False)
    ('\x1b[32msucceeded\x1b[0m', 'succeeded')
    """
    code = _COLOURS.get(key)
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


# The same few reasons come back for every template of a many-template file; wrapping is a tenth of its report.
@functools.lru_cache(maxsize=256)
def _wrapped(text: str, width: int) -> str:
    return textwrap.fill(text, width, initial_indent="      ", subsequent_indent="        ", break_on_hyphens=False)


def render_text(report: dict[str, Any], *, colour: bool = False) -> str:
    # The reason wraps at the terminal's width; the resolution never wraps: it holds a command to copy.
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))
    state = report["os_state"] or "unknown (the build failed)"
    lines = [
        f"{report['path']} ({report['tool']} {report['name']}): {report['os_type']} image, OS {state}",
        "  evidence:",
        *(f"    - {item}" for item in report["evidence"]),
        "  registrations:",
    ]
    for registration in report["registrations"]:
        verdict = _paint(registration["status"], registration["status"], colour) + (
            f" ({registration['error_code']})" if registration["error_code"] else ""
        )
        how = "uploaded" if registration["stage"] == "upload" else "captured"
        maybe = "" if registration.get("known", True) else " (if you register it so)"
        lines.append(f"    {registration['target']} {how} as {registration['registered_as']}{maybe}: {verdict}")
        if registration["error_code"]:
            lines.append(_wrapped(f"reason: {registration['reason']}", width))
            lines.append(f"      resolution: {registration['resolution']}")
    if not report["registrations"]:
        lines.append("    none")
    if report["findings"]:
        lines.append("  findings:")
        lines += [
            f"    {_paint(f['severity'], f['severity'], colour)}{' ' + f['id'] if f.get('id') else ''}: "
            f"{f['location']}: {f['message']}"
            for f in report["findings"]
        ]
    return "\n".join(lines)
