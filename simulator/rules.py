"""Every finding provsim makes, as a documented rule with a stable id (``PSIM001`` ...).

Modelled on PSRule for Azure's rule documentation: each rule says what it
checks, why (with the source of the fact), an example that fires it, and the
fix. Reports carry the id (text, JSON ``"id"``, JUnit, SARIF ``ruleId`` with
the help text), so CI can key on it and a template can silence it:

- on one step: a comment ``# provsim: ignore PSIM005`` on the step's line or
  the line above it;
- in a whole file: ``# provsim: ignore-file PSIM005`` anywhere in it;
- for a run: ``provsim check --ignore PSIM005``.

``provsim rules`` lists them. Ids never change meaning; a retired rule keeps its number.

    >>> rule("PSIM005").name
    'deprovision-without-user'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One kind of finding: its id, short name, default severity and its documentation."""

    id: str
    name: str
    severity: str
    summary: str
    rationale: str
    source: str
    example: str
    fix: str


RULES: tuple[Rule, ...] = (
    Rule(
        "PSIM001",
        "registration-times-out",
        "error",
        "A registered output whose VM creation ends in OSProvisioningTimedOut.",
        "A generalized OS registered as specialized gets no provisioning media and waits for it until the platform "
        "gives up; so does an image whose agent waits for a cloud-init that cannot run.",
        "Microsoft's troubleshooting guide for OSProvisioningTimedOut; FACTS.md sections 2 and 7.",
        "a VHD of a deprovisioned OS registered as specialized",
        "Register the output as generalized, or do not generalize the OS.",
    ),
    Rule(
        "PSIM002",
        "registration-fails",
        "error",
        "A registered output whose VM creation ends in OSProvisioningClientError.",
        "A specialized OS registered as generalized keeps its old identity and never applies the OS profile; an agent "
        "that reports ProvisioningFailed ends the same way.",
        "Microsoft's troubleshooting guide for OSProvisioningClientError; WALinuxAgent pa/provision/default.py.",
        "a gallery image without specialized = true whose build never deprovisions (waagent-only image)",
        "Deprovision as the last step, or register the output as specialized.",
    ),
    Rule(
        "PSIM003",
        "deprovision-not-last",
        "warning",
        "A step runs after the deprovision.",
        "What it changes (users, agent state, host name) lands in the generalized image.",
        "AIB documentation: the deprovision customizer must be the last one; Packer's Azure docs.",
        'provisioner "shell" { inline = ["sudo apt-get install -y nginx"] } after the waagent step',
        "Move the step before the deprovision.",
    ),
    Rule(
        "PSIM004",
        "waagent-without-force",
        "error",
        "waagent -deprovision without -force.",
        "waagent asks 'Do you want to proceed (y/n)' and, with nobody to answer, deprovisions nothing.",
        "WALinuxAgent azurelinuxagent/pa/deprovision/default.py.",
        "sudo waagent -deprovision+user",
        "sudo /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",
    ),
    Rule(
        "PSIM005",
        "deprovision-without-user",
        "warning",
        "waagent -deprovision without +user.",
        "The build account stays in the image with its home, and every VM inherits it.",
        "WALinuxAgent azurelinuxagent/pa/deprovision/default.py (del_user only with +user).",
        "sudo waagent -force -deprovision",
        "Use -deprovision+user.",
    ),
    Rule(
        "PSIM006",
        "waagent-option-mistyped",
        "error",
        "waagent with an option that is almost -deprovision.",
        "waagent prints its usage and deprovisions nothing.",
        "WALinuxAgent azurelinuxagent/agent.py (parse_args).",
        "sudo waagent -force -deprovison+user",
        "Spell it -deprovision+user.",
    ),
    Rule(
        "PSIM007",
        "command-undecided",
        "warning",
        "A command provsim cannot tell runs, or what it runs.",
        "provsim never guesses: the OS state is read as if the command did not run.",
        "provsim's shell interpreter (provsim.pipeline.scripts.shell).",
        'sh -c "$(curl -s https://example.invalid/setup.sh)"',
        "Make the step's effect visible in the template, or accept the warning.",
    ),
    Rule(
        "PSIM008",
        "step-fails",
        "error",
        "A step would fail the build.",
        "A failing command under sh -e, waagent without root, or sed -i on a file nobody wrote stops Packer and AIB; "
        "no image is registered.",
        "Packer's shell provisioner (inline_shebang /bin/sh -e); AIB's Shell customizer.",
        'inline = ["waagent -force -deprovision+user"] without sudo',
        "Run the command as root (sudo) or fix what fails.",
    ),
    Rule(
        "PSIM009",
        "remote-content",
        "warning",
        "A step fetches content provsim cannot read.",
        "Its effect is not part of the verdict; an override of AIB's deprovision script by remote content is an "
        "error, since that script decides the OS state.",
        "AIB customizer scriptUri and File sourceUri; Packer's file provisioner with a URL.",
        '{"type": "Shell", "scriptUri": "https://example.invalid/s.sh"}',
        "Keep the script in the repository next to the template.",
    ),
    Rule(
        "PSIM010",
        "step-not-inspected",
        "warning",
        "A step of a kind provsim does not inspect (ansible, chef ...).",
        "If it deprovisions or generalizes, the verdict misses it.",
        "provsim's step readers (provsim.pipeline.packer_steps).",
        'provisioner "ansible" { playbook_file = "site.yml" }',
        "Deprovision in a shell step provsim can read.",
    ),
    Rule(
        "PSIM011",
        "sysprep-without-generalize",
        "error",
        "sysprep without /generalize.",
        "The image keeps the machine's SID and computer name: it is not generalized.",
        "Sysprep command-line options (Microsoft Learn); FACTS.md section 4.",
        "& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /quiet /quit",
        "Add /generalize.",
    ),
    Rule(
        "PSIM012",
        "sysprep-not-awaited",
        "warning",
        "Nothing waits for ImageState IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE after sysprep.",
        "With /quit sysprep returns before it is done, and /shutdown powers the VM off under Packer: the capture may "
        "start too early.",
        "Packer's Azure Windows example; AIB's default Windows deprovision step.",
        "Sysprep.exe /oobe /generalize /quiet /quit with no wait loop",
        "Add the documented wait loop for ImageState.",
    ),
    Rule(
        "PSIM013",
        "sysprep-on-linux",
        "warning",
        "sysprep in a Linux pipeline.",
        "It does nothing there; the Linux image is not generalized by it.",
        "FACTS.md section 3.",
        "a Linux template running Sysprep.exe",
        "Use waagent -force -deprovision+user.",
    ),
    Rule(
        "PSIM014",
        "specialized-managed-image",
        "error",
        "A managed image with a specialized gallery destination.",
        "Managed images are always generalized; Packer refuses this at config time.",
        "packer-plugin-azure builder/azure/arm/config.go.",
        "managed_image_name with shared_image_gallery_destination { specialized = true }",
        "Drop managed_image_name or the specialized flag.",
    ),
    Rule(
        "PSIM015",
        "variable-without-value",
        "warning",
        "A variable the pipeline uses has no value.",
        "Packer would stop; provsim reads what uses it as written.",
        "Packer's variable precedence (HCL2 and JSON).",
        'variable "image_name" {} with no default, --var or PKR_VAR_image_name',
        "Give it a default, a var file or --var.",
    ),
    Rule(
        "PSIM016",
        "step-filtered-out",
        "warning",
        "A step that only/except keeps off this source.",
        "Packer skips it for this build; if it was the deprovision, the image is not generalized.",
        "Packer OnlyExcept.Skip (exact type.name match).",
        'only = ["azure-arm.other"] on the deprovision step',
        "Name the source exactly as Packer does (azure-arm.<name>).",
    ),
    Rule(
        "PSIM017",
        "no-output",
        "info",
        "The pipeline declares no output.",
        "Nothing is registered, so no VM creation is predicted.",
        "Packer azure-arm destinations; AIB distribute.",
        "a source with neither managed_image_name, a gallery destination nor a VHD capture",
        "Declare a managed image, a gallery destination or a VHD.",
    ),
    Rule(
        "PSIM018",
        "winrm-password-refused",
        "error",
        "A winrm_password that packer validate refuses (or ssh_password, where the communicator is not SSH).",
        "Packer requires 8 to 123 characters and three of upper case, lower case, digit and special character "
        "(the platform's own rule for Windows admin passwords) and stops before creating anything: no image. Unless "
        'communicator = "ssh", it holds the WinRM password to this rule, and that is ssh_password where '
        "winrm_password is unset, as in most Linux templates.",
        "packer-plugin-azure builder/azure/arm/config.go (setUserNamePassword, isValidPassword).",
        'communicator = "winrm" with winrm_password = "password"',
        "Choose a longer, more varied password, or leave winrm_password unset: Packer generates one.",
    ),
    Rule(
        "PSIM019",
        "gallery-version-missing",
        "error",
        "A gallery destination without image_version, or with one not in Major.Minor.Patch digits.",
        "Packer refuses the template before building ('An image_version must be specified for "
        "shared_image_gallery_destination and must follow the Major(int).Minor(int).Patch(int) format'): no image.",
        "packer-plugin-azure builder/azure/arm/config.go (assertRequiredParametersSet, validImageVersion "
        "^[0-9]+\\.[0-9]+\\.[0-9]+$; older releases checked only that it is set).",
        'shared_image_gallery_destination { gallery_name = "golden" image_name = "app" } without image_version',
        'Add image_version = "1.0.0" (Major.Minor.Patch).',
    ),
    Rule(
        "PSIM020",
        "security-without-gallery",
        "error",
        "Secure Boot or vTPM with a managed image; a ConfidentialVM security type with a managed image or a VHD.",
        "packer validate refuses them ('these features are only supported when directly publishing to a Shared "
        "Image Gallery') and stops before creating anything: no image.",
        "packer-plugin-azure builder/azure/arm/config.go (assertRequiredParametersSet); FACTS.md section 8.",
        "secure_boot_enabled = true with managed_image_name only",
        "Publish to a gallery (shared_image_gallery_destination), or drop the security settings.",
    ),
    Rule(
        "PSIM021",
        "trusted-launch-managed-image",
        "error",
        "A managed image captured from a Trusted Launch or confidential build VM.",
        "The platform refuses it ('Creation of managed images are not supported for virtual machine with "
        "TrustedLaunch security type'); only a gallery version keeps the security type.",
        "hashicorp/packer #13189; FACTS.md section 8.",
        'security_type = "TrustedLaunch" with managed_image_name and a gallery destination',
        "Drop managed_image_name and publish to the gallery only.",
    ),
    Rule(
        "PSIM022",
        "hyper-v-generation-mismatch",
        "error",
        "A source of one Hyper-V generation into a gallery definition of the other.",
        "The gallery refuses a version whose generation differs from its definition's ('has a different Hypervisor "
        "generation'; AIB: 'Error with Hyper-V Version validation (cross-generation)'). Read where the SKU names "
        "the generation (-gen2, g2; gen1) and the template declares the definition's hyperVGeneration.",
        "FACTS.md section 8 (azure-cli and AIB error texts).",
        "sku 22_04-lts-gen2 distributed to a gallery image declared with hyperVGeneration V1",
        "Use a source of the definition's generation, or a definition of the source's.",
    ),
    Rule(
        "PSIM023",
        "gallery-os-state-mismatch",
        "error",
        "A gallery output registered in another OS state than the definition the template declares.",
        "The gallery refuses the version ('has a different OS state ['Specialized'] than the parent gallery image OS "
        "state ['Generalized']'), whatever a VM created from it would do; AIB registers generalized.",
        "azure-cli #24972; packer-plugin-azure #262, #295; FACTS.md section 8.",
        "an AIB SharedImage distribute to a definition declared with osState Specialized",
        "Declare the definition in the state the output is registered in.",
    ),
    Rule(
        "PSIM024",
        "appx-per-user-before-sysprep",
        "error",
        "An AppX package installed for the build user only (winget install, Add-AppxPackage) before sysprep.",
        "Sysprep's generalize refuses it ('Package ... was installed for a user, but not provisioned for all users'): "
        "sysprep stops, the ImageState wait never ends and the build produces no image.",
        "microsoft/winget-cli #5599 (winget in a Packer azure-arm build); microsoft/terminal #7767.",
        'provisioner "powershell" { inline = ["winget install --id Microsoft.WindowsTerminal -e"] } before sysprep',
        "Provision the package for all users (Add-AppxProvisionedPackage -Online), or remove it before sysprep.",
    ),
    Rule(
        "PSIM025",
        "deprovision-without-skip-clean",
        "warning",
        "A Packer shell step deletes the build user (waagent -deprovision+user) without skip_clean = true.",
        "After the step Packer removes the script it uploaded over SSH; the build user it logs in with is gone, so "
        "where Packer has to connect again the build ends in 'Error removing temporary script at /tmp/script_9899.sh: "
        "ssh: handshake failed: EOF' and leaves no image. It does not happen on every build (an open connection "
        "may still serve the cleanup, and HashiCorp's own examples omit skip_clean), hence a warning.",
        "hashicorp/packer #4129 (skip_clean solved it); chef-cft/wombat #277; the cleanup is hashicorp/packer #2259.",
        'provisioner "shell" { inline = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"] }',
        "Add skip_clean = true to the provisioner that deprovisions.",
    ),
    Rule(
        "PSIM026",
        "aib-deprovision-without-waagent",
        "error",
        "An AIB Linux template removes waagent while AIB's deprovision step still runs /usr/sbin/waagent.",
        "AIB ends every Linux build with /tmp/DeprovisioningScript.sh, by default '/usr/sbin/waagent -force "
        "-deprovision+user && export HISTSIZE=0 && sync' (newer releases first try 'waagent' on the PATH). On an image "
        "without the agent at all it stops with "
        "'/tmp/DeprovisioningScript.sh: 1: /usr/sbin/waagent: not found' and the build fails. The evidence is the "
        "template's own: a Shell customizer that removes the agent's package (walinuxagent, WALinuxAgent, "
        "python-azure-agent) or the binary, not reinstalled later, and a deprovision script (AIB's or the "
        "customizers' override) that calls waagent. A source image that ships without waagent is not judged.",
        "danielsollondon/azvmimagebuilder #126 (the customization.log line); AIB's default script (seed 004; "
        "MicrosoftDocs azure-docs image-builder-json.md, 'Default Linux deprovision command'); "
        "Azure/WALinuxAgent #1608 (removing the package removes the agent).",
        '{"type": "Shell", "inline": ["sudo apt-get purge -y walinuxagent"]} with no /tmp/DeprovisioningScript.sh',
        "Keep the agent until the deprovision, or write /tmp/DeprovisioningScript.sh with a deprovision that does "
        "not need waagent (cloud-init clean, userdel, removing the host keys).",
    ),
    Rule(
        "PSIM027",
        "windows-update-without-restart",
        "warning",
        "Windows updates installed by a PowerShell step, and no restart between them and sysprep.",
        "Sysprep refuses to generalize while an installed update waits for a restart ('asks us to reboot first'); "
        "the ImageState wait then never ends and the build produces no image. Install-WindowsUpdate, "
        "Get-WindowsUpdate -Install, Install-WUUpdates, usoclient StartInstall and wuauclt /updatenow leave the "
        "restart to the caller unless -AutoReboot is given. Packer's windows-update provisioner and AIB's "
        "WindowsUpdate customizer restart by themselves and are not flagged. A warning: not every update needs a "
        "restart.",
        "LegacyUpdate/LegacyUpdate #307 (sysprep and pending updates); hashicorp/packer #6733 (Install-WindowsUpdate "
        "-IgnoreReboot, then windows-restart); rgl/packer-plugin-windows-update README (restarts after updates); "
        "FACTS.md section 8 (hashicorp/packer #5945, #8128).",
        'provisioner "powershell" { inline = ["Install-WindowsUpdate -AcceptAll -IgnoreReboot"] } right before sysprep',
        'Add provisioner "windows-restart" {} (AIB: {"type": "WindowsRestart"}) after the updates, or use the '
        "windows-update provisioner.",
    ),
    Rule(
        "PSIM028",
        "build-vm-admin-name-refused",
        "error",
        "The build VM's admin user (ssh_username, winrm_username), or the consumers' a Gherkin step gives, is refused.",
        "Packer creates the build VM with that user as the OS profile's adminUsername; packer validate does not "
        "check it, and the Compute API refuses reserved names ('The Admin Username specified is not allowed': "
        "administrator, admin, root, test, user, guest ... in any case), Windows names over 20 characters or ending "
        "in '.', Linux names over 64. The deployment fails and the build leaves no image. The consumers' OS profile "
        "(Given the consumers create VMs with the admin user ...) is judged the same way for the image's OS.",
        "Azure REST API specs, Microsoft.Compute OSProfile.adminUsername (disallowed values, lengths); "
        "packer-plugin-azure builder/azure/arm/config.go (setUserNamePassword); MicrosoftDocs/azure-docs #49765.",
        'ssh_username = "admin"',
        'Choose another name (ssh_username = "azureuser" or the default "packer").',
    ),
    Rule(
        "PSIM029",
        "build-vm-password-refused",
        "error",
        "The build VM's admin password (ssh_password, winrm_password), or the consumers', is one the platform refuses.",
        "Packer gives the build VM that password as the OS profile's adminPassword. The Compute API takes 6 to 72 "
        "characters on Linux and 8 to 123 on Windows, three of lower case, upper case, digit and special character, "
        "and refuses ten passwords by name (P@ssw0rd, Password1, Pa$$word ...), which packer validate lets through. "
        "The deployment fails and the build leaves no image. A winrm_password that packer validate refuses is PSIM018.",
        "Azure REST API specs, Microsoft.Compute OSProfile.adminPassword (lengths, complexity, disallowed values); "
        "packer-plugin-azure builder/azure/arm/config.go (setUserNamePassword, isValidPassword).",
        'winrm_password = "P@ssw0rd"',
        "Choose another password, or leave it unset: Packer generates one for the build VM.",
    ),
    Rule(
        "PSIM030",
        "build-vm-computer-name-refused",
        "error",
        "The build VM's computer name (temp_compute_name), or the consumers', is one the platform refuses.",
        "Packer names the build VM's OS after temp_compute_name (the OS profile's computerName). The Compute API "
        "takes at most 15 characters on Windows (the NetBIOS limit) and 64 on Linux, and no Windows name that is "
        "only digits or holds characters such as _ . or @. packer validate does not check it; the deployment "
        "fails and the build leaves no image.",
        "Azure REST API specs, Microsoft.Compute OSProfile.computerName (Max-length Windows 15, Linux 64); "
        "FACTS.md section 4; packer-plugin-azure builder/azure/arm/config.go (setRuntimeValues).",
        'os_type = "Windows" with temp_compute_name = "pkr-iis-2022-build"',
        "Use at most 15 letters, digits and hyphens on Windows, or leave temp_compute_name unset (pkrvm + 10).",
    ),
    Rule(
        "PSIM101",
        "hygiene.leftover-user",
        "warning",
        "Login accounts of the source VM remain on a generalized image.",
        "Every VM created from it inherits them, with their homes; cloud-init images still provision.",
        "LISA AzureImageStandard verify_no_pre_exist_users.",
        "an Ubuntu template without a deprovision step, registered as a managed image",
        "Run waagent -force -deprovision+user as the last step.",
    ),
    Rule(
        "PSIM102",
        "hygiene.bash-history",
        "warning",
        "Shell history remains on the image.",
        "Commands of the build, secrets typed in them included, reach every VM.",
        "LISA AzureImageStandard verify_bash_history_is_empty.",
        "a build that never removes /root/.bash_history",
        "export HISTSIZE=0 and deprovision; remove the history files.",
    ),
    Rule(
        "PSIM103",
        "hygiene.waagent-state",
        "warning",
        "waagent's provisioning state (marker, saved ovf-env.xml) remains.",
        "On a waagent-only image this is the provisioning failure itself; under cloud-init it is replaced.",
        "WALinuxAgent check_provisioned_file; FACTS.md section 7.",
        "a build without waagent -deprovision",
        "Run waagent -force -deprovision+user as the last step.",
    ),
    Rule(
        "PSIM104",
        "hygiene.cloud-init-instance",
        "info",
        "cloud-init's state of the source VM remains in /var/lib/cloud.",
        "A new VM is a new instance, so cloud-init runs again, but the old instance's data travels with the image.",
        "cloudinit/stages.py _restore_from_checked_cache; cloudinit/cmd/clean.py.",
        "an Ubuntu image deprovisioned without cloud-init clean",
        "Run sudo cloud-init clean before the deprovision.",
    ),
    Rule(
        "PSIM105",
        "hygiene.sudoers-residue",
        "warning",
        "/etc/sudoers.d/90-cloud-init-users grants sudo to the build user.",
        "Neither waagent -deprovision+user nor cloud-init clean removes it: a later account with that name gets sudo.",
        "WALinuxAgent #3663, #2184; aks-engine #2740.",
        "an Ubuntu image deprovisioned with the documented waagent command only",
        "sudo rm -f /etc/sudoers.d/90-cloud-init-users before the deprovision.",
    ),
    Rule(
        "PSIM106",
        "hygiene.ssh-host-keys",
        "warning",
        "SSH host keys remain on the image.",
        "On a waagent-only image every VM shares them; cloud-init replaces them per instance (then info).",
        "waagent Provisioning.RegenerateSshHostKeyPair; cloud-init ssh_deletekeys.",
        "a build without deprovision on CentOS 7.5",
        "Deprovision (waagent removes the keys with RegenerateSshHostKeyPair=y).",
    ),
    Rule(
        "PSIM107",
        "hygiene.dhcp-leases",
        "warning",
        "DHCP leases of the build VM remain.",
        "A new VM may ask for the old address first.",
        "LISA AzureImageStandard verify_dhcp_file_configuration; waagent deprovision.",
        "a build without deprovision",
        "Deprovision: waagent deletes the leases.",
    ),
)

_BY_ID = {r.id: r for r in RULES}
_BY_NAME = {r.name: r for r in RULES}


def rule(key: str) -> Rule:
    """The rule with this id (``PSIM005``) or name (``deprovision-without-user``)."""
    found = _BY_ID.get(key.upper()) or _BY_NAME.get(key)
    if found is None:
        raise KeyError(key)
    return found


def rule_id(key: str) -> str:
    """The id for a rule id or name (``hygiene.leftover-user`` -> ``PSIM101``)."""
    return rule(key).id
