from pydantic import Field, SecretStr

from hdh_common.settings import CommonSettings

SERVICES = ("catalog", "access", "linkage", "audit")


class Settings(CommonSettings):
    port: int = Field(8000, description="Port the HTTP server listens on.")
    catalog_url: str = Field(
        "http://127.0.0.1:8001", description="Base URL of the catalogue service."
    )
    access_url: str = Field("http://127.0.0.1:8002", description="Base URL of the access service.")
    linkage_url: str = Field(
        "http://127.0.0.1:8003", description="Base URL of the linkage service."
    )
    audit_url: str = Field("http://127.0.0.1:8004", description="Base URL of the audit service.")
    internal_token_private_key: SecretStr = Field(
        SecretStr(""),
        description="PEM private key (Ed25519) the gateway signs internal tokens with.",
    )
    readiness_timeout: float = Field(2.0, description="Seconds to wait for a service's `/readyz`.")

    def service_urls(self) -> dict[str, str]:
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICES}
