Feature: Provisioning outcome of every OS state and process stage
  Provisioning errors arise when an image is uploaded or captured as the
  opposite of what its OS is. A generalized OS registered as specialized gets
  no OS profile and waits until the platform gives up: a provisioning timeout.
  A specialized OS registered as generalized ignores the OS profile and comes
  up with its original computer name, user name and password: a provisioning
  failure. Matching states create without error.

  These are the 16 cells of the table (OS status x process stage). The
  expected outcomes below are the oracle; provsim's simulator has to arrive
  at them from the platform, the guest agent and the clock.

  Scenario Outline: <OS> <OS state> uploaded as <registered as>
    Given an on-premises <OS> disk whose OS is <OS state>
    When it is uploaded as <registered as>
    And a VM is created from it
    Then VM creation ends in <outcome>
    And the error code is <error code>
    And the resolution says "<resolution>"

    Examples: Windows
      | OS      | OS state    | registered as | outcome                  | error code                | resolution                                                      |
      | Windows | generalized | specialized   | a provisioning timeout   | OSProvisioningTimedOut    | Use the original VHD on-premises, run sysprep, then upload as generalized |
      | Windows | generalized | generalized   | success                  | none                      | -                                                               |
      | Windows | specialized | specialized   | success                  | none                      | -                                                               |
      | Windows | specialized | generalized   | a provisioning failure   | OSProvisioningClientError | Upload the original on-premises VHD as specialized, or run sysprep to make the OS generalized |

    Examples: Linux
      | OS    | OS state    | registered as | outcome                | error code                | resolution                                                      |
      | Linux | generalized | specialized   | a provisioning timeout | OSProvisioningTimedOut    | run waagent -deprovision+user, then upload as generalized        |
      | Linux | generalized | generalized   | success                | none                      | -                                                               |
      | Linux | specialized | specialized   | success                | none                      | -                                                               |
      | Linux | specialized | generalized   | a provisioning failure | OSProvisioningClientError | or run waagent -deprovision+user to make the OS generalized     |

  Scenario Outline: <OS> <OS state> captured as <registered as>
    Given a <OS> build VM whose OS is <OS state>
    When it is captured as <registered as>
    And a VM is created from it
    Then VM creation ends in <outcome>
    And the error code is <error code>
    And the resolution says "<resolution>"
    And the source VM is <source VM>

    Examples: Windows
      | OS      | OS state    | registered as | outcome                | error code                | resolution                                                              | source VM         |
      | Windows | generalized | specialized   | a provisioning timeout | OSProvisioningTimedOut    | recreate it from the current VHDs with the generalized setting          | no longer usable  |
      | Windows | generalized | generalized   | success                | none                      | -                                                                       | no longer usable  |
      | Windows | specialized | specialized   | success                | none                      | -                                                                       | usable            |
      | Windows | specialized | generalized   | a provisioning failure | OSProvisioningClientError | recreate it from the current VHDs with the specialized setting          | no longer usable  |

    Examples: Linux
      | OS    | OS state    | registered as | outcome                | error code                | resolution                                                              | source VM         |
      | Linux | generalized | specialized   | a provisioning timeout | OSProvisioningTimedOut    | recreate it from the current VHDs with the generalized setting          | no longer usable  |
      | Linux | generalized | generalized   | success                | none                      | -                                                                       | no longer usable  |
      | Linux | specialized | specialized   | success                | none                      | -                                                                       | usable            |
      | Linux | specialized | generalized   | a provisioning failure | OSProvisioningClientError | recreate it from the current VHDs with the specialized setting          | no longer usable  |
