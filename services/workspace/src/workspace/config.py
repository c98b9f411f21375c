from pydantic import Field

from hdh_common.settings import ServiceSettings


class Settings(ServiceSettings):
    port: int = Field(8005, description="Port the HTTP server listens on.")
