"""The dependency audit's verdict on pip-audit's JSON reports."""

import json
from pathlib import Path
from typing import Any

import pytest

from hdh_dev.depaudit import EXIT_UNAUDITED, EXIT_VULNERABLE, main, read_report, verdict


def dependency(name: str, version: str = "1.0", *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "version": version, "vulns": list(vulns)}


def vuln(id: str, *fixes: str, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": id, "fix_versions": list(fixes), "aliases": list(aliases), "description": "x"}


def skipped(name: str) -> dict[str, Any]:
    reason = f"Dependency not found on PyPI and could not be audited: {name} (1.0)"
    return {"name": name, "skip_reason": reason}


def run(report: dict[str, Any], tmp_path: Path, *args: str) -> int:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return main(["--report", str(path), *args])


def test_a_vulnerability_with_a_fix_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = {
        "dependencies": [
            dependency("jinja2", "2.11.0", vuln("PYSEC-2021-66", "2.11.3", aliases=("CVE-1",))),
            dependency("httpx", "0.28.1"),
        ]
    }
    assert run(report, tmp_path) == EXIT_VULNERABLE
    out = capsys.readouterr().out
    assert "VULNERABLE jinja2 2.11.0: PYSEC-2021-66 (CVE-1), fixed in 2.11.3" in out
    assert "2 packages audited" in out


def test_one_without_a_fix_is_listed_but_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = {"dependencies": [dependency("ecdsa", "0.19.1", vuln("GHSA-wj6h-64fc-37mp"))]}
    assert run(report, tmp_path) == 0
    assert "known, no fix yet: ecdsa 0.19.1: GHSA-wj6h-64fc-37mp, no fix released" in (
        capsys.readouterr().out
    )


def test_an_ignored_vulnerability_passes(tmp_path: Path) -> None:
    report = {"dependencies": [dependency("a", "1", vuln("PYSEC-1", "2", aliases=("CVE-9",)))]}
    assert run(report, tmp_path, "--ignore", "CVE-9") == 0


def test_an_audit_that_could_not_look_packages_up_fails_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = {"dependencies": [skipped("alembic"), dependency("httpx")]}
    assert run(report, tmp_path) == EXIT_UNAUDITED
    assert "1 packages could NOT be audited" in capsys.readouterr().out
    assert run(report, tmp_path, "--unaudited=warn") == 0
    assert "WARNING: the audit is incomplete" in capsys.readouterr().out


def test_vulnerabilities_fail_even_when_incompleteness_is_accepted(tmp_path: Path) -> None:
    report = {"dependencies": [skipped("alembic"), dependency("a", "1", vuln("X-1", "1.1"))]}
    assert run(report, tmp_path, "--unaudited=warn") == EXIT_VULNERABLE


def test_the_project_own_packages_are_not_audited() -> None:
    audit = read_report({"dependencies": [skipped("hdh-common"), dependency("fastapi")]})
    assert audit.unaudited == [] and audit.audited == 1
    assert verdict(audit, unaudited_fails=True)[0] == 0
