Feature: Pipelines held against the baseline recorded on the main branch
  A baseline, written by `provsim baseline record`, holds what every pipeline
  does: the OS state read off the build VM's disk, each registration's status
  and the keys of its findings. A change to a template (or to provsim) that
  changes any of them fails the scenario, naming the pipeline, the
  registration, what it was and what it is now.

  Scenario Outline: <template> still does what the baseline recorded
    Given the <tool> template "<template>"
    Then the pipeline matches the baseline "fixtures/baselines/pipelines.json"

    Examples:
      | tool   | template                                         |
      | Packer | fixtures/packer/windows.pkr.hcl                  |
      | Packer | fixtures/packer/windows-no-sysprep.json          |
      | AIB    | fixtures/aib/windows-override-no-generalize.json |
