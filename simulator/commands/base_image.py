"""``provsim base-image``: the Debian base image the Docker backend uses.

    provsim base-image build          # build it unless the engine has it (about a minute with a near mirror)
    provsim base-image build --force  # build it again
    provsim base-image show           # its tag, and whether the engine has it
    provsim base-image pull REF       # take it from a registry instead (an image built by provsim, same recipe)

The image is tagged by a hash of its recipe, so a build is reused by every
later run; the Debian mirror is read from this machine's apt sources.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="build the base image unless the engine has it")
    build.add_argument("--force", action="store_true", help="build even when the engine has it")
    actions.add_parser("show", help="print the base image's tag and whether the engine has it")
    pull = actions.add_parser("pull", help="take the base image from a registry, where one is reachable")
    pull.add_argument("reference", help="an image built by 'provsim base-image build' and pushed there")


def run(args: argparse.Namespace) -> int:
    from ..containers import base_image
    from ..containers.engine import connect

    recipe = base_image.machine_recipe()
    client = connect()
    present = base_image.find(client, recipe) is not None
    if args.action == "show":
        print(f"{recipe.tag} ({'present' if present else 'not built yet'}; Debian {recipe.suite})")
    elif args.action == "pull":
        print(base_image.pull(client, args.reference, recipe))
    elif present and not args.force:
        print(f"{recipe.tag} (already built)")
    else:
        seconds = base_image.build(client, recipe)
        print(f"{recipe.tag} (built in {seconds:.0f} s)")
    return 0
