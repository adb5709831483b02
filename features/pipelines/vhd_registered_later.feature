Feature: A VHD is registered later, by its user
  A VHD output has no OS state of its own: whoever registers it later chooses generalized or
  specialized. Say how you will, and only that registration is checked.

  Scenario: The deprovisioned VHD is registered as generalized
    Given the Packer template "fixtures/packer/linux-vhd.json"
    And its VHD will be registered as generalized
    Then a VM created from the VHD registered as generalized is provisioned successfully

  Scenario: The same VHD registered as specialized hangs until the timeout
    Given the Packer template "fixtures/packer/linux-vhd.json"
    And its VHD will be registered as specialized
    Then a VM created from the VHD registered as specialized ends in a provisioning timeout

  Scenario: Every known registration succeeds
    Given the Packer template "fixtures/packer/linux-vhd.json"
    And its VHD will be registered as generalized
    Then every registration succeeds
