Feature: How the timeout and the failure come about
  The two errors are not labels: a timeout is time spent waiting for a ready
  report that never comes, and a failure is a VM that runs with somebody
  else's identity.

  Scenario: A generalized Linux image captured as specialized waits out the allotted time
    Given a Linux image whose OS is generalized
    When it is captured as specialized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
    And the timeline shows "no provisioning media"
    And the platform waited the allotted 20 minutes

  Scenario: A generalized Windows image uploaded as specialized stays at the OOBE screen
    Given the allotted provisioning time for Windows is 20 minutes
    And a Windows image whose OS is generalized
    When it is uploaded as specialized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
    And the timeline shows "waiting at the OOBE screen"
    And the platform waited the allotted 20 minutes

  Scenario: A specialized Linux image registered as generalized keeps its old identity
    Given a Linux image whose OS is specialized
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning failure
    And the new VM keeps the original computer name and user
    And the reason mentions "original computer name"
    And the timeline shows "the VM unique identifier has changed"

  Scenario: A specialized Windows image uploaded as generalized keeps its old identity
    Given a Windows image whose OS is specialized
    When it is uploaded as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning failure
    And the new VM keeps the original computer name and user

  Scenario: The source VM of a generalized capture is gone for good
    Given a Linux build VM whose OS is specialized
    When it is captured as generalized
    Then the source VM is no longer usable

  Scenario: The source VM of a specialized capture of a specialized OS lives on
    Given a Windows build VM whose OS is specialized
    When it is captured as specialized
    Then the source VM is usable

  Scenario: A matching registration succeeds with nothing to fix
    Given a Linux image whose OS is generalized
    When it is uploaded as generalized
    And a VM is created from it
    Then VM creation succeeds
    And the error code is none
    And there is no resolution
