Feature: The Linux cells on a cloud-init image
  Most Linux images on Azure (Ubuntu, RHEL 8+, Debian 11+, Azure Linux) provision with cloud-init,
  waagent handing over to it (Provisioning.Agent=auto). cloud-init keys on the instance id, the
  VM's DMI system uuid: a VM created from a copied disk is a new instance, so cloud-init applies
  the OS profile from the provisioning media even when the OS was never deprovisioned
  (cloudinit/stages.py _restore_from_checked_cache; cloudinit/sources/DataSourceAzure.py).
  So the specialized-as-generalized cells, a failure in the seed's table for waagent alone,
  provision here, with the source machine's residue (WALinuxAgent #2184, canonical/cloud-init #3851).
  A generalized OS registered as specialized still times out: no media, so cloud-init copies no
  ovf-env.xml and waagent waits for it (azurelinuxagent/pa/provision/cloudinit.py).
  The outcomes below are written by hand from those sources: they are the oracle.

  Scenario Outline: A <state> Linux OS with cloud-init, <stage> as <registered>
    Given the platform image provisions with cloud-init
    And a Linux image whose OS is <state>
    When it is <stage> as <registered>
    And a VM is created from it
    Then VM creation ends in <outcome>

    Examples:
      | state       | stage    | registered  | outcome                |
      | generalized | captured | generalized | success                |
      | generalized | captured | specialized | a provisioning timeout |
      | specialized | captured | generalized | success                |
      | specialized | captured | specialized | success                |
      | generalized | uploaded | generalized | success                |
      | generalized | uploaded | specialized | a provisioning timeout |
      | specialized | uploaded | generalized | success                |
      | specialized | uploaded | specialized | success                |

  Scenario: A never-deprovisioned cloud-init image registered as generalized provisions, with residue named
    Given the platform image provisions with cloud-init
    And a Linux build VM whose OS is specialized
    When it is captured as generalized
    And a VM is created from it
    Then VM creation succeeds
    And the reason mentions "never deprovisioned"
    And the reason mentions "login accounts of the source VM remain"
    And the reason mentions "90-cloud-init-users still grants sudo"
    And the timeline shows "cloud-init: new instance"
    And the timeline shows "the VM unique identifier has changed"

  Scenario: A generalized cloud-init image registered as specialized waits for an ovf-env.xml that never comes
    Given the platform image provisions with cloud-init
    And a Linux build VM whose OS is generalized
    When it is captured as specialized
    And a VM is created from it
    Then VM creation ends in a provisioning timeout
    And the timeline shows "Waiting for cloud-init to copy ovf-env.xml"
    And the platform waited the allotted 20 minutes

  Scenario: The same image with waagent alone fails, as the seed's table says
    Given the platform image provisions with waagent
    And a Linux build VM whose OS is specialized
    When it is captured as generalized
    And a VM is created from it
    Then VM creation ends in a provisioning failure
    And the error code is OSProvisioningClientError
