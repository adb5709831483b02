"""``provsim``: a thin command line over the library.

Each subcommand lives in ``provsim.commands.<name>`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``; heavy imports stay inside
``run`` so that ``provsim check`` starts fast. Exit status: 0 success, 1 a
simulated VM creation that does not succeed, 2 bad input (one line on stderr),
3 a provsim bug (one line on stderr; ``provsim --debug ...`` shows the
traceback): CI reads 1 as "the VM will fail", so a crash must never look like
that. 128 + N when stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP);
141 (128 + SIGPIPE, what ``cat`` gives) when whoever reads stdout stops
reading, as ``provsim check ... | head`` does.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import ProvsimError
from .stopping import Stopped, stop_signals_raise

#: Subcommand name -> (module under provsim.commands, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "matrix": ("matrix", "simulate all 16 OS-state x process-stage cells"),
    "simulate": ("simulate", "simulate one VM creation and show its timeline"),
    "check": ("check", "read image pipeline templates and predict every registration's outcome"),
    "base-image": ("base_image", "build the Debian base image the Docker backend uses"),
    "baseline": ("baseline", "record every pipeline's expected outcome, or show what changed since it was recorded"),
    "steps": ("steps_catalogue", "list every sentence of the step library, with its parameters and an example"),
    "rules": ("rules", "list every rule a finding can carry: id, what it checks, why, the fix and the source"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """provsim's parser; given the command line, only the options of the subcommand it names.

    Each subcommand's options come from importing its module, and ``check`` alone
    must not pay for the others' (nor ``--help`` for any): every subcommand is
    listed with its summary, but only the one named in ``argv`` gets its options
    and its ``run``. Without ``argv``, every subcommand is built.
    """
    parser = _Parser(
        prog="provsim",
        description="Catch generalized/specialized mix-ups in Azure VM image pipelines before they cost a "
        "40-minute provisioning timeout.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    parser.add_argument(
        "--debug", action="store_true", help="on an internal error, show the traceback (for a bug report)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    named = _named_command(argv) if argv is not None else None
    for name, (module_name, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if named is None or name == named:
            module = importlib.import_module(f".commands.{module_name}", __package__)
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    return parser


def _named_command(argv: Sequence[str]) -> str:
    """The subcommand of a command line: its first word that is not an option (provsim's own take no value)."""
    return next((word for word in argv if not word.startswith("-")), "")


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked (importlib.metadata costs 15-35 ms a start)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> NoReturn:
        print(f"provsim {_version()}")
        parser.exit()


EXAMPLES = """\
examples:
  provsim matrix                                     the 16 cells of the table, simulated
  provsim simulate --os linux --os-state generalized --stage capture --as specialized
  provsim check images/linux/ubuntu.pkr.hcl          read a template, predict every registration
  provsim check images/ --var-file prod.pkrvars.hcl  every template of a folder, with Packer variables
  provsim check ubuntu.pkr.hcl --backend docker      run its Linux steps for real, with the real waagent
  provsim baseline record images/ -o main.json       on main: every pipeline's expected outcome
  provsim baseline diff images/ --against main.json  on a pull request: exit 1 and show what changed
  provsim steps --format markdown                    the sentences of the step library, for your README

exit status: 0 success, 1 a known registration fails, 2 bad input, 3 a provsim bug, 128+N stopped by signal N
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("provsim")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


#: A provsim bug: neither success (0), a failing VM creation (1) nor bad input (2).
INTERNAL_ERROR = 3
#: stdout was closed by its reader: 128 + SIGPIPE, as a command killed by the signal reports.
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run provsim; returns the exit status (also used by the console script).

    Without ``argv`` (the console script, ``python -m provsim.cli``) the process
    is provsim's: the collector runs less often (:data:`COLLECTOR_THRESHOLDS`),
    a command's dataclasses take their compiled methods, and its OS profiles
    their values, from the user's cache (:mod:`provsim.startup`), and the process ends right after
    (:func:`_leave_the_heap_to_the_exit`).
    """
    if argv is not None:
        return _run(argv)
    argv = sys.argv[1:]
    if not _named_command(argv):  # --help, --version: no command, no dataclass to make
        return _run(argv)
    from .startup import compiled_dataclass_methods, compiled_patterns, kept_os_profiles

    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    with compiled_patterns(), compiled_dataclass_methods(), kept_os_profiles():
        status = _run(argv)
    _leave_the_heap_to_the_exit()
    return status


#: The cyclic collector's thresholds in provsim's own process: a young collection per 50,000 new objects,
#: not Python's 700. A start makes its modules, classes and tables, objects that live as long as the
#: process, and the collector went over them again and again (3.5% of a one-template check's
#: instructions). What is garbage still goes, 50,000 objects later: a check of 10,000 templates peaks
#: at the same memory (127 and 128 MiB).
COLLECTOR_THRESHOLDS = (50_000, 20, 10)


def _leave_the_heap_to_the_exit() -> None:
    """Keep Python's exit from going over every object still alive for garbage.

    At exit the interpreter runs one last full collection. Everything a check
    made lives until then (the modules and classes, and for an HCL template
    Lark's parse tables, 50,000 objects), so it finds next to nothing, and
    takes 7-22 ms, up to a tenth of a one-template check. The operating system
    takes the memory back whole. Frozen objects (``gc.freeze``) are left out of
    collections; what still needs to run at exit does so as before (``atexit``,
    ``weakref.finalize``, flushing stdout), and Python never promised that
    ``__del__`` runs for objects alive at exit. Only where main owns the
    process: a caller that passes ``argv`` (a test) keeps its collector whole.
    """
    gc.freeze()


def _run(argv: Sequence[str]) -> int:
    args = build_parser(argv).parse_args(argv)
    try:
        # SIGTERM (how CI cancels) and SIGHUP take Ctrl-C's way out, through every cleanup.
        with stop_signals_raise():
            status: int = args.run(args)
            sys.stdout.flush()  # a closed pipe shows up here, while it can still be handled
    except ProvsimError as error:
        print(f"provsim: {error.message}", file=sys.stderr)
        return 2
    except Stopped as stop:
        print(f"provsim: stopped by {stop.name}; what this run created has been removed", file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt:
        print("provsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except Exception as error:
        if args.debug:
            import traceback  # only here: it imports textwrap, linecache and tokenize on every start otherwise

            traceback.print_exc()
        message = " ".join(str(error).split())
        print(
            f"provsim: internal error (this is a provsim bug, please report it): {type(error).__name__}: "
            f"{message}; rerun with --debug for the traceback",
            file=sys.stderr,
        )
        return INTERNAL_ERROR
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture stdout)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
