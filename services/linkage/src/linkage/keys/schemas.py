from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DomainKeyVersion(BaseModel):
    """A key version's state; key material never leaves the service."""

    model_config = ConfigDict(from_attributes=True)

    domain: str
    version: int
    status: str
    created_at: datetime
    retired_at: datetime | None
    destroyed_at: datetime | None


class Domain(BaseModel):
    domain: str
    active_version: int | None
    versions: list[DomainKeyVersion]


class Rotated(BaseModel):
    domain: str
    active_version: int


class Destroyed(BaseModel):
    domain: str
    versions_destroyed: int
