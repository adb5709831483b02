"""Reports for the places CI shows results: JUnit XML (test results), SARIF 2.1.0 (code scanning), HTML (people).

Each takes the documents ``provsim check --format json`` prints, so every
format says the same thing: :func:`junit` one test case per registration,
:func:`sarif` one result per finding, with its file and line, :func:`html` one
page with the seed's table per pipeline.
"""

from .html import html
from .junit import junit
from .sarif import sarif

__all__ = ["html", "junit", "sarif"]
