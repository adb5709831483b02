"""Step scripts read the way the shell and PowerShell run them.

A deprovision that is commented out, printed, or behind a branch that never
runs leaves the disk specialized; one behind ``sudo sh -c``, a function or a
pipe into a shell generalizes it. So provsim parses every step script with the
language's own grammar and interprets it against the build VM's in-memory
disk: :mod:`.shell` for ``sh``/``bash``, :mod:`.powershell` for PowerShell,
:mod:`.effects` for what a command that runs does to the disk, and
:mod:`.steps` for how Packer and AIB hand a step's scripts to the shell.
"""
