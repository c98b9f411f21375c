from pathlib import Path

from pydantic import Field, SecretStr

from hdh_common.settings import EngineSettings, ServiceSettings
from workspace.queries.engine import Limits


class Settings(ServiceSettings, EngineSettings):
    port: int = Field(8005, description="Port the HTTP server listens on.")
    workspace_files_path: Path = Field(
        Path(".hdh/workspace"),
        description="Folder of the local copies of project tables that queries read.",
    )
    workspace_query_threshold: int = Field(
        10, ge=10, description="Fewest persons behind a released cell (never below 10)."
    )
    workspace_query_memory: str = Field(
        "768MB", pattern=r"^\d+(KB|MB|GB)$", description="Memory one query or analysis may use."
    )
    workspace_query_threads: int = Field(
        2, ge=1, description="Threads one query or analysis may use."
    )
    workspace_query_seconds: float = Field(
        30.0, gt=0, description="Time after which a query is interrupted."
    )
    workspace_query_max_cells: int = Field(
        10_000, ge=1, description="Most cells one aggregate query may have."
    )
    workspace_analysis_seconds: float = Field(
        600.0, gt=0, description="Time after which a free SQL analysis is interrupted."
    )
    workspace_analysis_max_rows: int = Field(
        50_000_000, ge=1, description="Most rows the result of one analysis may have."
    )
    workspace_retention_days: int = Field(
        0,
        ge=0,
        description="Days a closed project's own files (analysis results, local copies) are"
        " kept before removal; 0: removed at closure.",
    )
    workspace_purge_interval: float = Field(
        300.0, gt=0, description="Seconds between two looks for closed spaces to purge."
    )
    workspace_output_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest file a member may save as an output."
    )
    workspace_review_days: int = Field(
        5, ge=1, description="French business days the checkers have to decide a request."
    )

    @property
    def limits(self) -> Limits:
        """What one query or analysis may use."""
        return Limits(
            memory=self.workspace_query_memory,
            threads=self.workspace_query_threads,
            seconds=self.workspace_query_seconds,
            max_cells=self.workspace_query_max_cells,
        )

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
