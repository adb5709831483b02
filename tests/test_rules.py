"""Every rule is documented, fires on its fixture, stays quiet on a clean pipeline, and can be silenced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from provsim.pipeline.check import check_path
from provsim.pipeline.os_profile_rules import ConsumerProfile, build_vm_admin
from provsim.pipeline.validate import meets_winrm_complexity
from provsim.rules import RULES, rule

from tests.conftest import CliRun

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: The fixture that fires each rule (the rule's own one in fixtures/rules/ where no other fixture does).
FIRES = {
    "PSIM001": "packer/specialized-but-deprovisioned.pkr.hcl",
    "PSIM002": "packer/forgot-deprovision-centos.pkr.hcl",
    "PSIM005": "aib/override-no-user.json",
    "PSIM006": "containers/deprovision_fails_silently.pkr.hcl",
    "PSIM007": "containers/generalizes.pkr.hcl",
    "PSIM009": "aib/ubuntu.json",
    "PSIM011": "aib/windows-override-no-generalize.json",
    "PSIM012": "packer/windows-sysprep-shutdown.pkr.hcl",
    "PSIM101": "packer/forgot-deprovision-centos.pkr.hcl",
    "PSIM103": "packer/forgot-deprovision-centos.pkr.hcl",
    "PSIM104": "packer/web.pkr.hcl",
    "PSIM105": "packer/web.pkr.hcl",
    "PSIM106": "packer/forgot-deprovision-centos.pkr.hcl",
    "PSIM022": "rules/PSIM022.json",
    "PSIM023": "rules/PSIM023.json",
    "PSIM026": "rules/PSIM026.json",
}
#: Pipelines that fire nothing: one per OS type.
CLEAN = {"linux": "rules/clean-ubuntu.pkr.hcl", "windows": "packer/windows.pkr.hcl"}
WINDOWS_RULES = {"PSIM011", "PSIM012", "PSIM018", "PSIM024", "PSIM027", "PSIM029", "PSIM030"}


def fires(path: Path) -> set[str]:
    return {rid for report in check_path(path) for rid, _ in report.fired()}


def fixture_of(rule_id: str) -> Path:
    return FIXTURES / FIRES.get(rule_id, f"rules/{rule_id}.pkr.hcl")


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_every_rule_fires_on_its_fixture(rule_id: str) -> None:
    assert rule_id in fires(fixture_of(rule_id))


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_no_rule_fires_on_a_clean_pipeline(rule_id: str) -> None:
    clean = CLEAN["windows" if rule_id in WINDOWS_RULES else "linux"]
    assert rule_id not in fires(FIXTURES / clean)


def test_every_rule_is_documented_with_its_source() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    for r in RULES:
        assert r.severity in ("error", "warning", "info")
        assert all((r.summary, r.rationale, r.source, r.example, r.fix)), r.id
        assert rule(r.name) is r


def test_provsim_rules_lists_every_rule(provsim_cli: CliRun) -> None:
    status, out, _ = provsim_cli("rules", "--format", "json")
    listed = json.loads(out)["rules"]
    assert status == 0 and [r["id"] for r in listed] == [r.id for r in RULES]
    assert all(r["source"] for r in listed)


def test_a_comment_silences_a_rule_on_one_step(tmp_path: Path) -> None:
    template = (FIXTURES / "rules" / "PSIM003.pkr.hcl").read_text()
    assert "PSIM003" in _fires_in(tmp_path, template)
    silenced = template.replace(
        '  provisioner "shell" {\n    inline = ["sudo apt',
        '  # provsim: ignore PSIM003\n  provisioner "shell" {\n    inline = ["sudo apt',
    )
    assert silenced != template and "PSIM003" not in _fires_in(tmp_path, silenced)


def test_a_file_comment_silences_a_rule_everywhere(tmp_path: Path) -> None:
    template = (FIXTURES / "rules" / "PSIM003.pkr.hcl").read_text()
    fired = _fires_in(tmp_path, "# provsim: ignore-file PSIM104, PSIM105\n" + template)
    assert "PSIM003" in fired
    assert not fired & {"PSIM104", "PSIM105"}


def test_ignore_on_the_command_line(provsim_cli: CliRun) -> None:
    path = str(FIXTURES / "packer" / "web.pkr.hcl")
    _, out, _ = provsim_cli(
        "check", path, "--format", "json", "--ignore", "PSIM105", "--ignore", "psim104", "--ignore", "PSIM025"
    )
    assert [f for p in json.loads(out)["pipelines"] for f in p["findings"]] == []
    status, out, err = provsim_cli("check", path, "--ignore", "PSIM999")
    assert (status, out) == (2, "") and "PSIM999" in err and "provsim rules" in err


def _fires_in(tmp_path: Path, text: str) -> set[str]:
    path = tmp_path / "t.pkr.hcl"
    path.write_text(text)
    return fires(path)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Passw0rd", True),
        ("winter2024", False),
        ("Sh0rt!", False),
        ("ÄÖÜäöü12", False),
        ("Aa1ééé", True),
        ("A1!" + "a" * 121, False),
    ],
)
def test_winrm_password_complexity_is_packers(password: str, accepted: bool) -> None:
    # Packer's classes are ASCII (Ä is no upper case letter to it) and it counts bytes as Go's len does:
    # "Aa1ééé" is six characters but nine bytes.
    assert meets_winrm_complexity(password) is accepted


def test_packer_refusal_registers_nothing_and_names_the_line() -> None:
    (report,) = check_path(FIXTURES / "rules" / "PSIM018.pkr.hcl")
    assert report.build_failed and report.registrations == []
    assert ("PSIM018", 17) in report.fired()


def test_a_password_from_a_variable_is_not_judged(tmp_path: Path) -> None:
    template = (FIXTURES / "rules" / "PSIM018.pkr.hcl").read_text()
    from_variable = 'variable "pw" {\n  type = string\n}\n' + template.replace('"winter2024"', "var.pw")
    assert "PSIM018" not in _fires_in(tmp_path, from_variable)


def test_packer_json_refusals_fire_too(tmp_path: Path) -> None:
    builder = {
        "type": "azure-arm",
        "os_type": "Linux",
        "image_publisher": "Canonical",
        "image_offer": "ubuntu-24_04-lts",
        "image_sku": "server",
        "shared_image_gallery_destination": {"resource_group": "rg", "gallery_name": "golden", "image_name": "app"},
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"builders": [builder]}, indent=2))
    assert ("PSIM019", 9) in check_path(path)[0].fired()
    builder["shared_image_gallery_destination"]["image_version"] = "1.0.0"  # type: ignore[index]
    path.write_text(json.dumps({"builders": [builder]}, indent=2))
    assert "PSIM019" not in fires(path)


def test_trusted_launch_into_a_gallery_only_is_accepted(tmp_path: Path) -> None:
    # The gallery version keeps the security type; only the managed image beside it is refused.
    template = (FIXTURES / "rules" / "PSIM021.pkr.hcl").read_text()
    gallery_only = "\n".join(line for line in template.splitlines() if "managed_image" not in line)
    fired = _fires_in(tmp_path, gallery_only)
    assert not fired & {"PSIM020", "PSIM021"}


def test_security_settings_in_json_strings_are_read(tmp_path: Path) -> None:
    builder = {
        "type": "azure-arm",
        "os_type": "Linux",
        "image_publisher": "Canonical",
        "image_offer": "ubuntu-24_04-lts",
        "image_sku": "server",
        "vtpm_enabled": "true",
        "managed_image_name": "app",
        "managed_image_resource_group_name": "rg",
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"builders": [builder]}, indent=2))
    assert ("PSIM020", 9) in check_path(path)[0].fired()
    builder["security_type"] = "Standard"
    builder["vtpm_enabled"] = "false"
    path.write_text(json.dumps({"builders": [builder]}, indent=2))
    assert "PSIM020" not in fires(path)


def _with_generations(tmp_path: Path, sku: str, definition: str) -> set[str]:
    text = (FIXTURES / "rules" / "PSIM022.json").read_text()
    path = tmp_path / "t.json"
    path.write_text(text.replace('"22_04-lts-gen2"', json.dumps(sku)).replace('"V1"', json.dumps(definition)))
    return fires(path)


@pytest.mark.parametrize(
    ("sku", "definition", "refused"),
    [
        ("22_04-lts-gen2", "V1", True),
        ("server-gen1", "V2", True),  # the reverse
        ("2022-datacenter-g2", "v2", False),
        ("22_04-lts", "V1", False),  # no suffix: no evidence of the source's generation
        ("22_04-lts-gen2", "[parameters('generation')]", False),  # a parameter without a default: not known
        ("22_04-lts-gen2", "[variables('generation')]", False),
    ],
)
def test_hyper_v_generation_is_compared_where_both_are_stated(
    tmp_path: Path, sku: str, definition: str, refused: bool
) -> None:
    assert ("PSIM022" in _with_generations(tmp_path, sku, definition)) is refused


def test_gallery_os_state_is_the_definitions(tmp_path: Path) -> None:
    text = (FIXTURES / "rules" / "PSIM023.json").read_text()
    path = tmp_path / "t.json"
    (report,) = check_path(FIXTURES / "rules" / "PSIM023.json")
    assert ("PSIM023", 12) in report.fired()
    assert [r.outcome.succeeded for r in report.registrations] == [True]  # beside the VM creation, not instead
    path.write_text(text.replace('"Specialized"', '"Generalized"'))
    assert "PSIM023" not in fires(path)
    path.write_text(text.replace('"Specialized"', "\"[parameters('state')]\""))
    assert "PSIM023" not in fires(path)


def test_a_definition_parameter_takes_its_default(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "rules" / "PSIM022.json").read_text())
    document["parameters"] = {"generation": {"type": "string", "defaultValue": "V1"}}
    document["resources"][0]["properties"]["hyperVGeneration"] = "[parameters('generation')]"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document, indent=2))
    assert "PSIM022" in fires(path)
    document["parameters"]["generation"]["defaultValue"] = "V2"
    path.write_text(json.dumps(document, indent=2))
    assert "PSIM022" not in fires(path)


def test_a_per_user_appx_install_before_sysprep_is_named_at_its_line(tmp_path: Path) -> None:
    assert ("PSIM024", 26) in check_path(FIXTURES / "rules" / "PSIM024.pkr.hcl")[0].fired()
    assert "PSIM024" not in fires(FIXTURES / "rules" / "PSIM024-provisioned.pkr.hcl")
    template = (FIXTURES / "rules" / "PSIM024.pkr.hcl").read_text()
    assert "PSIM024" not in _fires_in(tmp_path, template.replace('["winget install', '["# winget install'))
    # In sysprep's own step, a line before it blocks it and a line after it blocks nothing.
    plain = template.replace("winget install --id Microsoft.WindowsTerminal -e --accept-package-agreements", "hostname")
    before = plain.replace(
        '      "& $env:SystemRoot', '      "Add-AppxPackage C:\\\\pkgs\\\\app.msix",\n      "& $env:SystemRoot'
    )
    assert before != plain and "PSIM024" in _fires_in(tmp_path, before)
    after = plain.replace('/mode:vm",', '/mode:vm", "winget install --id Microsoft.WindowsTerminal -e",')
    assert after != plain and "PSIM024" not in _fires_in(tmp_path, after)


def test_aibs_hidden_sysprep_is_blocked_by_a_per_user_install_too(tmp_path: Path) -> None:
    text = (FIXTURES / "aib" / "windows-arm.json").read_text()
    path = tmp_path / "t.json"
    path.write_text(
        text.replace("Install-WindowsFeature -Name Web-Server -IncludeManagementTools", "Add-AppxPackage app.msix")
    )
    assert "PSIM024" in fires(path)


@pytest.mark.parametrize(
    ("version", "refused"),
    [("1.0.0", False), ("2024.12.31", False), ("1.0", True), ("v1.0.0", True), ("1.0.0-rc1", True), ("1.0.0\n", True)],
)
def test_gallery_version_follows_major_minor_patch(tmp_path: Path, version: str, refused: bool) -> None:
    """config.go's validImageVersion: three dot-separated runs of digits, nothing around them."""
    destination = {"resource_group": "rg", "gallery_name": "golden", "image_name": "app", "image_version": version}
    builder = {"type": "azure-arm", "os_type": "Linux", "image_publisher": "Canonical", "image_offer": "o"}
    builder |= {"image_sku": "server", "shared_image_gallery_destination": destination}
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"builders": [builder]}, indent=2))
    assert ("PSIM019" in fires(path)) is refused


