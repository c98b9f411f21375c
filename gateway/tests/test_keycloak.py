"""The Keycloak realm export gives deployments what the dev issuer gives ``make up``."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.jwks import internal_jwks_uri
from gateway.auth.roles import RoleMapper
from gateway.config import Settings
from gateway.idp.accounts import ACCOUNTS, CLIENTS
from hdh_common.identity import EXTERNAL_ROLES, Role

KEYCLOAK = Path(__file__).parents[1] / "keycloak"
REALM = json.loads((KEYCLOAK / "demo" / "realm-hdh.json").read_text())
PRODUCTION = json.loads((KEYCLOAK / "production" / "realm-hdh.json").read_text())


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


# ------------------------------------------------------------------ the production realm


def user_profile(realm: dict[str, Any]) -> dict[str, Any]:
    (provider,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    (config,) = provider["config"]["kc.user.profile.config"]
    profile: dict[str, Any] = json.loads(config)
    return profile


def realm_problems(realm: dict[str, Any]) -> list[str]:
    """What a production realm must not have, and what the gateway needs from it."""
    problems = [f"user {user['username']}" for user in realm.get("users", [])]
    if realm.get("sslRequired") != "all":
        problems.append("sslRequired is not all")
    for client in realm["clients"]:
        uris = client.get("redirectUris", []) + client.get("webOrigins", [])
        uris += client.get("attributes", {}).get("post.logout.redirect.uris", "").split("##")
        problems += [
            f"{client['clientId']}: {uri!r}"
            for uri in uris
            if "*" in uri or uri == "+" or not uri.startswith("https://") or "localhost" in uri
        ]
        if client.get("directAccessGrantsEnabled") or client.get("implicitFlowEnabled"):
            problems.append(f"{client['clientId']}: password or implicit grant")
        if "secret" in client:
            problems.append(f"{client['clientId']}: a secret in the export")
    attributes = {a["name"]: a for a in user_profile(realm)["attributes"]}
    organisation = attributes.get("organisation", {})
    if organisation.get("permissions", {}).get("edit") != ["admin"]:
        problems.append("organisation is not declared, or a user may edit their own")
    scope = next(s for s in realm["clientScopes"] if s["name"] == "hdh-api")
    mappers = {m["protocolMapper"]: m for m in scope["protocolMappers"]}
    audience = mappers.get("oidc-audience-mapper", {}).get("config", {})
    if audience.get("included.custom.audience") != Settings().oidc_audience:
        problems.append("no audience mapper for the gateway's audience")
    if (
        mappers.get("oidc-usermodel-attribute-mapper", {}).get("config", {}).get("user.attribute")
        != Settings().oidc_organisation_claim
    ):
        problems.append("no organisation claim from the declared attribute")
    return problems


def test_the_production_realm_has_no_demo_user_no_wildcard_and_declares_organisation() -> None:
    assert realm_problems(PRODUCTION) == []


def test_the_production_realm_has_the_demo_realm_roles_and_scopes() -> None:
    assert PRODUCTION["realm"] == REALM["realm"]
    assert PRODUCTION["roles"] == REALM["roles"]
    assert PRODUCTION["clientScopes"] == REALM["clientScopes"]
    assert user_profile(PRODUCTION) == user_profile(REALM)


def test_the_demo_realm_declares_the_organisation_its_users_carry() -> None:
    declared = {a["name"] for a in user_profile(REALM)["attributes"]}
    carried = {name for user in REALM["users"] for name in user.get("attributes", {})}
    assert carried <= declared


@pytest.mark.parametrize(
    "how", ["demo user", "wildcard", "http", "password grant", "secret", "undeclared", "audience"]
)
def test_the_realm_check_catches_a_broken_copy(how: str) -> None:
    realm = copy.deepcopy(PRODUCTION)
    web = realm["clients"][0]
    if how == "demo user":
        realm["users"] = REALM["users"][:1]
    elif how == "wildcard":
        web["redirectUris"] = ["https://hdh.example.org/*"]
    elif how == "http":
        web["webOrigins"] = ["http://localhost:8000"]
    elif how == "password grant":
        web["directAccessGrantsEnabled"] = True
    elif how == "secret":
        web["secret"] = "s"
    elif how == "undeclared":
        provider = realm["components"]["org.keycloak.userprofile.UserProfileProvider"][0]
        profile = user_profile(realm)
        profile["attributes"] = [a for a in profile["attributes"] if a["name"] != "organisation"]
        provider["config"]["kc.user.profile.config"] = [json.dumps(profile)]
    elif how == "audience":
        scope = realm["clientScopes"][0]
        scope["protocolMappers"] = [
            m for m in scope["protocolMappers"] if m["protocolMapper"] != "oidc-audience-mapper"
        ]
    assert realm_problems(realm)
