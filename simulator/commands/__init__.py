"""The subcommands of ``provsim``, one module each (see ``provsim.cli``)."""