def test_gallery_version_from_a_variable_is_judged_by_its_value(tmp_path: Path) -> None:
    destination = {"resource_group": "rg", "gallery_name": "golden", "image_name": "app"}
    destination["image_version"] = "{{user `version`}}"
    builder = {"type": "azure-arm", "os_type": "Linux", "image_publisher": "Canonical", "image_offer": "o"}
    builder |= {"image_sku": "server", "shared_image_gallery_destination": destination}
    path = tmp_path / "t.json"
    for value, refused in (("1.2.3", False), ("1.0", True)):
        path.write_text(json.dumps({"variables": {"version": value}, "builders": [builder]}, indent=2))
        assert ("PSIM019" in fires(path)) is refused, value


@pytest.mark.parametrize(
    ("settings", "outputs", "expected"),
    [
        ({"secure_boot_enabled": True}, {"managed", "gallery"}, {"PSIM020"}),  # validate stops it before the platform
        ({"vtpm_enabled": True}, {"managed"}, {"PSIM020"}),
        ({"secure_boot_enabled": True}, {"vhd"}, set()),  # config.go refuses the flags only with a managed image
        ({"secure_boot_enabled": True}, {"gallery"}, set()),
        ({"security_type": "ConfidentialVM"}, {"vhd"}, {"PSIM020"}),
        ({"security_type": "ConfidentialVM"}, {"gallery"}, set()),
        ({"security_type": "TrustedLaunch"}, {"managed", "gallery"}, {"PSIM021"}),  # passes Packer, not the platform
    ],
)
def test_security_settings_as_packer_validate_and_the_platform_judge_them(
    tmp_path: Path, settings: dict[str, object], outputs: set[str], expected: set[str]
) -> None:
    builder: dict[str, object] = {"type": "azure-arm", "os_type": "Linux", "image_publisher": "Canonical"}
    builder |= {"image_offer": "ubuntu-24_04-lts", "image_sku": "server", **settings}
    if "managed" in outputs:
        builder |= {"managed_image_name": "app", "managed_image_resource_group_name": "rg"}
    if "vhd" in outputs:
        builder |= {"capture_container_name": "images", "capture_name_prefix": "app", "storage_account": "sa"}
        builder |= {"resource_group_name": "rg"}
    if "gallery" in outputs:
        destination = {"resource_group": "rg", "gallery_name": "golden", "image_name": "app", "image_version": "1.0.0"}
        builder["shared_image_gallery_destination"] = destination
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"builders": [builder]}, indent=2))
    assert fires(path) & {"PSIM020", "PSIM021"} == expected


