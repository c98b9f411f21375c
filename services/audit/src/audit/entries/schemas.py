import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from audit.entries.bounds import payload_problem


def _now() -> datetime:
    return datetime.now(UTC)


class EntryCreate(BaseModel):
    """What a service (or an event) tells the log; the log adds the sequence number."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(
        default_factory=lambda: str(uuid.uuid4()),
        min_length=1,
        max_length=64,
        description="Idempotence key: an event id already in the log is not appended again.",
    )
    time: datetime = Field(default_factory=_now)
    source: str | None = None
    actor: str | None = Field(None, description="Subject id of who acted.")
    action: str = Field(min_length=1, examples=["hdh.access.grant.issued.v1"])
    resource_type: str | None = Field(None, examples=["grant"])
    resource_id: str | None = None
    project: str | None = None
    outcome: str = Field("success", min_length=1, examples=["success", "denied", "failure"])
    client_ip: str | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    purpose: str | None = Field(
        None, description="The grant or access request the action was taken under."
    )
    payload: dict[str, Any] = Field(default_factory=dict)


class EntryAppend(BaseModel):
    """What a service tells the log over HTTP. Who appended (actor and source), when and from
    which address come from the caller's identity, the server's clock and the connection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(
        default_factory=lambda: str(uuid.uuid4()),
        min_length=1,
        max_length=64,
        description="Idempotence key: an event id already in the log is not appended again.",
    )
    action: str = Field(min_length=1, max_length=255, examples=["hdh.linkage.job.ran.v1"])
    resource_type: str | None = Field(None, max_length=100, examples=["grant"])
    resource_id: str | None = Field(None, max_length=255)
    project: str | None = Field(None, max_length=255)
    outcome: str = Field("success", min_length=1, max_length=20, examples=["success", "failure"])
    correlation_id: str | None = Field(None, max_length=255)
    purpose: str | None = Field(
        None, max_length=255, description="The grant or access request the action was under."
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="At most 32 levels deep and 64 KiB as JSON."
    )

    @field_validator("payload")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if problem := payload_problem(value):
            raise ValueError(problem)
        return value


class Receipt(BaseModel):
    seq: int
    leaf_index: int
    leaf_hash: str = Field(description="Hex SHA-256(0x00 || RFC 8785 JSON of the entry).")
    event_id: str
    duplicate: bool = Field(False, description="The event id was already in the log.")


class EntryWithProof(BaseModel):
    seq: int
    leaf_index: int
    entry: dict[str, Any] = Field(description="The entry, exactly as hashed (RFC 8785).")
    leaf_hash: str


class EntryFilter(BaseModel):
    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    project: str | None = None
    outcome: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
