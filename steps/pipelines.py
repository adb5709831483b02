"""Steps that check an image pipeline template: what it builds and what its outputs will do.

Paths are relative to the repository root (pytest's rootdir).

Sentences
---------
``Given the Packer template "<path>"`` / ``Given the AIB template "<path>"``
    A Packer HCL2 file or folder, a Packer JSON template, or an AIB template.
    Example: ``Given the Packer template "fixtures/packer/web.pkr.hcl"``
``Given the Packer variable "<name>" is "<value>"``
    Like ``--var name=value``. Example: ``And the Packer variable "image_version" is "2.0.0"``
``Given the consumers create VMs with the <admin user|admin password|computer name> "<value>"``
    The OS profile the image's consumers will send; what the platform refuses in it fires PSIM028-PSIM030.
    Example: ``And the consumers create VMs with the computer name "sql-reporting-node-01"``
``Then the pipeline builds a <Linux|Windows> image``
``Then the image's OS is <generalized|specialized>``
    Read off the build VM's disk after the steps ran.
``Then a VM created from the <output> is provisioned successfully``
``Then a VM created from the <output> ends in <outcome>``
    ``<output>``: ``managed image``, ``gallery image``, ``VHD registered as generalized``,
    ``VHD registered as specialized``; ``<outcome>`` as in ``VM creation ends in``.
    Example: ``And a VM created from the gallery image ends in a provisioning failure``
``Then the evidence mentions "<text>"``
``Then there is a <error|warning|info> finding about "<text>"`` / ``Then there are no findings``
``Then reading the template fails with "<text>"``
    For templates provsim cannot read. Example: ``Then reading the template fails with "not valid JSON"``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from provsim.errors import ProvsimError
from provsim.masking import mask
from provsim.steps import words
from provsim.steps.fixtures import ScenarioContext
from pytest_bdd import given, parsers, then

if TYPE_CHECKING:  # the check itself loads with the first template read, not with the plugin
    from provsim.model import OsState
    from provsim.pipeline.check import PipelineReport, Registration

#: The output a sentence names -> (its TargetKind's name, how it is registered: an OsState's name, None: the
#: only way). Names, so that the plugin loads neither the pipeline model nor the value types.
_OUTPUTS = {
    "managed image": ("MANAGED_IMAGE", None),
    "gallery image": ("GALLERY_IMAGE", None),
    "vhd registered as generalized": ("VHD", "GENERALIZED"),
    "vhd registered as specialized": ("VHD", "SPECIALIZED"),
}


@dataclass
class TemplateCheck:
    """The template under test and, once asked for, its reports."""

    path: Path
    variables: dict[str, str] = field(default_factory=dict)
    var_files: list[Path] = field(default_factory=list)
    vhd_as: OsState | None = None
    consumer: dict[str, str] = field(default_factory=dict)
    """The consumers' OS profile, as ``Given the consumers create VMs with ...`` gives it."""
    _reports: list[PipelineReport] | None = None

    def read(self) -> list[PipelineReport]:
        """The reports; a template provsim cannot read raises :class:`ProvsimError`."""
        if self._reports is None:
            from provsim.pipeline.check import check_path
            from provsim.pipeline.os_profile_rules import ConsumerProfile
            from provsim.pipeline.variables import PackerVariables

            variables = PackerVariables(self.variables, tuple(self.var_files))
            consumer = ConsumerProfile(**self.consumer) if self.consumer else None
            self._reports = check_path(self.path, variables, vhd_as=self.vhd_as, consumer=consumer)
        return self._reports

    def reports(self) -> list[PipelineReport]:
        """The reports; a template provsim cannot read fails the scenario with one line."""
        try:
            return self.read()
        except ProvsimError as error:  # bad input, not a bug: no traceback
            pytest.fail(str(error), pytrace=False)

    def shown(self, text: object) -> str:
        """``text`` as a failure message may show it: the pipeline's sensitive values masked."""
        secrets = {value for report in (self._reports or []) for value in report.pipeline.sensitive}
        return mask(str(text), secrets)

    def report(self) -> PipelineReport:
        reports = self.reports()
        assert len(reports) == 1, f"{self.path} holds {len(reports)} pipelines; these steps expect one"
        return reports[0]


@pytest.fixture
def provsim_template() -> dict[str, TemplateCheck]:
    """Holds the scenario's template (a dict, so Given steps can set it)."""
    return {}


def _check(holder: dict[str, TemplateCheck]) -> TemplateCheck:
    assert "current" in holder, "no template yet: start with 'Given the Packer template \"...\"'"
    return holder["current"]


