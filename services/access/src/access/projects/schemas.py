import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from access.text import STORABLE

ProjectRole = Literal["pi", "member", "data_manager"]
Text = Field(min_length=1, max_length=20_000, pattern=STORABLE)
LAY_SUMMARY_MAX_LENGTH = 2_000
LaySummary = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=LAY_SUMMARY_MAX_LENGTH, pattern=STORABLE
    ),
    Field(
        description="What the project does and why, in plain language for the public: the "
        f"register publishes it (at most {LAY_SUMMARY_MAX_LENGTH} characters)."
    ),
]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300, pattern=STORABLE)
    summary: str = Text
    lay_summary: LaySummary
    purpose: str = Text
    public_interest: str = Field(
        min_length=1,
        max_length=20_000,
        pattern=STORABLE,
        description="Why the project serves the public interest.",
    )
    organisation: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=STORABLE,
        description="Taken from the caller's identity (the public register publishes it); if "
        "given, it must be the same (403 `organisation-mismatch` otherwise).",
    )
    funding: str = Field("", max_length=5_000, pattern=STORABLE)


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=300, pattern=STORABLE)
    summary: str | None = Field(None, min_length=1, max_length=20_000, pattern=STORABLE)
    lay_summary: LaySummary | None = None
    purpose: str | None = Field(None, min_length=1, max_length=20_000, pattern=STORABLE)
    public_interest: str | None = Field(None, min_length=1, max_length=20_000, pattern=STORABLE)
    funding: str | None = Field(None, max_length=5_000, pattern=STORABLE)


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(
        min_length=1, max_length=255, pattern=STORABLE, description="The member's subject id."
    )
    role: Literal["member", "data_manager"]


class Member(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    role: ProjectRole
    added_at: datetime


class Project(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    summary: str
    lay_summary: str | None = Field(description="None for a project created before it existed.")
    purpose: str
    public_interest: str
    organisation: str
    funding: str
    principal_investigator: str
    members: list[Member]
    version: int
    created_at: datetime
