import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DomainKeyVersion(BaseModel):
    """A key version's state; key material never leaves the service."""

    model_config = ConfigDict(from_attributes=True)

    domain: str
    version: int
    status: str
    master_key_id: str = Field(description="Key id of the master key that seals this key.")
    created_at: datetime
    retired_at: datetime | None
    destroyed_at: datetime | None


class Domain(BaseModel):
    domain: str
    active_version: int | None
    versions: list[DomainKeyVersion]
    pending_destruction: "DestructionRequest | None" = Field(
        None, description="A request to destroy the keys, waiting for a second person."
    )


class Rotated(BaseModel):
    domain: str
    active_version: int


class DestructionRequestCreate(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"^[^\x00]*$",
        description="Why the keys must go; a second hub staff member reads it to confirm.",
    )


class DestructionRequest(BaseModel):
    """A request to destroy a domain's keys; carried out when another staff member confirms."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    domain: str
    reason: str
    requested_by: str
    requested_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None


class Destroyed(BaseModel):
    domain: str
    versions_destroyed: int
    request: DestructionRequest


Domain.model_rebuild()
