"""The dev issuer's demo accounts and clients: the password of each account is its name."""

import hmac
from dataclasses import dataclass

from hdh_common.identity import Role


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    organisation: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str | None
    roles: tuple[Role, ...] = ()
    organisation: str | None = None

    @property
    def public(self) -> bool:
        return self.secret is None


ACCOUNTS = {
    account.username: account
    for account in (
        Account("alice", Role.RESEARCHER, "inserm", "Alice Martin"),
        Account("bruno", Role.RESEARCHER, "aphp", "Bruno Petit"),
        Account("paul", Role.PRODUCER, "aphp", "Paul Durand"),
        Account("sara", Role.HUB_STAFF, "hdh", "Sara Lefèvre"),
        Account("carl", Role.COMMITTEE_MEMBER, "cesrees", "Carl Moreau"),
        Account("rita", Role.REGULATOR, "cnil", "Rita Girard"),
        Account("odile", Role.AUDITOR, "hdh", "Odile Roux"),
        Account("olga", Role.OUTPUT_CHECKER, "hdh", "Olga Lambert"),
        Account("omar", Role.OUTPUT_CHECKER, "hdh", "Omar Benali"),
    )
}
WEB_CLIENT = "hdh-web"
CLIENTS = {
    client.client_id: client
    for client in (
        Client(WEB_CLIENT, None),
        Client("partner-system", "partner-secret", (Role.PARTNER,), "partner"),
    )
}


def check_password(username: str, password: str) -> Account | None:
    account = ACCOUNTS.get(username)
    if account is None or not hmac.compare_digest(password.encode(), username.encode()):
        return None
    return account


def check_client(client_id: str, secret: str | None) -> Client | None:
    client = CLIENTS.get(client_id)
    if client is None:
        return None
    if client.secret is None:
        return client if not secret else None
    if secret is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
        return None
    return client
