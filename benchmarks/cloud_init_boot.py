"""Figures for a VM boot with the real cloud-init in a container, and where its time goes.

    python benchmarks/cloud_init_boot.py [--repeat N]

Prints, measured in the same run: the cloud-init base image's build time when
it had to be built; the time of one VM creation from a generalized cloud-init
image (provisioning media, a fresh Faker OS profile) split into the image
probe, the systemd generator, each of cloud-init's four stages, the read-back
(``cloud-init status --long``, result.json) and the rest (machine start with its
releaser, waagent's modelled decision, the ready wait, testinfra's evidence);
the same creation from the classic waagent image for comparison; and
``cloud-init analyze`` of the last boot (its stages by its own log, and the
slowest modules).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from provsim.containers import base_image
from provsim.containers.boot import ContainerImage, create_vm
from provsim.containers.cleanup import Run
from provsim.containers.cloud_init import STAGES, image_has_cloud_init
from provsim.containers.engine import connect
from provsim.model import OsState, OsType
from provsim.platform import Platform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    client = connect()
    recipe = base_image.cloud_init_recipe()
    if base_image.find(client, recipe) is None:
        print(f"cloud-init base image build: {base_image.build(client, recipe):.1f} s")
    else:
        print(f"cloud-init base image {recipe.tag}: cached (build it afresh with 'provsim base-image build --force')")
    parts: dict[str, float] = defaultdict(float)
    totals = {"cloud-init": 0.0, "classic": 0.0}
    blame = ""
    with Run.start(client) as run:
        images = {
            "cloud-init": ContainerImage(recipe.tag, OsType.LINUX, OsState.GENERALIZED, None),
            "classic": ContainerImage(run.base_image, OsType.LINUX, OsState.GENERALIZED, None),
        }
        for number in range(args.repeat):
            started = time.monotonic()
            image_has_cloud_init(run, recipe.tag)
            parts["image probe"] += time.monotonic() - started
            for name, image in images.items():
                started = time.monotonic()
                booted = create_vm(run, Platform(seed=number), image, seed=number)
                totals[name] += time.monotonic() - started
                if not booted.outcome.succeeded:
                    raise SystemExit(f"{name} boot did not succeed: {booted.outcome.reason}")
                cloud = booted.cloud_init
                if cloud is None:
                    continue
                for stage in cloud.stages:
                    parts[stage.stage.command] += stage.seconds
                for step, seconds in cloud.seconds.items():
                    parts[step] += seconds
                if number == args.repeat - 1:
                    # cloud-init's own account, from its log: each stage's seconds, then the slowest modules.
                    top = r"Finished stage: \((init-local|init-network|modules-config|modules-final)\)|Total Time"
                    stages = f"cloud-init analyze show 2>&1 | grep -E '{top}'"
                    blame = booted.machine.disk.run(f"{stages}; cloud-init analyze blame 2>&1 | head -12")[1]
    n = args.repeat
    print(f"VM creation from the cloud-init image (mean of {n}): {totals['cloud-init'] / n:.2f} s")
    order = ["image probe", "generator", *(stage.command for stage in STAGES), "read back"]
    for part in order:
        print(f"  {part:<36} {parts[part] / n:6.2f} s")
    accounted = sum(parts[part] for part in order)
    rest = totals["cloud-init"] - accounted
    print(f"  {'the rest (start, waagent, evidence)':<36} {rest / n:6.2f} s")
    print(f"VM creation from the classic image (mean of {n}, image probe included): {totals['classic'] / n:.2f} s")
    print("cloud-init analyze show (stages) and blame (last boot):")
    print("\n".join(f"  {line}" for line in blame.strip().splitlines()))


if __name__ == "__main__":
    main()