def test_a_deprovision_that_deletes_the_build_user_needs_skip_clean(tmp_path: Path) -> None:
    template = (FIXTURES / "rules" / "PSIM025.pkr.hcl").read_text()
    assert ("PSIM025", 24) in check_path(FIXTURES / "rules" / "PSIM025.pkr.hcl")[0].fired()
    assert "PSIM025" not in fires(FIXTURES / "rules" / "clean-ubuntu.pkr.hcl")  # skip_clean = true
    # Without +user the build user stays and Packer can still log in (hashicorp/packer #4129).
    assert "PSIM025" not in _fires_in(tmp_path, template.replace("-deprovision+user", "-deprovision"))
    # A commented-out deprovision deletes nobody.
    assert "PSIM025" not in _fires_in(tmp_path, template.replace('["/usr/sbin/waagent', '["# /usr/sbin/waagent'))
    computed = 'variable "keep" {\n  type    = bool\n  default = true\n}\n' + template.replace(
        '    inline_shebang  = "/bin/sh -x"\n', '    inline_shebang  = "/bin/sh -x"\n    skip_clean = var.keep\n'
    )
    assert "skip_clean" in computed and "PSIM025" not in _fires_in(tmp_path, computed)


def test_skip_clean_is_asked_for_at_the_provisioner_that_runs_a_deprovision_script() -> None:
    (report,) = check_path(FIXTURES / "packer" / "specialized-but-deprovisioned.pkr.hcl")
    (finding,) = [f for f in report.findings if f.rule == "PSIM025"]
    assert finding.location.path.endswith("specialized-but-deprovisioned.pkr.hcl") and "deprovision.sh" in str(
        report.evidence
    )


