@container
Feature: Pipelines built for real in a container
  The steps of a Packer template run in a build container as Packer runs them
  on a build VM; the OS state is read off the disk, never from the steps'
  text. A typo in a deprovision command, swallowed by `|| true`, leaves the
  disk specialized although the template looks right.

  Scenario: A template that generalizes with waagent
    Given the container pipeline "generalizes.pkr.hcl"
    When it is built in a container
    Then the disk is generalized by the evidence
    And the evidence shows "SSH host keys absent"
    And VM creation ends in success
    And testinfra sees the OS profile applied
    And the source VM is no longer usable

  Scenario: A template without a deprovision step, on an image with waagent alone
    Given the platform image provisions with waagent
    And the container pipeline "does_not_generalize.pkr.hcl"
    When it is built in a container
    Then the disk is specialized by the evidence
    And VM creation ends in a provisioning failure
    And the error code is OSProvisioningClientError
    And testinfra sees the OS profile not applied

  Scenario: The same template on Debian 12, where the real cloud-init provisions the copy anyway
    Given the container pipeline "does_not_generalize.pkr.hcl"
    When it is built in a container
    Then the disk is specialized by the evidence
    And VM creation ends in success
    And the reason mentions "never deprovisioned"
    And the reason mentions "90-cloud-init-users still grants sudo"
    And testinfra sees the OS profile applied

  Scenario: A deprovision that fails silently
    Given the platform image provisions with waagent
    And the container pipeline "deprovision_fails_silently.pkr.hcl"
    When it is built in a container
    Then the disk is specialized by the evidence
    And the evidence shows "/var/lib/waagent/provisioned present"
    And VM creation ends in a provisioning failure
    And the error code is OSProvisioningClientError

  Scenario: Any template of the repository, named by its path
    Given the Packer template "fixtures/containers/generalizes.pkr.hcl"
    When it is built in a container
    Then the disk is generalized by the evidence
    And VM creation ends in success

  Scenario: A step that needs the network is skipped on request, and the verdict says so
    Given the Packer template "fixtures/packer/gallery-by-environment"
    And step 1 is skipped in the container
    When it is built in a container
    Then the step 1 was skipped because "on request"
    And the disk is generalized by the evidence
    And VM creation ends in success

  Scenario: A VHD is captured both ways, and each registration is named
    Given the Packer template "fixtures/packer/linux-vhd.json"
    When it is built in a container
    Then the disk is generalized by the evidence
    And the VM from the capture as generalized ends in success
    And the VM from the capture as specialized ends in a provisioning timeout
