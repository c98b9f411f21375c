"""The Health Data Hub's part of JupyterHub's configuration, shared by the chart's hub and the
tests' hub: named servers, one per project, started and stopped only by the workspace
service, with the environment it sends (the session's S3 credentials) and nothing else.

Users can reach their running servers but neither start nor stop one themselves: a session
exists only with credentials the workspace issued after checking live rights.
"""

from typing import Any

WORKSPACE_SERVICE = "hdh-workspace"
# What the workspace may put in a session's environment (its spawn options' ``env``).
SESSION_ENVIRONMENT = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_S3",
        "AWS_DEFAULT_REGION",
        "HDH_PROJECT_ID",
        "HDH_SESSION_ID",
        "HDH_PROJECT_PREFIXES",
        "HDH_SESSION_EXPIRES_AT",
    }
)


def session_environment(spawner: Any) -> None:
    """``pre_spawn_hook``: the spawn options' environment into the server's, refusing any
    variable outside :data:`SESSION_ENVIRONMENT` and any start without credentials."""
    options = spawner.user_options or {}
    environment = options.get("env") or {}
    unknown = set(environment) - SESSION_ENVIRONMENT
    if unknown:
        raise ValueError(f"refused session environment: {sorted(unknown)}")
    if not environment.get("AWS_SESSION_TOKEN"):
        raise ValueError("a session starts only with the workspace's credentials")
    session = {name: str(value) for name, value in environment.items()}
    spawner.environment = {**spawner.environment, **session}


def configure(c: Any, *, workspace_token: str) -> None:
    """Named servers (one per project), the workspace's service and its role, users' narrow
    role, and the session environment hook."""
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = 0
    c.JupyterHub.services = [{"name": WORKSPACE_SERVICE, "api_token": workspace_token}]
    c.JupyterHub.load_roles = [
        {
            "name": "hdh-workspace",
            "scopes": ["admin:users", "servers", "read:users"],
            "services": [WORKSPACE_SERVICE],
        },
        {
            "name": "user",
            "scopes": ["access:servers!user", "read:servers!user", "read:users!user"],
        },
    ]
    c.Spawner.pre_spawn_hook = session_environment
    c.Spawner.default_url = "/lab"
