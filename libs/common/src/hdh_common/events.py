"""The CloudEvents 1.0 envelope (structured mode, JSON) every event travels in."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hdh_common.logs import correlation_id_var, request_id_var
from hdh_common.tracing import current_traceparent


def _now() -> datetime:
    return datetime.now(UTC)


class CloudEvent(BaseModel):
    """``type`` is ``hdh.<service>.<aggregate>.<verb>.v1``; ``subject`` the aggregate id."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1, max_length=64)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1, pattern=r"^[a-z0-9_.\-]+$")
    subject: str | None = None
    time: datetime = Field(default_factory=_now)
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    actor: str | None = None
    correlationid: str | None = None
    requestid: str | None = Field(None, description="The HTTP request that caused the event.")
    traceparent: str | None = None

    @classmethod
    def new(
        cls, *, source: str, type: str, subject: str, data: dict[str, Any], actor: str | None
    ) -> "CloudEvent":
        """An event carrying the correlation id, HTTP request id and trace context of the work
        in progress."""
        return cls(
            source=source,
            type=type,
            subject=subject,
            data=data,
            actor=actor,
            correlationid=correlation_id_var.get(),
            requestid=request_id_var.get(),
            traceparent=current_traceparent(),
        )

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()
