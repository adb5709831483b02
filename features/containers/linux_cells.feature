@container
Feature: The Linux cells, executed in containers with the real waagent
  The same eight Linux cells as the simulated table, but every disk is a
  container's filesystem: the build VM is provisioned by the guest agent
  through the platform, generalized by the real `waagent -force
  -deprovision+user`, captured with `docker commit` or uploaded as an exported
  disk, and a VM container boots from it with the platform's provisioning media.

  Scenario Outline: Linux <OS state> uploaded as <registered as>, in containers
    Given an on-premises Linux disk whose OS is <OS state>
    When it is uploaded as <registered as>
    And a VM is created from it
    Then the disk is <OS state> by the evidence
    And VM creation ends in <outcome>
    And the error code is <error code>
    And the resolution says "<resolution>"

    Examples:
      | OS state    | registered as | outcome                | error code                | resolution                                                  |
      | generalized | specialized   | a provisioning timeout | OSProvisioningTimedOut    | run waagent -deprovision+user, then upload as generalized    |
      | generalized | generalized   | success                | none                      | -                                                           |
      | specialized | specialized   | success                | none                      | -                                                           |
      | specialized | generalized   | a provisioning failure | OSProvisioningClientError | or run waagent -deprovision+user to make the OS generalized |

  Scenario Outline: Linux <OS state> captured as <registered as>, in containers
    Given a Linux build VM whose OS is <OS state>
    When it is captured as <registered as>
    And a VM is created from it
    Then the disk is <OS state> by the evidence
    And VM creation ends in <outcome>
    And the error code is <error code>
    And the resolution says "<resolution>"
    And the source VM is <source VM>

    Examples:
      | OS state    | registered as | outcome                | error code                | resolution                                                     | source VM        |
      | generalized | specialized   | a provisioning timeout | OSProvisioningTimedOut    | recreate it from the current VHDs with the generalized setting | no longer usable |
      | generalized | generalized   | success                | none                      | -                                                              | no longer usable |
      | specialized | specialized   | success                | none                      | -                                                              | usable           |
      | specialized | generalized   | a provisioning failure | OSProvisioningClientError | recreate it from the current VHDs with the specialized setting | no longer usable |
