Feature: Predicting what a pipeline's images will do
  provsim reads a Packer or Azure Image Builder template, applies its steps to
  a build VM's disk, reads the OS state off that disk, and registers every
  output the way the tool does. The expectations below are written by hand
  from the templates: they are the oracle.

  Scenario Outline: <template>
    Given the <tool> template "<template>"
    Then the pipeline builds a <OS> image
    And the image's OS is <OS state>
    And a VM created from the <output> ends in <outcome>

    Examples: Packer
      | tool   | template                                             | OS      | OS state    | output                        | outcome                |
      | Packer | fixtures/packer/web.pkr.hcl                          | Linux   | generalized | managed image                 | success                |
      | Packer | fixtures/packer/forgot-deprovision.pkr.hcl           | Linux   | specialized | gallery image                 | success                |
      | Packer | fixtures/packer/forgot-deprovision-centos.pkr.hcl    | Linux   | specialized | gallery image                 | a provisioning failure |
      | Packer | fixtures/packer/gallery-specialized.pkr.hcl          | Linux   | specialized | gallery image                 | success                |
      | Packer | fixtures/packer/specialized-but-deprovisioned.pkr.hcl | Linux  | generalized | gallery image                 | a provisioning timeout |
      | Packer | fixtures/packer/windows.pkr.hcl                      | Windows | generalized | managed image                 | success                |
      | Packer | fixtures/packer/windows-no-sysprep.json              | Windows | specialized | managed image                 | a provisioning failure |
      | Packer | fixtures/packer/linux-vhd.json                       | Linux   | generalized | VHD registered as generalized | success                |
      | Packer | fixtures/packer/linux-vhd.json                       | Linux   | generalized | VHD registered as specialized | a provisioning timeout |

    Examples: Azure Image Builder
      | tool | template                                            | OS      | OS state    | output                        | outcome                |
      | AIB  | fixtures/aib/ubuntu.json                            | Linux   | generalized | managed image                 | success                |
      | AIB  | fixtures/aib/ubuntu.json                            | Linux   | generalized | gallery image                 | success                |
      | AIB  | fixtures/aib/windows-arm.json                       | Windows | generalized | gallery image                 | success                |
      | AIB  | fixtures/aib/windows-arm.json                       | Windows | generalized | VHD registered as specialized | a provisioning timeout |
      | AIB  | fixtures/aib/override-no-user.json                  | Linux   | generalized | gallery image                 | success                |
      | AIB  | fixtures/aib/override-skips-deprovision.json        | Linux   | specialized | managed image                 | success                |
      | AIB  | fixtures/aib/override-skips-deprovision-centos.json | Linux   | specialized | managed image                 | a provisioning failure |
      | AIB  | fixtures/aib/windows-override-no-generalize.json    | Windows | specialized | managed image                 | a provisioning failure |

  Scenario: The documented Linux example deprovisions as its last step
    Given the Packer template "fixtures/packer/web.pkr.hcl"
    Then the evidence mentions "'/usr/sbin/waagent -force -deprovision+user' at"
    And the evidence mentions "/var/lib/waagent/provisioned absent"
    And a VM created from the managed image is provisioned successfully
    And there is a warning finding about "90-cloud-init-users still grants sudo"

  Scenario: A variable override reaches the managed image name
    Given the Packer template "fixtures/packer/web.pkr.hcl"
    And the Packer variable "image_version" is "2.0.0"
    Then a VM created from the managed image is provisioned successfully

  Scenario: A folder of templates with its defaults and *.auto.pkrvars.hcl
    Given the Packer template "fixtures/packer/gallery-by-environment"
    Then the image's OS is generalized
    And a VM created from the gallery image is provisioned successfully

  Scenario: A var file that declares the gallery image specialized turns success into a timeout
    Given the Packer template "fixtures/packer/gallery-by-environment"
    And the Packer var file "fixtures/packer/gallery-by-environment/prod.pkrvars.hcl"
    Then the image's OS is generalized
    And a VM created from the gallery image ends in a provisioning timeout

  Scenario: One file of a folder alone is refused, as Packer refuses it
    Given the Packer template "fixtures/packer/gallery-by-environment/build.pkr.hcl"
    Then reading the template fails with "var.image_version is used but not declared"

  Scenario: AIB runs its own deprovision step unless a customizer replaces it
    Given the AIB template "fixtures/aib/ubuntu.json"
    Then the evidence mentions "AIB's hidden deprovision step runs /tmp/DeprovisioningScript.sh (AIB's default; remote content could have changed it)"
    And there is a warning finding about "is remote and cannot be inspected"

  Scenario: An override that drops +user keeps the build account
    Given the AIB template "fixtures/aib/override-no-user.json"
    Then the evidence mentions "as overridden by a customizer"
    And there is a warning finding about "without +user"

  Scenario: A Windows override without /generalize
    Given the AIB template "fixtures/aib/windows-override-no-generalize.json"
    Then there is an error finding about "sysprep without /generalize"
    And the evidence mentions "IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE"