@given(parsers.re(r'the (?:Packer|AIB|Azure Image Builder) template "(?P<path>[^"]+)"'))
def the_template(
    provsim_template: dict[str, TemplateCheck], provsim: ScenarioContext, request: pytest.FixtureRequest, path: str
) -> None:
    """``Given the Packer template "<path>"`` (also ``the AIB template``).

    Example: ``Given the AIB template "fixtures/aib/ubuntu.json"``
    """
    root = Path(request.config.rootpath)
    if not (root / path).exists():
        pytest.fail(
            f"{root / path}: template not found; paths in feature files are relative to pytest's rootdir ({root}), "
            "the folder of your pytest.ini or pyproject.toml",
            pytrace=False,
        )
    provsim_template["current"] = TemplateCheck(root / path)
    provsim.template_given = True


@given(parsers.parse('the Packer variable "{name}" is "{value}"'))
def the_variable(provsim_template: dict[str, TemplateCheck], name: str, value: str) -> None:
    """``Given the Packer variable "<name>" is "<value>"``, after the template step.

    Example: ``And the Packer variable "image_version" is "2.0.0"``
    """
    _check(provsim_template).variables[name] = value


@given(parsers.parse('the Packer var file "{path}"'))
def the_var_file(provsim_template: dict[str, TemplateCheck], request: pytest.FixtureRequest, path: str) -> None:
    """``Given the Packer var file "<path>"``, after the template step; several apply in order.

    The path is relative to the repository root, like the template's. The
    environment's ``PKR_VAR_*`` are not read here, so a scenario means the
    same on every machine.

    Example: ``And the Packer var file "fixtures/packer/gallery-by-environment/prod.pkrvars.hcl"``
    """
    _check(provsim_template).var_files.append(Path(request.config.rootpath) / path)


_CONSUMER_FIELDS = {"admin user": "admin_user", "admin password": "admin_password", "computer name": "computer_name"}


@given(
    parsers.re(
        r'the consumers create VMs with the (?P<what>admin user|admin password|computer name) "(?P<value>[^"]*)"'
    )
)
def consumers_create_vms_with(provsim_template: dict[str, TemplateCheck], what: str, value: str) -> None:
    """``Given the consumers create VMs with the <admin user|admin password|computer name> "<value>"``.

    After the template step. Example: ``And the consumers create VMs with the admin user "admin"``
    """
    _check(provsim_template).consumer[_CONSUMER_FIELDS[what]] = value


@given(parsers.parse("its VHD will be registered as {state}"))
def vhd_registered_as(provsim_template: dict[str, TemplateCheck], state: str) -> None:
    """``Given its VHD will be registered as <generalized|specialized>``: the way you register the VHD later.

    Without it, a VHD output is tried both ways. Example: ``And its VHD will be registered as generalized``
    """
    _check(provsim_template).vhd_as = words.os_state(state)


@then(parsers.parse("the pipeline builds a {os} image"))
def builds_os(provsim_template: dict[str, TemplateCheck], os: str) -> None:
    """``Given the consumers create VMs with the <admin user|admin password|computer name> "<value>"``
        The OS profile the image's consumers will send; what the platform refuses in it fires PSIM028-PSIM030.
        Example: ``And the consumers create VMs with the computer name "sql-reporting-node-01"``
    ``Then the pipeline builds a <Linux|Windows> image``: the builder's or the source image's OS type.

        Example: ``Then the pipeline builds a Windows image``
    """
    assert _check(provsim_template).report().pipeline.os_type is words.os_type(os)


@then(parsers.parse("the image's OS is {state}"))
def image_os_is(provsim_template: dict[str, TemplateCheck], state: str) -> None:
    """``Then the image's OS is <generalized|specialized>``, read off the build VM's disk.

    Example: ``Then the image's OS is generalized``
    """
    check = _check(provsim_template)
    report = check.report()
    if report.os_state is not words.os_state(state):
        raise AssertionError(check.shown(f"OS is {report.os_state.value}; evidence: {report.evidence}"))


def _registration(check: TemplateCheck, output: str) -> Registration:
    key = output.strip().lower()
    if key not in _OUTPUTS:
        raise AssertionError(f"unknown output {output!r}: say one of {', '.join(_OUTPUTS)}")
    from provsim.model import OsState
    from provsim.pipeline.model import TargetKind

    kind_name, state_name = _OUTPUTS[key]
    kind = TargetKind[kind_name]
    registered_as = OsState[state_name] if state_name else None
    found = [
        r
        for r in check.report().registrations
        if r.target.kind is kind and (registered_as is None or r.registered_as is registered_as)
    ]
    assert found, f"the pipeline has no {output} output"
    return found[0]


