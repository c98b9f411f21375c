"""``python -m gateway.idp rotate``: a new signing key for the dev issuer; the old one stays
published until the tokens it signed have expired."""

import argparse

from gateway.config import Settings
from gateway.idp.keys import IssuerKeys


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.idp")
    parser.add_argument("command", choices=["rotate"])
    parser.parse_args()
    settings = Settings()
    keys = IssuerKeys(settings.dev_issuer_key_dir, token_ttl=settings.dev_issuer_token_ttl)
    print(f"new signing key {keys.rotate().kid} in {settings.dev_issuer_key_dir}")


if __name__ == "__main__":
    main()
