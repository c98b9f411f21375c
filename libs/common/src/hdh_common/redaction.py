"""Secret-shaped values in text: bearer tokens and JWTs, private keys, passwords and other
secret fields, credentials in URLs, and NIRs (French social security numbers, key checked).

Logs of unexpected errors hide them (``hdh_common.middleware``); the test run's log scan
(``hdh_dev.logscan``) fails a run whose logs hold one.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hdh_identifiers import nir

_SECRET_FIELDS = (
    r"password|passwd|pwd|passphrase|secret|client_secret|secret_key|api_?key|access_key"
    r"|private_key|signing_key|master_key|(?:access_|refresh_|id_)?token"
)
_SECRET_NAME = re.compile(_SECRET_FIELDS, re.IGNORECASE)
_REDACTED_VALUE = re.compile(
    r"\*+|<[^>]*>|\[[^]]*]|redacted|hidden|none|null|true|false|\.\.\.|"
    # a reference to the value in code (``form.password``, ``settings.secret_key``)
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|"
    # a type or a call in code or a repr (``str``, ``SecretStr(...)``)
    r"str|bytes|int|secretstr|secretbytes",
    re.IGNORECASE,
)
_PATTERNS: dict[str, re.Pattern[str]] = {
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    "bearer token": re.compile(r"\bbearer\s+([A-Za-z0-9\-._~+/]{16,}=*)", re.IGNORECASE),
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "secret field": re.compile(
        rf"(?<![\w-])(?:{_SECRET_FIELDS})\\?[\"']?\s*[:=]\s*\\?[\"']?([^\s\"'\\,&;()}}\]]+)",
        re.IGNORECASE,
    ),
    "password in url": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@\"']+:([^\s/@\"']+)@"),
    "nir": re.compile(rf"(?<![\w.-]){nir.pattern(gap='[ .-]?')}(?![\w])", re.IGNORECASE),
}


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    value: str


def _accepted(kind: str, match: re.Match[str]) -> bool:
    if kind == "nir":
        body = "".join(match.groups()[:6])
        return nir.control_key(body) == int(match.group(7))
    if kind in ("secret field", "password in url"):
        value = match.group(1)
        return len(value) >= 3 and not _REDACTED_VALUE.fullmatch(value)
    return True


def scan(text: str) -> list[Match]:
    """Every secret-shaped value in ``text``, in order, overlapping ones kept once."""
    found = sorted(_matches(text), key=lambda m: (m.start, -m.end))
    kept: list[Match] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def _matches(text: str) -> Iterator[Match]:
    for kind, pattern in _PATTERNS.items():
        for match in pattern.finditer(text):
            if _accepted(kind, match):
                yield Match(kind, match.start(), match.end(), match.group(0))


def redact(text: str, matches: list[Match] | None = None) -> str:
    """``text`` with each secret-shaped value replaced by ``[<KIND> REDACTED]``."""
    return redacted(text, scan(text) if matches is None else matches)[0]


def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret (``password``, ``client_secret``...)."""
    return _SECRET_NAME.fullmatch(name) is not None


def redacted(text: str, matches: list[Match]) -> tuple[str, dict[int, int]]:
    """``text`` with ``matches`` hidden, and where each match now starts."""
    parts: list[str] = []
    starts: dict[int, int] = {}
    done = length = 0
    for match in matches:
        parts.append(text[done : match.start])
        length += match.start - done
        starts[match.start] = length
        marker = f"[{match.kind.upper()} REDACTED]"
        parts.append(marker)
        length += len(marker)
        done = match.end
    parts.append(text[done:])
    return "".join(parts), starts
