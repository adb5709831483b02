"""``provsim base-image``: the Debian base images the Docker backend uses.

    provsim base-image build          # build both variants unless the engine has them (a minute or two each)
    provsim base-image build --force  # build them again
    provsim base-image build --variant cloud-init   # only the one with cloud-init
    provsim base-image show           # their tags, and whether the engine has them
    provsim base-image pull REF       # take the classic one from a registry instead (built by provsim, same recipe)

Two variants, one per way an Azure Linux image provisions: ``classic``
(waagent alone) and ``cloud-init`` (Debian's cloud-init, with waagent handing
provisioning to it). Each image is tagged by a hash of its recipe, so a build
is reused by every later run; the Debian mirror is read from this machine's
apt sources. ``build`` prints one tag a line, the classic one first.
"""

from __future__ import annotations

import argparse

VARIANT_NAMES = ("classic", "cloud-init")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="build the base images unless the engine has them")
    build.add_argument("--force", action="store_true", help="build even when the engine has them")
    show = actions.add_parser("show", help="print the base images' tags and whether the engine has them")
    pull = actions.add_parser("pull", help="take a base image from a registry, where one is reachable")
    pull.add_argument("reference", help="an image built by 'provsim base-image build' and pushed there")
    for action in (build, show, pull):
        action.add_argument(
            "--variant",
            choices=VARIANT_NAMES,
            default=None if action is not pull else "classic",
            help="only this variant" + (" (default: classic)" if action is pull else " (default: both)"),
        )


def run(args: argparse.Namespace) -> int:
    from ..containers import base_image
    from ..containers.engine import connect

    recipes = base_image.variants()
    chosen = {name: recipe for name, recipe in recipes.items() if args.variant in (None, name)}
    client = connect()
    if args.action == "pull":
        print(base_image.pull(client, args.reference, recipes[args.variant]))
        return 0
    for name, recipe in chosen.items():
        present = base_image.find(client, recipe) is not None
        if args.action == "show":
            print(f"{recipe.tag} ({name}; {'present' if present else 'not built yet'}; Debian {recipe.suite})")
        elif present and not args.force:
            print(f"{recipe.tag} ({name}, already built)")
        else:
            seconds = base_image.build(client, recipe)
            print(f"{recipe.tag} ({name}, built in {seconds:.0f} s)")
    return 0
