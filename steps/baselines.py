"""Steps that hold a pipeline against a baseline recorded with ``provsim baseline record``.

Paths are relative to the repository root (pytest's rootdir), as are the
pipelines' names in a baseline recorded there.

Sentences
---------
``Then the pipeline matches the baseline "<path>"``
    After ``Given the Packer template "<path>"`` (with its variables): every
    pipeline of the template has the OS state, the registration statuses and
    the findings the baseline holds for it. The baseline may hold other
    pipelines too (one file for a whole repository).
    Example: ``Then the pipeline matches the baseline "fixtures/baselines/pipelines.json"``
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from provsim.errors import ProvsimError
from provsim.steps.pipelines import TemplateCheck
from pytest_bdd import parsers, then


@then(parsers.parse('the pipeline matches the baseline "{path}"'))
def matches_the_baseline(provsim_template: dict[str, TemplateCheck], request: pytest.FixtureRequest, path: str) -> None:
    """``Then the pipeline matches the baseline "<path>"``: nothing changed since the baseline was recorded.

    A failure lists each change as ``provsim baseline diff`` does (pipeline,
    registration, from and to) and the command that records the baseline again.

    Example: ``Then the pipeline matches the baseline "fixtures/baselines/pipelines.json"``
    """
    check = provsim_template.get("current")
    if check is None:
        raise AssertionError("no template yet: start with 'Given the Packer template \"<path>\"'")
    from provsim.baseline import details_of, diff, load, record
    from provsim.commands.check import masked

    root = Path(request.config.rootpath)
    reports = check.reports()
    secrets = frozenset(value for report in reports for value in report.pipeline.sensitive)
    documents = [masked(report.to_dict(), secrets) for report in reports]
    try:
        recorded = load(root / path)
    except ProvsimError as error:  # bad input, not a bug: one line, no traceback
        pytest.fail(str(error), pytrace=False)
    # Only this template's pipelines: the baseline may hold a whole repository's.
    changes = diff(recorded, record(documents, base=root), details=details_of(documents, root), only=True)
    if changes:
        # The paths it was recorded from, not this template alone: that would drop the baseline's other pipelines.
        again = shlex.join(["provsim", "baseline", "record", *(recorded.recorded_with or ["PATH..."]), "-o", path])
        raise AssertionError(
            check.shown(
                "the pipeline no longer does what the baseline recorded:\n"
                + "\n".join(str(change) + (f"\n  {change.detail}" if change.detail else "") for change in changes)
                + f"\nif the change is intended, record the baseline again (from {root}): {again}"
            )
        )