@then(parsers.re(r"a VM created from the (?P<output>.+?) is provisioned successfully"))
def provisioned_successfully(provsim_template: dict[str, TemplateCheck], output: str) -> None:
    """``Then a VM created from the <output> is provisioned successfully``.

    Example: ``And a VM created from the managed image is provisioned successfully``
    """
    created_from_ends_in(provsim_template, output, "success")


@then(parsers.re(r"a VM created from the (?P<output>.+?) ends in (?P<outcome>.+)"))
def created_from_ends_in(provsim_template: dict[str, TemplateCheck], output: str, outcome: str) -> None:
    """``Then a VM created from the <output> ends in <outcome>``.

    Example: ``Then a VM created from the VHD registered as specialized ends in a provisioning timeout``
    """
    check = _check(provsim_template)
    registration = _registration(check, output)
    expected = words.status(outcome)
    actual = registration.outcome
    if actual.status is not expected:
        raise AssertionError(
            check.shown(
                f"expected {expected.value}, got {actual.status.value}: {actual.reason}; "
                f"resolution: {registration.resolution}"
            )
        )


@then(parsers.parse('the evidence mentions "{text}"'))
def evidence_mentions(provsim_template: dict[str, TemplateCheck], text: str) -> None:
    """``Then the evidence mentions "<text>"``.

    Example: ``And the evidence mentions "waagent -force -deprovision+user"``
    """
    check = _check(provsim_template)
    evidence = check.report().evidence
    if not any(text.lower() in item.lower() for item in evidence):
        raise AssertionError(check.shown(f"{text!r} not in the evidence: {evidence}"))


@then(parsers.re(r'there is an? (?P<severity>error|warning|info) finding about "(?P<text>[^"]+)"'))
def finding_about(provsim_template: dict[str, TemplateCheck], severity: str, text: str) -> None:
    """``Then there is an error (a warning, an info) finding about "<text>"``.

    Example: ``And there is a warning finding about "without +user"``
    """
    check = _check(provsim_template)
    findings = check.report().findings
    if not any(f.severity.value == severity.strip() and text.lower() in f.message.lower() for f in findings):
        raise AssertionError(check.shown(f"no {severity} finding about {text!r}: {[f.to_dict() for f in findings]}"))


@then("there are no findings")
def no_findings(provsim_template: dict[str, TemplateCheck]) -> None:
    """``Then there are no findings``."""
    check = _check(provsim_template)
    findings = check.report().findings
    if findings:
        # Raised, not asserted: pytest's assertion rewriting would print the findings again, unmasked.
        raise AssertionError(check.shown([f.to_dict() for f in findings]))


@then(parsers.re(r"there are no (?P<severity>error|warning) findings"))
def no_findings_as_grave_as(provsim_template: dict[str, TemplateCheck], severity: str) -> None:
    """``Then there are no error findings`` (``warning``: no warnings and no errors); info findings may remain.

    Example: ``And there are no error findings``
    """
    check = _check(provsim_template)
    grave = ("error",) if severity == "error" else ("error", "warning")
    findings = [f for f in check.report().findings if f.severity.value in grave]
    if findings:
        raise AssertionError(check.shown([f.to_dict() for f in findings]))


@then(parsers.re(r"rule (?P<rule>PSIM\d{3}) fires(?: at line (?P<line>\d+))?$"))
def rule_fires(provsim_template: dict[str, TemplateCheck], rule: str, line: str | None) -> None:
    """``Then rule <id> fires`` or ``Then rule <id> fires at line <n>`` (see ``provsim rules``).

    Example: ``Then rule PSIM005 fires at line 24``
    """
    check = _check(provsim_template)
    fired = check.report().fired()
    if not any(rid == rule and (line is None or at == int(line)) for rid, at in fired):
        where = f" at line {line}" if line else ""
        raise AssertionError(check.shown(f"rule {rule} does not fire{where}; fired: {fired}"))


@then(parsers.re(r"rule (?P<rule>PSIM\d{3}) does not fire$"))
def rule_does_not_fire(provsim_template: dict[str, TemplateCheck], rule: str) -> None:
    """``Then rule <id> does not fire``.

    Example: ``Then rule PSIM105 does not fire``
    """
    check = _check(provsim_template)
    fired = [item for item in check.report().fired() if item[0] == rule]
    if fired:
        raise AssertionError(check.shown(f"rule {rule} fires: {fired}"))


@then(parsers.parse('reading the template fails with "{text}"'))
def reading_fails(provsim_template: dict[str, TemplateCheck], text: str) -> None:
    """``Then reading the template fails with "<text>"``: a one-line :class:`ProvsimError`.

    Example: ``Then reading the template fails with "no azure-arm builder"``
    """
    with pytest.raises(ProvsimError) as raised:
        _check(provsim_template).read()
    assert text in raised.value.message, raised.value.message
    assert "\n" not in raised.value.message
