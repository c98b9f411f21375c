from pathlib import Path

from pydantic import Field, SecretStr

from hdh_common.settings import EngineSettings, HsmSettings, ServiceSettings


class Settings(ServiceSettings, HsmSettings, EngineSettings):
    port: int = Field(8003, description="Port the HTTP server listens on.")
    linkage_master_key: SecretStr = Field(
        SecretStr(""),
        description=(
            "Base64 of the 256-bit master key that encrypts pseudonym domain keys (AES-GCM)."
            " Required in production unless the master key is in an HSM (`HDH_HSM_MODULE`); in"
            " dev, when empty, one is generated into `HDH_LINKAGE_MASTER_KEY_PATH`. Its key id,"
            " recorded with each domain key it seals, is `file`."
        ),
    )
    linkage_master_key_label: str = Field(
        "hdh-linkage-master",
        description="Label of the master key's versions in the HSM (when `HDH_HSM_MODULE` is"
        " set): AES-256 keys, one per version (`CKA_ID` = the version number), that seal and"
        " open domain keys inside the token. `HDH_LINKAGE_MASTER_KEY`, if also set, then only"
        " opens the domain keys it sealed until they are re-sealed in the HSM.",
    )
    linkage_master_key_path: Path = Field(
        Path(".hdh/keys/linkage-master.key"),
        description="Dev only: file holding the generated master key when none is configured.",
    )
    linkage_batch_rows: int = Field(
        65_536, ge=1, description="Rows per Parquet record batch read and written by jobs."
    )
    linkage_workers: int = Field(
        2,
        ge=1,
        description="Threads transforming record batches in parallel, for large files.",
    )
    linkage_job_poll_interval: float = Field(
        1.0, gt=0, description="Seconds between scans for queued linkage jobs."
    )
