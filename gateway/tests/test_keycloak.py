"""The Keycloak realm export gives deployments what the dev issuer gives ``make up``."""

import json
from pathlib import Path

from gateway.auth.jwks import internal_jwks_uri
from gateway.auth.roles import RoleMapper
from gateway.config import Settings
from gateway.idp.accounts import ACCOUNTS, CLIENTS
from hdh_common.identity import EXTERNAL_ROLES, Role

REALM = json.loads((Path(__file__).parents[1] / "keycloak" / "realm-hdh.json").read_text())


def test_realm_roles_are_the_platform_roles_a_provider_may_grant() -> None:
    realm = {role["name"] for role in REALM["roles"]["realm"]}
    assert realm == {role.value for role in EXTERNAL_ROLES}
    assert Role.SYSTEM.value not in realm  # internal service identities are not the IdP's


def test_demo_accounts_match_the_dev_issuer() -> None:
    users = {user["username"]: user for user in REALM["users"]}
    for name, account in ACCOUNTS.items():
        assert users[name]["realmRoles"] == [account.role.value]
        assert users[name]["attributes"]["organisation"] == [account.organisation]
        assert users[name]["credentials"][0]["value"] == name


def test_clients_and_the_audience_mapper() -> None:
    clients = {client["clientId"]: client for client in REALM["clients"]}
    assert set(clients) == set(CLIENTS)
    assert clients["hdh-web"]["publicClient"] is True
    assert clients["hdh-web"]["attributes"]["pkce.code.challenge.method"] == "S256"
    assert clients["partner-system"]["secret"] == CLIENTS["partner-system"].secret
    assert clients["partner-system"]["serviceAccountsEnabled"] is True
    scope = next(s for s in REALM["clientScopes"] if s["name"] == "hdh-api")
    audience = next(
        m for m in scope["protocolMappers"] if m["protocolMapper"] == "oidc-audience-mapper"
    )
    assert audience["config"]["included.custom.audience"] == Settings().oidc_audience
    assert all("hdh-api" in client["defaultClientScopes"] for client in clients.values())


def test_clients_register_exact_redirect_uris_and_origins() -> None:
    for client in REALM["clients"]:
        uris = client.get("redirectUris", []) + client.get("webOrigins", [])
        uris += client.get("attributes", {}).get("post.logout.redirect.uris", "").split("##")
        assert not [uri for uri in uris if "*" in uri or uri == "+"], client["clientId"]


def test_roles_from_a_keycloak_shaped_token() -> None:
    settings = Settings()
    mapper = RoleMapper(
        claim_paths=settings.oidc_roles_claims,
        mapping={"hdh-auditor": "auditor"},
        organisation_claim=settings.oidc_organisation_claim,
    )
    claims = {
        "realm_access": {"roles": ["default-roles-hdh", "offline_access", "researcher"]},
        "roles": ["hdh-auditor"],
        "organisation": "inserm",
    }
    assert mapper.roles(claims) == {Role.RESEARCHER, Role.AUDITOR}
    assert mapper.organisation(claims) == "inserm"
    assert mapper.roles({"realm_access": "nonsense"}) == frozenset()


def test_jwks_is_fetched_where_the_discovery_document_was() -> None:
    issuer = "http://localhost:8080/realms/hdh"
    jwks = f"{issuer}/protocol/openid-connect/certs"
    internal = "http://keycloak:8080/realms/hdh/.well-known/openid-configuration"
    assert (
        internal_jwks_uri(jwks, issuer=issuer, discovery_url=internal)
        == "http://keycloak:8080/realms/hdh/protocol/openid-connect/certs"
    )
    public = f"{issuer}/.well-known/openid-configuration"
    assert internal_jwks_uri(jwks, issuer=issuer, discovery_url=public) == jwks
