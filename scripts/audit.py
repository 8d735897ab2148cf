"""Known vulnerabilities in the locked packages, said plainly: found, none, or not audited.

    .venv/bin/python scripts/audit.py REQUIREMENTS.txt

What `make audit` runs. pip-audit asks the package index for each pinned package's advisories;
an index that has no vulnerability data (a mirror, or no network) makes it skip every package
and still print "No known vulnerabilities found". This reads pip-audit's JSON instead and says
which of three it was:

- vulnerabilities found: each listed with its fix versions; exit 1;
- every package audited, none found: exit 0;
- some or all packages could not be audited: said in one plain line with the reason pip-audit
  gave, exit 0 (the machine cannot do better), or exit 1 with `AUDIT_REQUIRED=1` (a release
  machine that must have the data).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


@dataclass
class Audit:
    """pip-audit's findings, sorted into what was audited and what could not be."""

    audited: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)  # one line per advisory
    skipped: dict[str, str] = field(default_factory=dict)  # package -> pip-audit's reason


def read_report(report: dict[str, Any]) -> Audit:
    """Sort pip-audit's JSON (`-f json`) into audited, vulnerable and skipped packages."""
    audit = Audit()
    for dependency in report.get("dependencies", []):
        name = dependency["name"]
        if "skip_reason" in dependency:
            audit.skipped[name] = dependency["skip_reason"]
            continue
        audit.audited.append(name)
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix released"
            audit.vulnerable.append(
                f"{name} {dependency.get('version', '?')}: {vuln['id']} (fixed in: {fixes})"
            )
    return audit


def verdict(audit: Audit, *, required: bool) -> tuple[int, list[str]]:
    """(exit code, lines to print) for an audit."""
    lines = [f"VULNERABLE  {line}" for line in audit.vulnerable]
    total = len(audit.audited) + len(audit.skipped)
    if audit.skipped:
        example = next(iter(audit.skipped.values()))
        lines.append(
            f"NOT AUDITED  {len(audit.skipped)} of {total} packages: pip-audit got no "
            f"vulnerability data for them (e.g. {example!r}); the index this machine reaches "
            "does not serve it. Run `make audit` where pypi.org's JSON API is reachable."
        )
    if audit.vulnerable:
        lines.append(f"{len(audit.vulnerable)} known vulnerabilit(y/ies) in the locked packages")
        return 1, lines
    if audit.audited:
        lines.append(f"{len(audit.audited)} of {total} packages audited: no known vulnerabilities")
    failed = required and bool(audit.skipped)
    return (1 if failed else 0), lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    command = [str(PIP_AUDIT), "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    done = subprocess.run([*command, "-r", args[0]], capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"NOT AUDITED  pip-audit failed:\n{done.stderr.strip()}", file=sys.stderr)
        return 1
    code, lines = verdict(read_report(report), required=os.environ.get("AUDIT_REQUIRED") == "1")
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
