"""The tests' JupyterHub: the chart's configuration (``hdh_hub.configure``), with a local
spawner running ``session_server.py`` instead of KubeSpawner, and no login."""

import os
import sys

from hdh_hub import configure

c = get_config()  # type: ignore[name-defined]  # noqa: F821
here = os.path.dirname(os.path.abspath(__file__))
configure(c, workspace_token=os.environ["HDH_TEST_HUB_TOKEN"])
c.JupyterHub.bind_url = os.environ["HDH_TEST_HUB_URL"]
c.JupyterHub.hub_bind_url = os.environ["HDH_TEST_HUB_INTERNAL_URL"]
c.ConfigurableHTTPProxy.api_url = os.environ["HDH_TEST_PROXY_API_URL"]
c.ConfigurableHTTPProxy.command = [os.environ["HDH_TEST_PROXY_COMMAND"]]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = "sqlite:///" + os.path.join(os.environ["HDH_TEST_SESSIONS"], "hub.sqlite")
c.JupyterHub.cookie_secret = os.urandom(32)
c.JupyterHub.cleanup_servers = True
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [sys.executable, os.path.join(here, "session_server.py")]
c.Spawner.args = []
c.Spawner.start_timeout = 20
c.Spawner.http_timeout = 20
c.Spawner.environment = {"HDH_TEST_SESSIONS": os.environ["HDH_TEST_SESSIONS"]}
c.JupyterHub.authenticator_class = "null"
c.Authenticator.allow_all = True
homes = os.path.join(os.environ["HDH_TEST_SESSIONS"], "home")
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(homes, "{username}")
# A test-only service that mints users' tokens, to show what users themselves may do.
c.JupyterHub.services.append({"name": "tester", "api_token": os.environ["HDH_TEST_TESTER_TOKEN"]})
c.JupyterHub.load_roles.append({"name": "tester", "scopes": ["tokens"], "services": ["tester"]})
