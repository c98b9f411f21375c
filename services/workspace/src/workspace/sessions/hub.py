"""JupyterHub's REST API, as the workspace uses it: a user's named server per project,
started with options (the session's environment) and stopped. The hub's token belongs to the
workspace's JupyterHub service (scopes: admin:users, admin:servers)."""

from typing import Any
from urllib.parse import quote

import httpx

from hdh_common.errors import ServiceUnavailable
from hdh_common.tracing import Tracing


class HubUnavailable(ServiceUnavailable):
    slug, title = "sessions-unavailable", "The notebook hub cannot be reached"


class JupyterHub:
    def __init__(self, *, url: str, token: str, timeout: float, tracing: Tracing) -> None:
        self._configured = bool(url and token)
        self._http = tracing.client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"token {token}"},
            timeout=timeout,
        )

    async def start(self, user: str, server: str, *, options: dict[str, Any]) -> None:
        """Create ``user`` if new and start their server ``server`` (a running one is replaced:
        its credentials may be older)."""
        await self._call("POST", _user(user), ok=(201, 409))
        path = _server(user, server)
        answer = await self._call("POST", path, json=options, ok=(201, 202, 400))
        if answer.status_code == 400:  # already running or pending
            await self.stop(user, server)
            await self._call("POST", path, json=options, ok=(201, 202))

    async def stop(self, user: str, server: str) -> None:
        """Stop and remove ``user``'s server ``server``; one already gone is stopped."""
        await self._call("DELETE", _server(user, server), json={"remove": True}, ok=(202, 204, 404))

    async def servers(self, user: str) -> dict[str, Any]:
        """``user``'s servers by name (an unknown user has none)."""
        answer = await self._call("GET", _user(user), ok=(200, 404))
        if answer.status_code == 404:
            return {}
        servers: dict[str, Any] = answer.json().get("servers") or {}
        return servers

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, *, ok: tuple[int, ...], json: Any = None
    ) -> httpx.Response:
        if not self._configured:
            raise HubUnavailable("Notebook sessions are not set up on this platform.")
        try:
            answer = await self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise HubUnavailable(
                f"The notebook hub did not answer ({type(exc).__name__})."
            ) from exc
        if answer.status_code not in ok:
            said = _message(answer)
            raise HubUnavailable(f"The notebook hub refused {method} ({answer.status_code}{said}).")
        return answer


def _user(user: str) -> str:
    return f"/users/{quote(user, safe='')}"


def _server(user: str, server: str) -> str:
    return f"{_user(user)}/servers/{quote(server, safe='')}"


def _message(answer: httpx.Response) -> str:
    try:
        message = answer.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {str(message)[:200]}" if message else ""
