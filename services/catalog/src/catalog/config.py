from pathlib import Path

from pydantic import Field

from hdh_common.settings import ServiceSettings


class Settings(ServiceSettings):
    port: int = Field(8001, description="Port the HTTP server listens on.")
    catalog_base_uri: str = Field(
        "https://catalogue.health-data-hub.fr",
        description="Base of the IRIs the DCAT-AP export mints for the catalogue and its datasets.",
    )
    catalog_dcat_page_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Datasets per page of the DCAT-AP feed (`/catalog/dcat?page=N`, "
        "a hydra PagedCollection as ckanext-dcat serves it).",
    )
    catalog_hdab_name: str = Field(
        "Health Data Hub", description="Health data access body named in the DCAT-AP export."
    )
    catalog_hdab_email: str = Field(
        "dpo@health-data-hub.fr",
        description="Contact e-mail of the health data access body in the DCAT-AP export.",
    )
    catalog_landing_bucket: str = Field(
        "landing",
        description="Bucket receiving producer uploads, and their validated Parquet versions"
        " until the linkage service has pseudonymised them into `central`.",
    )
    catalog_upload_ttl_hours: float = Field(
        24.0, description="Hours after which an upload never completed expires and is purged."
    )
    catalog_upload_max_part_bytes: int = Field(
        512 * 1024 * 1024, description="Largest upload part accepted, in bytes."
    )
    catalog_report_max_errors: int = Field(
        100, description="Errors listed in full in a validation report (all are counted)."
    )
    catalog_report_errors_per_rule: int = Field(
        10,
        description="Errors listed for each rule and column of a validation report, within"
        " `HDH_CATALOG_REPORT_MAX_ERRORS` (the rest are counted).",
    )
    catalog_small_cell_threshold: int = Field(
        10, description="Smallest count served in column statistics (SNDS small-cell rule)."
    )
    catalog_seed_path: Path | None = Field(
        None,
        description=(
            "Folder of Table Schemas imported on first start into an empty catalogue (the SNDS "
            "folder in `make up`); a missing folder seeds a small demo. Unset: no seeding."
        ),
    )
