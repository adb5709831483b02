"""The one exception type a user of provsim can cause."""

from __future__ import annotations


class ProvsimError(Exception):
    r"""Bad input or a missing prerequisite, explained in one line.

    The message names the file (or the option) and what to do about it, so the
    CLI can print it as it is and exit with status 2. Messages are always one line::

        >>> ProvsimError("web.pkr.hcl:12: not valid HCL;\n fix the syntax").message
        'web.pkr.hcl:12: not valid HCL; fix the syntax'
    """

    def __init__(self, message: str) -> None:
        # One line, always: the CLI prints exactly this and nothing else.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self.args[0])
