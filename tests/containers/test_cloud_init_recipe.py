"""The cloud-init base image's recipe and the read-back of facts, without an engine."""

from __future__ import annotations

from pathlib import Path

from provsim.containers import base_image
from provsim.containers.cloud_init import read_facts
from provsim.disk import Account, MemoryDisk
from provsim.guest.cloud_init import INSTANCE_ID_FILE, SUDOERS_FILE


def _apt(tmp_path: Path) -> Path:
    (tmp_path / "sources.list").write_text("deb http://mirror.invalid/debian bookworm main\n")
    return tmp_path


def test_the_classic_recipe_and_its_tag_are_unchanged(tmp_path: Path) -> None:
    # The tag every engine has cached: the cloud-init variant is a second recipe, never a change to this one.
    assert base_image.machine_recipe(_apt(tmp_path)).tag == "provsim-base:8eaa799cdddd5039"


def test_the_cloud_init_variant_adds_the_package_and_hands_provisioning_to_it(tmp_path: Path) -> None:
    variants = base_image.variants(_apt(tmp_path))
    classic, cloud = variants["classic"], variants["cloud-init"]
    assert cloud.suite == classic.suite and cloud.mirror == classic.mirror and cloud.tag != classic.tag
    assert set(cloud.packages) - set(classic.packages) == {"cloud-init", "python3-cffi-backend"}
    assert base_image.has_cloud_init(cloud) and not base_image.has_cloud_init(classic)
    assert "Provisioning.Agent=auto/" in cloud.finish and "Provisioning.Agent=waagent/" in classic.finish
    assert "datasource_list: [ Azure ]" in cloud.finish
    assert base_image.cloud_init_recipe(tmp_path) == cloud


def test_the_datasource_module_is_python() -> None:
    compile(base_image.AZURE_DATASOURCE, "DataSourceAzure.py", "exec")


RULES = "# Created by cloud-init\n\n# User rules for azureuser\nazureuser ALL=(ALL) NOPASSWD:ALL\n"


def test_facts_read_through_the_disk_interface() -> None:
    disk = MemoryDisk(hostname="web-1")
    disk.add_user(Account("azureuser"))
    disk.write_text(SUDOERS_FILE, RULES)
    disk.write_text(INSTANCE_ID_FILE, "1111\n")
    facts = read_facts(disk, "azureuser")
    assert (facts.hostname, facts.user_present, facts.sudo_rule, facts.instance_id) == ("web-1", True, True, "1111")
    assert not (facts.waagent_ovf_env or facts.ssh_host_keys)
    assert not read_facts(disk, "someone").sudo_rule
