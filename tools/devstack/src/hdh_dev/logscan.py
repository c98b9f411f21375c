"""The test run's log scan: secret-shaped values (``hdh_common.redaction``) found in logs,
each with where it was seen and an excerpt that hides it."""

import threading
from dataclasses import dataclass

from hdh_common.redaction import Match, redact, redacted, scan
from hdh_identifiers.nir import control_key as nir_key

__all__ = ["Finding", "LogScanner", "Match", "excerpt", "nir_key", "redact", "scan"]
EXCERPT_CONTEXT = 60


def excerpt(text: str, match: Match) -> str:
    """The text around ``match``, on one line, with every secret in it redacted."""
    shown, starts = redacted(text, scan(text))
    start = starts.get(match.start, 0)
    window = shown[max(0, start - EXCERPT_CONTEXT) : start + EXCERPT_CONTEXT + 24]
    return " ".join(window.split())


@dataclass
class Finding:
    kind: str
    source: str
    test: str
    excerpt: str
    count: int = 1


class LogScanner:
    """The secrets found in every text it is shown (each distinct value once, counted)."""

    def __init__(self) -> None:
        self.findings: dict[tuple[str, str], Finding] = {}
        self.texts = 0
        self.files = 0
        self.test = "(outside any test)"
        self._lock = threading.Lock()

    def check(self, text: str, *, source: str) -> None:
        matches = scan(text)
        with self._lock:
            self.texts += 1
            for match in matches:
                key = (match.kind, match.value)
                if key in self.findings:
                    self.findings[key].count += 1
                else:
                    shown = excerpt(text, match)
                    self.findings[key] = Finding(match.kind, source, self.test, shown)

    def report(self) -> str:
        lines = [
            f"{len(self.findings)} secret-shaped value(s) found in the logs of this run "
            f"({self.texts} log texts scanned, {self.files} of them log files):"
        ]
        for finding in self.findings.values():
            lines += [
                f"- {finding.kind} in {finding.source}, during {finding.test}"
                f" (seen {finding.count} time(s)):",
                f"    {finding.excerpt}",
            ]
        return "\n".join(lines)
