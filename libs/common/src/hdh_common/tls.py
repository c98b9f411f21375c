"""TLS contexts of the platform's client links, from libpq-style modes and CA files."""

import ssl
from pathlib import Path
from typing import Literal

SslMode = Literal["disable", "require", "verify-ca", "verify-full"]


def database_tls(mode: SslMode, *, ca_file: Path | None = None) -> ssl.SSLContext | None:
    """The TLS context of PostgreSQL connections for libpq's ``sslmode`` names (``verify-full``:
    certificate chain and host name checked), or None for cleartext."""
    if mode == "disable":
        return None
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.check_hostname = mode == "verify-full"
    if mode == "require":
        context.verify_mode = ssl.CERT_NONE
    return context
