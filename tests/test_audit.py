"""`make audit` says which it was: vulnerable, clean, or not audited (scripts/audit.py)."""

from __future__ import annotations

from scripts.audit import read_report, verdict

# pip-audit's JSON (`-f json`) as it writes it: an advisory, a clean package, an index without data
VULNERABLE = {
    "name": "urllib3",
    "version": "1.26.0",
    "vulns": [
        {
            "id": "PYSEC-2021-108",
            "fix_versions": ["1.26.5"],
            "aliases": ["CVE-2021-33503"],
            "description": "Catastrophic backtracking in URL authority parsing.",
        }
    ],
}
CLEAN = {"name": "jinja2", "version": "3.1.6", "vulns": []}
NO_DATA = {
    "name": "bagit",
    "skip_reason": "Dependency not found on PyPI and could not be audited: bagit (1.9.0)",
}


def test_a_finding_fails_the_audit_and_names_the_fix() -> None:
    code, lines = verdict(read_report({"dependencies": [VULNERABLE, CLEAN]}), required=False)
    assert code == 1
    assert "VULNERABLE  urllib3 1.26.0: PYSEC-2021-108 (fixed in: 1.26.5)" in lines


def test_no_data_is_said_plainly_not_reported_as_no_vulnerabilities() -> None:
    code, lines = verdict(read_report({"dependencies": [NO_DATA]}), required=False)
    assert code == 0
    assert lines[0].startswith("NOT AUDITED  1 of 1 packages")
    assert not any("no known vulnerabilities" in line for line in lines)
    code, _ = verdict(read_report({"dependencies": [NO_DATA]}), required=True)
    assert code == 1  # AUDIT_REQUIRED=1: a machine that must have the data fails without it


def test_a_finding_still_fails_when_other_packages_could_not_be_audited() -> None:
    report = {"dependencies": [VULNERABLE, CLEAN, NO_DATA]}
    code, lines = verdict(read_report(report), required=False)
    assert code == 1
    assert any(line.startswith("NOT AUDITED  1 of 3") for line in lines)


def test_every_package_audited_and_clean_passes() -> None:
    code, lines = verdict(read_report({"dependencies": [CLEAN]}), required=True)
    assert (code, lines) == (0, ["1 of 1 packages audited: no known vulnerabilities"])
