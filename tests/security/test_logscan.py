"""The log scan: what it catches, what it leaves alone, and the run it fails."""

import hashlib
import json
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from hdh_common.identity import generate_private_key_pem
from hdh_dev.logscan import excerpt, nir_key, redact, scan

JWT = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0"
    ".eyJzdWIiOiJhbGljZSIsImF1ZCI6ImhkaC1hcGkifQ"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMDEyMzQ1Njc4OQ"
)


def nir(body: str) -> str:
    return f"{body}{nir_key(body):02d}"


def kinds(text: str) -> list[str]:
    return [match.kind for match in scan(text)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f'{{"message": "token refused", "token": "{JWT}"}}', "jwt"),
        (f"upstream said: {JWT}", "jwt"),
        ("Authorization: Bearer 7a1c0e2f5b9d4e8aA1B2C3D4", "bearer token"),
        (json.dumps({"key": generate_private_key_pem()}), "private key"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...", "private key"),
        ('{"username": "sara", "password": "sara-pass"}', "secret field"),
        ("login failed for password=hunter2 from 10.0.0.1", "secret field"),
        ("client_secret: partner-secret", "secret field"),
        ("connect to postgresql+asyncpg://hdh:s3cr3t@db:5432/hdh failed", "password in url"),
        (f'{{"nir": "{nir("1850578006048")}"}}', "nir"),
        (f"patient {nir('2690578006048')} linked", "nir"),
        (f"corsica {nir('185052A004012')}", "nir"),
        (f"corsica {nir('185052B004012')}", "nir"),
        ("spaced 1 85 05 78 006 048 30 ok", "nir"),
    ],
)
def test_each_kind_of_secret_is_caught(text: str, kind: str) -> None:
    assert kinds(text) == [kind]
    assert "REDACTED" in redact(text)


def test_the_nir_key_is_the_official_one() -> None:
    assert nir_key("1850578006048") == 30
    # Corsica: 2A counts as 19 and 2B as 18
    assert nir_key("185052A004012") == nir_key("1850519004012")
    assert nir_key("185052B004012") == nir_key("1850518004012")


@pytest.mark.parametrize(
    "text",
    [
        str(uuid.uuid4()),
        uuid.uuid4().hex,
        hashlib.sha256(b"x").hexdigest(),
        hashlib.md5(b"y", usedforsecurity=False).hexdigest(),
        "2026-11-29T14:33:09.123456+00:00",
        str(time.time_ns()),
        str(int(time.time() * 1000)),
        "185057800604831",  # a NIR's shape, but not its key
        "985057800604830",  # no NIR starts with 9
        "1850578006048301",  # 16 digits
        'WWW-Authenticate: Bearer error="invalid_token"',
        "grant_type=password&username=sara",
        "Settings(internal_token_private_key=SecretStr('**********'))",
        '{"password": null, "secret": "***", "token_id": "f3a9"}',
        "verify(password=form.password)",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/hdh",
        "postgresql+asyncpg://hdh:***@db:5432/hdh",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA...",
        '{"message": "token refused", "reason": "The token has expired.", "kid": "k1"}',
        '{"message": "GET /catalog/datasets 200", "duration_ms": 12.43, "status": 200}',
    ],
)
def test_false_positives_are_left_alone(text: str) -> None:
    assert scan(text) == []


def test_an_excerpt_names_the_kind_and_hides_the_value() -> None:
    text = f'{{"logger": "hdh.gateway.auth", "message": "refused", "token": "{JWT}", "x": 1}}'
    (match,) = scan(text)
    shown = excerpt(text, match)
    assert JWT[:20] not in shown
    assert '"token": "[JWT REDACTED]"' in shown
    assert '"message": "refused"' in shown


CONFTEST = 'pytest_plugins = ["hdh_dev.testing"]\n'


def run_pytest(folder: Path, test_source: str) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_inner.py").write_text(textwrap.dedent(test_source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_whose_logs_hold_a_secret_fails_naming_the_logger(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        f"""
        import logging, sys

        def test_logs_a_token():
            logging.getLogger("hdh.leaky").warning("calling with %s", "{JWT}")

        def test_prints_a_nir():
            print("patient {nir("2690578006048")}", file=sys.stderr)

        def test_a_server_log(server_logs):
            with server_logs("a fake server") as path:
                path.write_text("boot password=hunter22\\n")

        def test_a_launched_platform_log(tmp_path):
            (tmp_path / "hdh" / "logs").mkdir(parents=True)
            (tmp_path / "hdh" / "logs" / "gateway.log").write_text("Bearer 0123456789abcdefABCDEF")
        """,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "4 passed" in output
    assert "4 secret-shaped value(s) found in the logs" in output
    assert "bearer token in the log file " in output and "gateway.log" in output
    assert "jwt in logger 'hdh.leaky', during test_inner.py::test_logs_a_token" in output
    assert "nir in captured stderr call of the test" in output
    assert "secret field in the output of a fake server" in output
    assert JWT[:30] not in output
    assert "hunter22" not in output
    assert nir("2690578006048") not in output


def test_a_run_with_clean_logs_passes_and_the_scan_can_be_turned_off(tmp_path: Path) -> None:
    clean = run_pytest(
        tmp_path,
        """
        import logging

        def test_logs_nothing_secret():
            logging.getLogger("hdh.fine").warning("dataset %s published", "3f0c9a5e")
        """,
    )
    assert clean.returncode == 0, clean.stdout
    assert "log scan: no secret in" in clean.stdout
    leaky = run_pytest(
        tmp_path,
        f"""
        import logging

        def test_logs_a_token():
            logging.getLogger("hdh.leaky").warning("{JWT}")
        """,
    )
    assert leaky.returncode == 1
    off = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-log-scan"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert off.returncode == 0, off.stdout
