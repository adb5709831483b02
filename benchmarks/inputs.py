"""Generated inputs for the benchmarks, written to a temporary folder (never the work tree).

- :func:`arm_file`: one ARM template with N Azure Image Builder image
  templates, each the Windows one of ``fixtures/aib/windows-arm.json`` under
  its own name (its PowerShell step, a restart, Windows Update; a gallery image
  and a VHD), as a team that generates one template per image gets; fields no
  reader looks at are left out. 10,000 of them fit under the file size limit
  (:data:`provsim.pipeline.sources.MAX_FILE_BYTES`).
- :func:`largest_hcl`: a Packer HCL2 template just under the per-file limit
  (:data:`provsim.pipeline.packer_hcl.MAX_HCL_CHARACTERS`): one azure-arm
  source and as many shell provisioners as fit.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from measure import ROOT
from provsim.pipeline.packer_hcl import MAX_HCL_CHARACTERS
from provsim.pipeline.sources import MAX_FILE_BYTES

WINDOWS_ARM = ROOT / "fixtures/aib/windows-arm.json"
GALLERY = "/subscriptions/0/resourceGroups/g/providers/Microsoft.Compute/galleries/g"


def arm_file(count: int, folder: Path) -> Path:
    """An ARM template of ``count`` image templates (compact JSON, as generators write it)."""
    document = json.loads(WINDOWS_ARM.read_text())
    (template,) = document["resources"]
    document["resources"] = [_renamed(template, index) for index in range(count)]
    path = folder / f"arm-{count}-image-templates.json"
    path.write_text(json.dumps(document, separators=(",", ":")))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SystemExit(f"{path}: {path.stat().st_size} bytes, over provsim's limit; generate fewer templates")
    return path


def _renamed(template: dict[str, Any], index: int) -> dict[str, Any]:
    resource = copy.deepcopy(template)
    resource["name"] = f"iis-{index}"
    resource["apiVersion"] = "2022-02-14"  # the parameter's default, written out
    # Fields no reader looks at go (build VM size, timeout, replication): 10,000 templates must fit in 8 MiB.
    for unused in ("buildTimeoutInMinutes", "vmProfile"):
        resource["properties"].pop(unused, None)
    gallery, vhd = resource["properties"]["distribute"]
    gallery["galleryImageId"] = f"{GALLERY}/images/{index}"
    gallery["runOutputName"] = f"g{index}"
    gallery.pop("replicationRegions", None)
    vhd["runOutputName"] = f"v{index}"
    return resource


HCL_HEAD = """\
source "azure-arm" "ubuntu" {
  os_type                           = "Linux"
  image_publisher                   = "Canonical"
  image_offer                       = "0001-com-ubuntu-server-jammy"
  image_sku                         = "22_04-lts"
  managed_image_name                = "ubuntu-big"
  managed_image_resource_group_name = "rg-images"
}

build {
  sources = ["source.azure-arm.ubuntu"]
"""

HCL_STEP = """
  provisioner "shell" {
    inline = ["echo step {index}", "sudo apt-get install -y package-{index}"]
  }
"""

HCL_TAIL = """
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline          = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"]
  }
}
"""


def largest_hcl(folder: Path) -> Path:
    """A single .pkr.hcl file of just under the HCL limit (characters other than line breaks)."""
    steps: list[str] = []

    def size(text: str) -> int:
        return len(text) - text.count("\n")

    while True:
        step = HCL_STEP.replace("{index}", str(len(steps)))
        if size(HCL_HEAD + "".join(steps) + step + HCL_TAIL) > MAX_HCL_CHARACTERS:
            break
        steps.append(step)
    path = folder / "largest.pkr.hcl"
    path.write_text(HCL_HEAD + "".join(steps) + HCL_TAIL)
    return path