def test_skip_clean_in_a_packer_json_template(tmp_path: Path) -> None:
    builder = {"type": "azure-arm", "os_type": "Linux", "image_publisher": "Canonical"}
    builder |= {"image_offer": "ubuntu-24_04-lts", "image_sku": "server", "managed_image_name": "app"}
    builder |= {"managed_image_resource_group_name": "rg"}
    step = {"type": "shell", "inline": ["sudo /usr/sbin/waagent -force -deprovision+user"]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"builders": [builder], "provisioners": [step]}, indent=2))
    assert "PSIM025" in fires(path)
    path.write_text(json.dumps({"builders": [builder], "provisioners": [step | {"skip_clean": True}]}, indent=2))
    assert "PSIM025" not in fires(path)


def _aib_fires(tmp_path: Path, template: dict[str, object]) -> set[str]:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=2))
    return fires(path)


def test_aibs_deprovision_on_an_image_without_waagent_is_named_at_the_removal() -> None:
    assert ("PSIM026", 29) in check_path(FIXTURES / "rules" / "PSIM026.json")[0].fired()
    # The customizers write their own deprovision script, without waagent: nothing is missing.
    assert "PSIM026" not in fires(FIXTURES / "rules" / "PSIM026-override.json")
    assert "PSIM026" not in fires(FIXTURES / "aib" / "ubuntu.json")


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        (["sudo yum remove -y WALinuxAgent"], True),
        (["sudo -E env DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y walinuxagent"], True),
        (["sudo rm -f /usr/sbin/waagent"], True),
        (["sudo zypper rm -y python-azure-agent"], True),
        (["sudo apt-get purge -y walinuxagent", "sudo apt-get install -y walinuxagent"], False),  # back again
        (["# sudo apt-get purge -y walinuxagent"], False),
        (["echo 'apt-get purge -y walinuxagent'"], False),
        (["sudo apt-get purge -y cloud-init"], False),
    ],
)
def test_what_removes_waagent_from_an_aib_image(tmp_path: Path, commands: list[str], expected: bool) -> None:
    template = json.loads((FIXTURES / "rules" / "PSIM026.json").read_text())
    template["properties"]["customize"][1]["inline"] = commands
    assert ("PSIM026" in _aib_fires(tmp_path, template)) is expected


