"""Dependency vulnerability audit: pip-audit over the installed environment.

``python -m hdh_dev.depaudit`` fails (exit 1) on a known vulnerability that has a fixed
version, lists those without a fix, and fails (exit 2) when pip-audit could not look a
dependency up: pip-audit itself counts such a dependency as skipped and still reports
"No known vulnerabilities found", so an audit service out of reach would pass silently.
``--unaudited=warn`` turns that failure into a warning (for a machine that cannot reach the
service), never the one on vulnerabilities.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OWN_PREFIX = "hdh-"
EXIT_VULNERABLE = 1
EXIT_UNAUDITED = 2


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    fixed_in: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def line(self) -> str:
        also = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fix released"
        return f"{self.package} {self.version}: {self.id}{also}, {fix}"


@dataclass
class Audit:
    audited: int = 0
    fixable: list[Vulnerability] = field(default_factory=list)
    unfixed: list[Vulnerability] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)


def read_report(report: dict[str, Any], *, ignored: frozenset[str] = frozenset()) -> Audit:
    """What a pip-audit JSON report says, the project's own packages left out."""
    audit = Audit()
    for dependency in report.get("dependencies", []):
        name = str(dependency["name"])
        if name.lower().startswith(OWN_PREFIX):
            continue
        if "skip_reason" in dependency:
            audit.unaudited.append(f"{name}: {dependency['skip_reason']}")
            continue
        audit.audited += 1
        for vuln in dependency.get("vulns", []):
            found = Vulnerability(
                package=name,
                version=str(dependency.get("version", "?")),
                id=str(vuln["id"]),
                fixed_in=tuple(vuln.get("fix_versions") or ()),
                aliases=tuple(vuln.get("aliases") or ()),
            )
            if {found.id, *found.aliases} & ignored:
                continue
            (audit.fixable if found.fixed_in else audit.unfixed).append(found)
    return audit


def verdict(audit: Audit, *, unaudited_fails: bool) -> tuple[int, list[str]]:
    """The exit code and the lines to print."""
    lines = [f"dependency audit: {audit.audited} packages audited"]
    lines += [f"  VULNERABLE {v.line()}" for v in audit.fixable]
    lines += [f"  known, no fix yet: {v.line()}" for v in audit.unfixed]
    if audit.unaudited:
        lines.append(
            f"  {len(audit.unaudited)} packages could NOT be audited (the vulnerability "
            "service did not answer for them), e.g.:"
        )
        lines += [f"    {reason}" for reason in audit.unaudited[:5]]
    if audit.fixable:
        lines.append(f"FAILED: {len(audit.fixable)} vulnerabilities with a fix: upgrade.")
        return EXIT_VULNERABLE, lines
    if audit.unaudited and unaudited_fails:
        lines.append("FAILED: the audit is incomplete (--unaudited=warn to accept that).")
        return EXIT_UNAUDITED, lines
    if audit.unaudited or audit.audited == 0:
        lines.append("WARNING: the audit is incomplete; no vulnerability was found in the rest.")
    else:
        lines.append("OK: no known vulnerability with a fix.")
    return 0, lines


def run_pip_audit(python: str) -> dict[str, Any]:
    """pip-audit's JSON report on the environment of ``python`` (editable packages skipped)."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        command = [python, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off"]
        command += ["--format", "json", "--output", str(output)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if not output.exists():
            raise RuntimeError(f"pip-audit failed ({done.returncode}): {done.stderr.strip()}")
        report: dict[str, Any] = json.loads(output.read_text())
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hdh_dev.depaudit", description=__doc__)
    parser.add_argument("--unaudited", choices=("fail", "warn"), default="fail")
    parser.add_argument("--ignore", action="append", default=[], metavar="ID")
    parser.add_argument("--report", type=Path, help="read this pip-audit JSON report instead")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text()) if args.report else run_pip_audit(sys.executable)
    audit = read_report(report, ignored=frozenset(args.ignore))
    code, lines = verdict(audit, unaudited_fails=args.unaudited == "fail")
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
