"""Reports for the places CI shows results: JUnit XML (test results) and SARIF 2.1.0 (code scanning).

Each takes the documents ``provsim check --format json`` prints, so every
format says the same thing: :func:`junit` one test case per registration,
:func:`sarif` one result per finding, with its file and line.
"""

from .junit import junit
from .sarif import sarif

__all__ = ["junit", "sarif"]