def test_updates_without_a_restart_before_sysprep_are_named_at_the_update(tmp_path: Path) -> None:
    assert ("PSIM027", 28) in check_path(FIXTURES / "rules" / "PSIM027.pkr.hcl")[0].fired()
    assert "PSIM027" not in fires(FIXTURES / "rules" / "PSIM027-restarted.pkr.hcl")
    template = (FIXTURES / "rules" / "PSIM027.pkr.hcl").read_text()
    update = "Install-WindowsUpdate -AcceptAll -IgnoreReboot"
    for fired, text in [
        (False, template.replace(update, "Install-WindowsUpdate -AcceptAll -AutoReboot")),  # it restarts itself
        (False, template.replace(update, "# " + update)),
        (False, template.replace(update, "Get-WindowsUpdate")),  # lists updates, installs none
        (True, template.replace(update, "Get-WindowsUpdate -AcceptAll -Install -IgnoreReboot")),
        (True, template.replace(update, "usoclient StartInstall")),
    ]:
        assert ("PSIM027" in _fires_in(tmp_path, text)) is fired, text


def test_the_update_provisioners_restart_by_themselves(tmp_path: Path) -> None:
    # Packer's windows-update and AIB's WindowsUpdate restart as needed (rgl/packer-plugin-windows-update).
    assert "PSIM027" not in fires(FIXTURES / "aib" / "windows-arm.json")
    template = (FIXTURES / "rules" / "PSIM027.pkr.hcl").read_text()
    provisioner = '  provisioner "powershell" {\n    inline = [\n      "Install-Module'
    assert provisioner in template
    with_provisioner = template.replace(provisioner, '  provisioner "windows-update" {}\n\n' + provisioner)
    assert "PSIM027" in _fires_in(tmp_path, with_provisioner)  # the PowerShell updates still come after it
    document = json.loads((FIXTURES / "aib" / "windows-arm.json").read_text())
    (template_resource,) = [r for r in document["resources"] if r["type"].endswith("imageTemplates")]
    updates = {"type": "PowerShell", "name": "updates", "inline": ["Install-WindowsUpdate -AcceptAll"]}
    template_resource["properties"]["customize"].append(updates)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document, indent=2))
    assert "PSIM027" in fires(path)  # AIB's hidden sysprep follows the last customizer


