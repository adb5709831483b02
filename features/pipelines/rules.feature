Feature: Rules fire where the template shows the mistake
  Every finding carries a rule id (`provsim rules` lists them with their sources), so a scenario
  can assert that a rule fires, where, or that it does not.

  Scenario: A deprovision without +user fires PSIM005 on its step
    Given the AIB template "fixtures/aib/override-no-user.json"
    Then rule PSIM005 fires
    And rule PSIM002 does not fire

  Scenario: The documented Ubuntu deprovision leaves cloud-init's sudo rule
    Given the Packer template "fixtures/packer/web.pkr.hcl"
    Then rule PSIM105 fires at line 25
    And rule PSIM101 does not fire

  Scenario: A clean pipeline fires nothing
    Given the Packer template "fixtures/rules/clean-ubuntu.pkr.hcl"
    Then there are no findings
    And rule PSIM105 does not fire

  Scenario: A never-deprovisioned CentOS image fails with its residue named
    Given the Packer template "fixtures/packer/forgot-deprovision-centos.pkr.hcl"
    Then rule PSIM002 fires
    And rule PSIM101 fires

  Scenario: What packer validate refuses, provsim refuses, at the setting's line
    Given the Packer template "fixtures/rules/PSIM018.pkr.hcl"
    Then rule PSIM018 fires at line 17
    And rule PSIM012 does not fire

  Scenario: A gallery destination without a version is refused before any build
    Given the Packer template "fixtures/rules/PSIM019.pkr.hcl"
    Then rule PSIM019 fires at line 9

  Scenario: Secure Boot with a managed image is refused by packer validate
    Given the Packer template "fixtures/rules/PSIM020.pkr.hcl"
    Then rule PSIM020 fires at line 10
    And rule PSIM021 does not fire

  Scenario: A Trusted Launch build may not leave a managed image beside its gallery version
    Given the Packer template "fixtures/rules/PSIM021.pkr.hcl"
    Then rule PSIM021 fires at line 13
    And rule PSIM020 does not fire

  Scenario: A Gen2 source into a gallery definition the template declares Gen1
    Given the AIB template "fixtures/rules/PSIM022.json"
    Then rule PSIM022 fires at line 13

  Scenario: An AIB image into a gallery definition declared specialized
    Given the AIB template "fixtures/rules/PSIM023.json"
    Then rule PSIM023 fires at line 12
    And rule PSIM022 does not fire

  Scenario: An AppX package installed for the build user only stops sysprep
    Given the Packer template "fixtures/rules/PSIM024.pkr.hcl"
    Then rule PSIM024 fires at line 26
    And rule PSIM011 does not fire

  Scenario: A deprovision that deletes the build user leaves Packer no login to clean up with
    Given the Packer template "fixtures/rules/PSIM025.pkr.hcl"
    Then rule PSIM025 fires at line 24
    And rule PSIM005 does not fire

  Scenario: AIB's own deprovision step on an image a customizer removed waagent from
    Given the AIB template "fixtures/rules/PSIM026.json"
    Then rule PSIM026 fires at line 29
    And rule PSIM004 does not fire

  Scenario: Updates installed by PowerShell leave a restart pending when sysprep runs
    Given the Packer template "fixtures/rules/PSIM027.pkr.hcl"
    Then rule PSIM027 fires at line 28
    And rule PSIM024 does not fire

  Scenario: A build VM admin user the platform reserves ends the build before it starts
    Given the Packer template "fixtures/rules/PSIM028.pkr.hcl"
    Then rule PSIM028 fires at line 10
    And rule PSIM018 does not fire

  Scenario: A WinRM password packer validate accepts and the platform refuses by name
    Given the Packer template "fixtures/rules/PSIM029.pkr.hcl"
    Then rule PSIM029 fires at line 17
    And rule PSIM018 does not fire

  Scenario: A Windows build VM named past 15 characters is refused before it exists
    Given the Packer template "fixtures/rules/PSIM030.pkr.hcl"
    Then rule PSIM030 fires at line 11
    And rule PSIM028 does not fire

  Scenario: The consumers' OS profile is judged where a step gives it
    Given the Packer template "fixtures/packer/windows.pkr.hcl"
    And the consumers create VMs with the computer name "sql-reporting-node-01"
    And the consumers create VMs with the admin user "Administrator"
    Then rule PSIM030 fires at line 2
    And rule PSIM028 fires at line 2
    And rule PSIM029 does not fire
