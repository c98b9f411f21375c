import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RegisterStatus = Literal[
    "authorised", "refused", "active", "closed", "withdrawn", "revoked", "expired"
]
VariableCategory = Literal["identifier", "demographics", "event_dates", "other"]


class RegisteredTable(BaseModel):
    name: str
    variables: int = Field(description="How many of the table's variables were asked for.")


class RegisteredDataset(BaseModel):
    dataset_id: uuid.UUID
    title: str = Field(description="The catalogue's title of the dataset.")
    tables: list[RegisteredTable] = Field(
        default_factory=list,
        description="The tables asked for (empty on lines published "
        "before the register listed them).",
    )
    categories: list[VariableCategory] = Field(
        default_factory=list,
        description="The categories of the variables asked for, from the catalogue's "
        "dictionary: `identifier` (a direct or national identifier, pseudonymised in the "
        "project), `demographics` (birth date, sex), `event_dates` (the tables' event dates), "
        "`other` (any other variable).",
    )


class RegisterEntry(BaseModel):
    """A line of the public register: what a public register shows, and nothing about the
    researchers beyond their organisation."""

    model_config = ConfigDict(from_attributes=True)

    request_id: uuid.UUID
    project_title: str
    lay_summary: str | None = Field(
        description="The applicants' plain-language summary (None on lines of projects "
        "created before it existed)."
    )
    organisation: str
    purpose: str
    datasets: list[RegisteredDataset]
    legal_basis: str
    committee_opinion_reference: str | None = Field(
        description="The reference of the ethics and scientific committee's (CESREES) opinion."
    )
    regulator_decision_reference: str | None = Field(
        description="The reference of the regulator's (CNIL) decision: the authorisation "
        "number, or the refusal's; None under a reference methodology."
    )
    status: RegisterStatus
    decided_on: date = Field(description="The day of the decision: authorisation or refusal.")
    started_on: date | None = Field(description="The day the project's data became available.")
    ends_on: date | None = Field(description="The day the project's access is due to end.")
    closed_on: date | None = Field(
        description="The day access ended: closed, withdrawn, revoked or expired."
    )
    justification: str | None
    published_at: datetime
    updated_at: datetime
    outputs_released: int = Field(
        0, description="Results released from the project's space after output checking."
    )
    last_output_released_at: datetime | None = None


class RegisterFilters(BaseModel):
    q: str | None = None
    organisation: str | None = None
    dataset: uuid.UUID | None = None
    status: RegisterStatus | None = None
    year: int | None = None
