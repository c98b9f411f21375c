"""The chart's JupyterHub (image jupyterhub/k8s-hub: KubeSpawner, OAuthenticator):
login with the platform's OIDC provider, one pod per session, started only by the workspace
service (``hdh_hub.configure``). Everything deployment-specific comes from the environment
the chart's Deployment sets."""

import os

from hdh_hub import configure

c = get_config()  # type: ignore[name-defined]  # noqa: F821
env = os.environ

configure(c, workspace_token=env["HDH_HUB_WORKSPACE_TOKEN"])
c.JupyterHub.hub_bind_url = f"http://:{env['HDH_HUB_PORT']}"
c.JupyterHub.hub_connect_url = env["HDH_HUB_CONNECT_URL"]
c.JupyterHub.cookie_secret = bytes.fromhex(env["HDH_HUB_COOKIE_SECRET"])
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cleanup_servers = False  # sessions outlive a hub restart
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = env["HDH_HUB_PROXY_API_URL"]
c.ConfigurableHTTPProxy.auth_token = env["CONFIGPROXY_AUTH_TOKEN"]

c.JupyterHub.authenticator_class = "generic-oauth"
issuer = env["HDH_HUB_OIDC_ISSUER"].rstrip("/")
c.GenericOAuthenticator.client_id = env["HDH_HUB_OIDC_CLIENT_ID"]
c.GenericOAuthenticator.client_secret = env["HDH_HUB_OIDC_CLIENT_SECRET"]
c.GenericOAuthenticator.oauth_callback_url = f"{env['HDH_HUB_PUBLIC_URL']}/hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = f"{issuer}/protocol/openid-connect/auth"
c.GenericOAuthenticator.token_url = f"{issuer}/protocol/openid-connect/token"
c.GenericOAuthenticator.userdata_url = f"{issuer}/protocol/openid-connect/userinfo"
c.GenericOAuthenticator.scope = ["openid"]
# The user's name is the token's subject: the workspace names sessions' users by it.
c.GenericOAuthenticator.username_claim = "sub"
c.GenericOAuthenticator.allow_all = True  # who may start a session is the workspace's call

c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.namespace = env["HDH_HUB_NAMESPACE"]
c.KubeSpawner.image = env["HDH_HUB_SESSION_IMAGE"]
c.KubeSpawner.port = int(env["HDH_HUB_SESSION_PORT"])
c.KubeSpawner.cpu_limit = float(env["HDH_HUB_SESSION_CPU_LIMIT"])
c.KubeSpawner.mem_limit = env["HDH_HUB_SESSION_MEMORY_LIMIT"]
c.KubeSpawner.start_timeout = int(env["HDH_HUB_SESSION_START_TIMEOUT"])
c.KubeSpawner.storage_pvc_ensure = False  # nothing stays in a session: results go to the space
c.KubeSpawner.automount_service_account_token = False
c.KubeSpawner.uid, c.KubeSpawner.gid, c.KubeSpawner.fs_gid = 1000, 100, 100
c.KubeSpawner.allow_privilege_escalation = False
c.KubeSpawner.container_security_context = {
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
# The labels the chart's NetworkPolicies select session pods by.
c.KubeSpawner.extra_labels = {
    "app.kubernetes.io/name": env["HDH_HUB_CHART_NAME"],
    "app.kubernetes.io/instance": env["HDH_HUB_RELEASE"],
    "app.kubernetes.io/component": "notebook-session",
}
