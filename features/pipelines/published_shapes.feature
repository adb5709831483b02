Feature: Shapes seen in published templates
  Templates nobody here wrote edit stock files of their platform image and sysprep in forms the
  documentation warns about. provsim reports only what the template proves.

  Scenario: Edits of the platform image's own files are not a failing build
    Given the Packer template "fixtures/packer/stock-file-edits.pkr.hcl"
    Then the image's OS is generalized
    And a VM created from the managed image is provisioned successfully
    And there are no error findings

  Scenario: Sysprep with /shutdown and no ImageState wait generalizes, with a warning
    Given the Packer template "fixtures/packer/windows-sysprep-shutdown.pkr.hcl"
    Then the image's OS is generalized
    And there is a warning finding about "/shutdown powers the build VM off"

  Scenario: HCL2 as published templates write it
    Given the Packer template "fixtures/packer/hcl2-features.pkr.hcl"
    Then the pipeline builds a Linux image
    And the image's OS is generalized
