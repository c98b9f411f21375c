import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, UrlConstraints

EventTypePattern = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=r"^hdh\.access\.[a-z0-9_.]*\*?$"),
]

_ADDRESS_PART = r"[^@\s<>,;\x00-\x1f\x7f]+"
Address = Annotated[
    str,
    StringConstraints(
        max_length=320, pattern=rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$"
    ),
]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)] = Field(
        description="The partner endpoint events are posted to."
    )
    event_types: list[EventTypePattern] = Field(
        min_length=1,
        max_length=50,
        description="Event types (`hdh.access.request.submitted.v1`) or prefixes ending in `*` "
        "(`hdh.access.request.*`).",
        examples=[["hdh.access.request.*", "hdh.access.grant.issued.v1"]],
    )


class Webhook(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation: str
    url: str
    event_types: list[str]
    created_by: str
    created_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(
        description="The signing secret (`whsec_…`), shown once: verify `webhook-signature` "
        "with it, as the Standard Webhooks libraries do."
    )


class Delivery(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The `webhook-id` header of every attempt.")
    webhook_id: uuid.UUID
    event_id: str
    event_type: str
    status: str = Field(description="pending, delivered, or dead (every attempt failed).")
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryWithPayload(Delivery):
    payload: dict[str, Any] = Field(description="The body posted: the event as published.")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Address


class Contact(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    email: str
