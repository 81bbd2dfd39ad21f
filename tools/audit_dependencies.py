"""Known vulnerabilities in the pinned requirements (pip-audit), for `make security`.

pip-audit says "No known vulnerabilities found" even when the vulnerability service knew none of
the packages (an index without PyPI's JSON API skips every one), and it fails the same way for a
vulnerability as for a service it cannot reach. This reads its JSON report instead and tells
three cases apart:

- a vulnerability reported: listed, exit 1 (the run fails);
- no service reached, or no package looked up: a warning, exit 0 (nothing was checked, and it says so);
- every package looked up, none vulnerable: exit 0.

Usage: python tools/audit_dependencies.py REQUIREMENTS [extra pip-audit arguments, e.g. -s osv]
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

WARNING = "WARNING: dependencies NOT audited for known vulnerabilities"


@dataclass
class Verdict:
    vulnerable: list[str] = field(default_factory=list)  # "name version: ID (fixed in ...)"
    skipped: list[str] = field(default_factory=list)  # "name: reason"
    audited: int = 0


def read_report(report: dict) -> Verdict:
    """What a pip-audit JSON report says: vulnerabilities found, packages skipped, packages looked up."""
    verdict = Verdict()
    for dependency in report.get("dependencies", []):
        name = f"{dependency.get('name')} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            verdict.skipped.append(f"{name}: {dependency['skip_reason']}")
            continue
        verdict.audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fix yet"
            verdict.vulnerable.append(f"{name}: {vulnerability.get('id')} (fixed in {fixed})")
    return verdict


def judge(report: dict | None, failure: str = "") -> tuple[int, str]:
    """The exit status and what to print, from the report (None: pip-audit wrote none)."""
    if report is None:
        return 0, f"{WARNING}: pip-audit could not finish (no vulnerability service reachable?).\n{failure}".strip()
    verdict = read_report(report)
    if verdict.vulnerable:
        return 1, "Known vulnerabilities in the requirements:\n" + "\n".join(f"  {v}" for v in verdict.vulnerable)
    if not verdict.audited:
        reason = verdict.skipped[0] if verdict.skipped else "the report lists no packages"
        return 0, f"{WARNING}: the vulnerability service knew none of them ({reason})."
    message = f"No known vulnerabilities in {verdict.audited} packages."
    if verdict.skipped:
        message += f"\n{WARNING} (some): {len(verdict.skipped)} skipped:\n" + "\n".join(
            f"  {s}" for s in verdict.skipped
        )
    return 0, message


def main(argv: list[str]) -> int:
    requirements, *extra = argv
    if importlib.util.find_spec("pip_audit") is None:  # a missing tool is a broken setup, not an outage
        print("pip-audit is not installed: pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        finished = subprocess.run(
            [sys.executable, "-m", "pip_audit", "-r", requirements, "--format", "json", "--output", str(output),
             "--progress-spinner", "off", "--timeout", "10", *extra],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        try:
            report = json.loads(output.read_text())
        except (OSError, ValueError):
            report = None
    last_lines = "\n".join((finished.stderr or "").strip().splitlines()[-3:])
    status, message = judge(report, last_lines)
    print(message, file=sys.stderr if status or message.startswith(WARNING) else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
