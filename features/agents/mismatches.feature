Feature: When the agents on the image do not agree
  waagent chooses its handler from Provisioning.Agent in /etc/waagent.conf and from
  `systemctl is-enabled cloud-init-local.service` (azurelinuxagent/pa/provision/factory.py,
  cloudinitdetect.py: only "enabled" counts); cloud-init runs unless its units are disabled or
  /etc/cloud/cloud-init.disabled exists. A build step that changes one without the other leaves
  an image no VM can be created from. Each scenario is a generalized image captured as
  generalized, which would otherwise succeed; the outcomes are the oracle, written from the
  sources cited.

  Background:
    Given the platform image provisions with cloud-init
    And a Linux build VM whose OS is generalized

  Scenario: cloud-init switched off by its disabled file, waagent still waiting for it
    # systemctl still says "enabled", so waagent stays in cloud-init mode (WALinuxAgent #2144, #2025)
    Given the build runs "sudo touch /etc/cloud/cloud-init.disabled"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
    And the timeline shows "cloud-init does not appear to be running"
    And the resolution says "cloud-init.disabled"

  Scenario: CIS hardening blocks udf, so the provisioning media cannot be mounted
    # azvmimagebuilder #93, WALinuxAgent #2025: "install udf /bin/true" in /etc/modprobe.d
    Given the build runs "echo 'install udf /bin/true' | sudo tee /etc/modprobe.d/cis-udf.conf"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
    And the timeline shows "udf module is blocked"
    And the resolution says "udf"

  Scenario: waagent told to provision alone while cloud-init is enabled
    # pa/provision/default.py: "cloud-init appears to be installed and enabled, this is not expected"
    Given the build runs "sudo sed -i 's/^Provisioning.Agent=.*/Provisioning.Agent=waagent/' /etc/waagent.conf"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning failure
    And the error code is OSProvisioningClientError
    And the reason mentions "cloud-init appears to be installed and enabled"
    And the resolution says "Provisioning.Agent=auto"

  Scenario: waagent told to wait for cloud-init, which is masked
    Given the build runs "sudo sed -i 's/^Provisioning.Agent=.*/Provisioning.Agent=cloud-init/' /etc/waagent.conf"
    And the build runs "sudo systemctl mask cloud-init-local.service"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
    And the timeline shows "Waiting for cloud-init to copy ovf-env.xml"

  Scenario: Masking cloud-init with Provisioning.Agent=auto hands provisioning back to waagent
    # a masked unit is not "enabled", so auto means waagent mode, which applies the media itself
    Given the build runs "sudo systemctl mask cloud-init-local"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation succeeds
    And the timeline shows "waagent mode"

  Scenario: Removing cloud-init hands provisioning back to waagent
    Given the build runs "sudo apt-get purge -y cloud-init"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation succeeds
    And the timeline shows "waagent mode"

  Scenario: udf blocked on a waagent-only image: waagent cannot mount the DVD and says so
    # WALinuxAgent: "[CopyOvfEnv] Error mounting dvd" (MicrosoftDocs/azure-docs #12407)
    Given the build runs "sudo systemctl disable cloud-init-local cloud-init"
    And the build runs "echo 'blacklist udf' | sudo tee /etc/modprobe.d/cis.conf"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning failure
    And the reason mentions "Error mounting dvd"
