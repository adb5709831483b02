@container
Feature: The capture cells on a cloud-init image, with the real cloud-init in containers
  The build VM starts from provsim's cloud-init base image (Debian's cloud-init 22.4, waagent with
  Provisioning.Agent=auto); every VM container boots the real cloud-init with Azure's SMBIOS tables
  and the platform's ovf-env.xml in the seed directory, then waagent's decision. The expected
  outcomes are those of features/agents/cloud_init_cells.feature: the oracle is the same.

  Scenario Outline: A <state> Linux OS with cloud-init, captured as <registered>, in containers
    Given the platform image provisions with cloud-init
    And a Linux build VM whose OS is <state>
    When it is captured as <registered>
    And a VM is created from it
    Then VM creation ends in <outcome>

    Examples:
      | state       | registered  | outcome                |
      | generalized | generalized | success                |
      | generalized | specialized | a provisioning timeout |
      | specialized | generalized | success                |
      | specialized | specialized | success                |

  Scenario: cloud-init switched off by its disabled file, waagent still waiting for it, in containers
    Given the platform image provisions with cloud-init
    And a Linux build VM whose OS is generalized
    And the build runs "sudo touch /etc/cloud/cloud-init.disabled"
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
