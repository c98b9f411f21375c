import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from access.text import STORABLE

Reference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=STORABLE),
]
Body = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000, pattern=STORABLE),
]


class OpinionCreate(BaseModel):
    """The ethics and scientific committee's opinion (CESREES)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["favourable", "favourable_with_reservations", "unfavourable"]
    reference: Reference
    decided_on: date
    text: Body
    document_id: uuid.UUID | None = None


class RegulatorDecisionCreate(BaseModel):
    """The regulator's (CNIL) decision: an authorisation number, or a refusal."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["authorised", "refused"]
    reference: Reference = Field(description="The authorisation number, or the refusal's.")
    decided_on: date
    text: str = Field("", max_length=20_000, pattern=STORABLE)
    document_id: uuid.UUID | None = None


class AgreementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["data_holder_agreement", "data_use_agreement"]
    reference: Reference
    signed_on: date
    document_id: uuid.UUID = Field(description="The signed document, uploaded first.")


class Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    outcome: str
    round: int | None = Field(description="The committee round of an opinion.")
    reference: str
    decided_on: date
    text: str
    document_id: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime


class ConflictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: Body = Field(description="The nature of the conflict of interest.")


class Conflict(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    request_id: uuid.UUID
    subject: str
    statement: str
    declared_at: datetime


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class Message(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    author: str
    author_role: str
    body: str
    created_at: datetime
