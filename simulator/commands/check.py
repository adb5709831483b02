"""Placeholder until its issue lands."""

from __future__ import annotations

import argparse

from simulator.errors import ProvsimError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs="*")


def run(args: argparse.Namespace) -> int:
    raise ProvsimError("this command is not available yet")
