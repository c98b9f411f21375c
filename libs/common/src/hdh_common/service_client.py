"""Calls from one service to another, under the caller's own service identity.

Each call carries a fresh service token (issuer ``hdh-service``, role ``system``, audience the
service called). Whatever goes wrong — no service key, the callee out of reach, an answer
that is not a 200 with JSON — is a :class:`ServiceUnavailable`: a caller deciding on rights
refuses when it cannot be sure (fail closed).
"""

from collections.abc import Mapping
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from hdh_common.errors import ServiceUnavailable
from hdh_common.identity import SERVICE_TOKEN_ISSUER, InternalTokenSigner, service_principal
from hdh_common.logs import request_id_var
from hdh_common.state import service_state

SERVICE_TOKEN_TTL_SECONDS = 30


class ServiceClient:
    def __init__(
        self, *, service: str, private_pem: str, urls: Mapping[str, str], http: httpx.AsyncClient
    ) -> None:
        self._signer = (
            InternalTokenSigner(
                private_pem, issuer=SERVICE_TOKEN_ISSUER, ttl_seconds=SERVICE_TOKEN_TTL_SECONDS
            )
            if private_pem
            else None
        )
        self._principal = service_principal(service)
        self._urls = dict(urls)
        self.http = http

    async def get(self, target: str, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        """The JSON body of ``GET path`` on the ``target`` service, answered with a 200."""
        if self._signer is None or target not in self._urls:
            raise ServiceUnavailable(f"This service is not set up to ask the {target} service.")
        token = self._signer.sign(self._principal, audience=target)
        headers = {"Authorization": f"Bearer {token}"}
        if request_id := request_id_var.get():
            headers["X-Request-ID"] = request_id
        try:
            response = await self.http.get(
                f"{self._urls[target]}{path}", params=params, headers=headers
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable(
                f"The {target} service could not answer ({type(exc).__name__}); refused until"
                " it can."
            ) from exc

    async def aclose(self) -> None:
        await self.http.aclose()


def _service_client(request: Request) -> ServiceClient:
    return service_state(request).service_client


ServiceClientDep = Annotated[ServiceClient, Depends(_service_client)]
