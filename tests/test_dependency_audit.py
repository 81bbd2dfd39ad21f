"""`make security` fails on a reported vulnerability, and only warns when nothing could be checked."""

from __future__ import annotations

from tools.audit_dependencies import WARNING, judge

CLEAN = {"name": "flask", "version": "3.1.3", "vulns": []}
VULNERABLE = {
    "name": "werkzeug",
    "version": "3.0.0",
    "vulns": [{"id": "GHSA-xxxx-yyyy-zzzz", "fix_versions": ["3.0.6"], "aliases": [], "description": "..."}],
}
UNKNOWN = {"name": "gunicorn", "skip_reason": "Dependency not found on PyPI and could not be audited: gunicorn"}


def test_a_reported_vulnerability_fails_the_run():
    status, message = judge({"dependencies": [CLEAN, VULNERABLE, UNKNOWN], "fixes": []})
    assert status == 1
    assert "werkzeug 3.0.0: GHSA-xxxx-yyyy-zzzz (fixed in 3.0.6)" in message


def test_every_package_checked_and_clean_passes_quietly():
    status, message = judge({"dependencies": [CLEAN], "fixes": []})
    assert (status, message) == (0, "No known vulnerabilities in 1 packages.")


def test_a_service_that_knows_no_package_warns_without_failing():
    status, message = judge({"dependencies": [UNKNOWN, {**UNKNOWN, "name": "flask"}], "fixes": []})
    assert status == 0
    assert message.startswith(WARNING)
    assert "gunicorn" in message


def test_no_report_at_all_warns_without_failing():
    status, message = judge(None, "requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'")
    assert status == 0
    assert message.startswith(WARNING)
    assert "api.osv.dev" in message


def test_some_packages_skipped_passes_with_a_warning_naming_them():
    status, message = judge({"dependencies": [CLEAN, UNKNOWN], "fixes": []})
    assert status == 0
    assert WARNING in message
    assert "gunicorn" in message
