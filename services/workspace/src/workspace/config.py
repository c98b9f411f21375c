from pydantic import Field, SecretStr

from hdh_common.settings import ServiceSettings


class Settings(ServiceSettings):
    port: int = Field(8005, description="Port the HTTP server listens on.")
    workspace_jupyterhub_url: str = Field(
        "",
        description="Base URL of JupyterHub's REST API (e.g. `http://hub:8081/hub/api`), where"
        " notebook sessions are started; empty: sessions are refused (503).",
    )
    workspace_jupyterhub_token: SecretStr = Field(
        SecretStr(""),
        description="API token of the workspace's JupyterHub service (starts and stops servers).",
    )
    workspace_sts_endpoint: str = Field(
        "",
        description="URL of the STS API that issues a session's S3 credentials (AssumeRole);"
        " empty: the S3 API's own endpoint (MinIO serves STS there).",
    )
    workspace_session_role_arn: str = Field(
        "",
        description="Role a session's credentials assume (AWS needs one; MinIO ignores it).",
    )
    workspace_session_hours: float = Field(
        8.0,
        ge=0.25,
        le=12,
        description="Longest life of a notebook session and its S3 credentials (hours); a"
        " grant ending sooner ends them sooner.",
    )
    workspace_session_sweep_seconds: float = Field(
        5.0,
        gt=0,
        description="Seconds between rounds that stop the sessions whose access ended.",
    )
    workspace_projects_bucket: str = Field(
        "projects", description="Bucket of the projects' extracts, one prefix per project."
    )
