"""The subcommands of ``provsim``, one module each (see ``simulator.cli``)."""