def test_a_reserved_build_vm_admin_name_is_refused_before_any_build(tmp_path: Path) -> None:
    (report,) = check_path(FIXTURES / "rules" / "PSIM028.pkr.hcl")
    assert ("PSIM028", 10) in report.fired() and report.build_failed and report.registrations == []
    template = (FIXTURES / "rules" / "PSIM028.pkr.hcl").read_text()
    assert "PSIM028" not in _fires_in(tmp_path, template.replace('"admin"', '"azureuser"'))
    assert "PSIM028" in _fires_in(tmp_path, template.replace('"admin"', '"Administrator"'))  # any case
    assert "PSIM028" in _fires_in(tmp_path, template.replace('"admin"', '"' + "b" * 65 + '"'))  # Linux: 64 at most
    from_variable = 'variable "user" {\n  type = string\n}\n' + template.replace('"admin"', "var.user")
    assert "PSIM028" not in _fires_in(tmp_path, from_variable)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ("packer", "")),  # Packer's DefaultUserName
        ({"ssh_username": "ops"}, ("ops", "ssh_username")),
        ({"ssh_username": "ops", "winrm_username": "win"}, ("win", "winrm_username")),  # no communicator: WinRM's
        ({"communicator": "ssh", "ssh_username": "ops", "winrm_username": "win"}, ("ops", "ssh_username")),
        ({"winrm_username": "${var.user}"}, None),
    ],
)
def test_the_build_vm_admin_is_chosen_as_packer_chooses_it(
    settings: dict[str, str], expected: tuple[str, str] | None
) -> None:
    assert build_vm_admin(settings) == expected


def test_a_windows_build_vm_admin_is_judged_by_windows_limits(tmp_path: Path) -> None:
    template = (FIXTURES / "packer" / "windows.pkr.hcl").read_text()
    assert 'winrm_username = "packer"' in template and "PSIM028" not in _fires_in(tmp_path, template)
    for name, fired in [("Administrator", True), ("ops.", True), ("a" * 21, True), ("a" * 20, False)]:
        text = template.replace('winrm_username = "packer"', f'winrm_username = "{name}"')
        assert ("PSIM028" in _fires_in(tmp_path, text)) is fired, name


def test_a_password_packer_accepts_and_the_platform_refuses_ends_the_build(tmp_path: Path) -> None:
    (report,) = check_path(FIXTURES / "rules" / "PSIM029.pkr.hcl")
    assert ("PSIM029", 17) in report.fired() and "PSIM018" not in fires(FIXTURES / "rules" / "PSIM029.pkr.hcl")
    assert report.build_failed and all("P@ssw0rd" not in f.message for f in report.findings)
    template = (FIXTURES / "rules" / "PSIM029.pkr.hcl").read_text()
    assert "PSIM029" not in _fires_in(tmp_path, template.replace('"P@ssw0rd"', '"Kx7#mQ2-vT9w"'))
    # Too simple for Packer already: PSIM018's, not this rule's.
    simple = _fires_in(tmp_path, template.replace('"P@ssw0rd"', '"password"'))
    assert "PSIM018" in simple and "PSIM029" not in simple


