"""The dev issuer's endpoints under ``/idp`` (only mounted when the dev issuer is on)."""

import html
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from gateway.errors import OidcClientRefused, OidcError
from gateway.idp.issuer import DevIssuer
from hdh_common.errors import PayloadTooLarge, problem_responses

MAX_FORM_BYTES = 16 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
router = APIRouter(prefix="/idp", tags=["dev issuer"])


def _issuer(request: Request) -> DevIssuer:
    issuer: DevIssuer = request.state.dev_issuer
    return issuer


IssuerDep = Annotated[DevIssuer, Depends(_issuer)]


async def _form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLarge("The form is too large.")
    return dict(parse_qsl(body.decode("utf-8", "replace")))


FormDep = Annotated[dict[str, str], Depends(_form)]


@router.get("/.well-known/openid-configuration", summary="OIDC discovery")
async def discovery(issuer: IssuerDep) -> dict[str, Any]:
    return issuer.discovery()


@router.get("/jwks", summary="Signing keys (JWKS)")
async def jwks(issuer: IssuerDep) -> dict[str, Any]:
    return issuer.keys.public_jwks()


@router.post(
    "/token",
    summary="Token endpoint (client credentials, password, authorization code + PKCE)",
    responses=problem_responses(OidcError, OidcClientRefused),
)
async def token(request: Request, issuer: IssuerDep, form: FormDep) -> JSONResponse:
    body = issuer.token(form, authorization=request.headers.get("authorization"))
    return JSONResponse(body, headers=NO_STORE)


@router.get("/authorize", summary="Login page of the code grant", response_class=HTMLResponse)
async def authorize_page(request: Request, issuer: IssuerDep) -> HTMLResponse:
    params = dict(request.query_params)
    issuer.check_authorize_request(params)
    return HTMLResponse(_login_page(params), headers=NO_STORE)


@router.post("/authorize", summary="Log in and get a code", response_class=RedirectResponse)
async def authorize(issuer: IssuerDep, form: FormDep) -> RedirectResponse:
    return RedirectResponse(issuer.authorize(form), status_code=303)


def _login_page(params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k
        in {
            "client_id",
            "redirect_uri",
            "state",
            "code_challenge",
            "code_challenge_method",
            "nonce",
            "scope",
            "response_type",
        }
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>HDH dev login</title></head>"
        "<body><h1>Health Data Hub — dev login</h1>"
        "<p>Demo accounts: alice, bruno, paul, sara, carl, rita, odile (password = name).</p>"
        f"<form method='post'>{hidden}"
        "<label>User <input name='username' autofocus></label> "
        "<label>Password <input name='password' type='password'></label> "
        "<button type='submit'>Log in</button></form></body></html>"
    )