@pytest.mark.parametrize(
    ("password", "refused"),
    [("Passw0rd", False), ("secret", True), ("Ab1!x", True), ("Ab1!" + "x" * 69, True), ("Ab1!" + "x" * 68, False)],
)
def test_a_linux_ssh_password_is_judged_by_linux_limits(tmp_path: Path, password: str, refused: bool) -> None:
    template = (FIXTURES / "rules" / "clean-ubuntu.pkr.hcl").read_text()
    size = '  vm_size                           = "Standard_D2s_v3"\n'
    text = template.replace(size, f'{size}  communicator = "ssh"\n  ssh_password = "{password}"\n')
    assert text != template and ("PSIM029" in _fires_in(tmp_path, text)) is refused


def test_a_windows_computer_name_over_15_characters_ends_the_build(tmp_path: Path) -> None:
    (report,) = check_path(FIXTURES / "rules" / "PSIM030.pkr.hcl")
    assert ("PSIM030", 11) in report.fired() and report.build_failed
    template = (FIXTURES / "rules" / "PSIM030.pkr.hcl").read_text()
    for name, refused in [("pkr-iis-2022", False), ("a" * 15, False), ("a" * 16, True), ("12345", True)]:
        text = template.replace('"pkr-iis-2022-build"', f'"{name}"')
        assert ("PSIM030" in _fires_in(tmp_path, text)) is refused, name
    assert "PSIM030" in _fires_in(tmp_path, template.replace('"pkr-iis-2022-build"', '"pkr_iis"'))
    # Linux takes 64 characters, underscores included.
    linux = (FIXTURES / "rules" / "clean-ubuntu.pkr.hcl").read_text()
    size = '  vm_size                           = "Standard_D2s_v3"\n'
    assert "PSIM030" not in _fires_in(
        tmp_path, linux.replace(size, size + '  temp_compute_name = "pkr_app_build_01"\n')
    )
    assert "PSIM030" in _fires_in(tmp_path, linux.replace(size, size + f'  temp_compute_name = "{"a" * 65}"\n'))


@pytest.mark.parametrize(
    ("communicator", "password", "expected"),
    [
        ("", "secret1", {"PSIM018"}),  # no communicator: Packer holds ssh_password to the WinRM rule
        ('communicator = "ssh"\n', "secret1", {"PSIM029"}),  # SSH: only the platform judges it (3 classes)
        ("", "Kx7#mQ2-vT9w", set()),
        ("", "Ab1!" + "x" * 70, {"PSIM029"}),  # Packer takes 74 characters, Linux at most 72
    ],
)
def test_packer_validate_holds_a_linux_ssh_password_to_the_winrm_rule(
    tmp_path: Path, communicator: str, password: str, expected: set[str]
) -> None:
    template = (FIXTURES / "rules" / "clean-ubuntu.pkr.hcl").read_text()
    size = '  vm_size                           = "Standard_D2s_v3"\n'
    text = template.replace(size, f'{size}  {communicator}  ssh_password = "{password}"\n')
    assert _fires_in(tmp_path, text) & {"PSIM018", "PSIM029"} == expected


def test_the_consumers_os_profile_is_judged_for_the_images_os() -> None:
    windows, linux = FIXTURES / "packer" / "windows.pkr.hcl", FIXTURES / "rules" / "clean-ubuntu.pkr.hcl"
    name = ConsumerProfile(computer_name="sql-reporting-node-01")  # 21 characters: Windows takes 15, Linux 64
    assert ("PSIM030", 2) in check_path(windows, consumer=name)[0].fired()
    assert "PSIM030" not in {rid for rid, _ in check_path(linux, consumer=name)[0].fired()}
    (report,) = check_path(linux, consumer=ConsumerProfile(admin_user="root", admin_password="P@ssw0rd"))
    assert {"PSIM028", "PSIM029"} <= {rid for rid, _ in report.fired()}
    assert all("P@ssw0rd" not in finding.message for finding in report.findings)
    assert not check_path(linux, consumer=ConsumerProfile(admin_user="azureuser"))[0].findings
