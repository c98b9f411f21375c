"""Event contracts the access service publishes (more move here as they are typed)."""

import uuid

from pydantic import BaseModel, ConfigDict, Field

PROJECT_CREATED = "hdh.access.project.created.v1"
MEMBER_ADDED = "hdh.access.project.member_added.v1"
MEMBER_REMOVED = "hdh.access.project.member_removed.v1"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProjectCreated(_Payload):
    """``hdh.access.project.created.v1`` (subject = project id)."""

    project_id: uuid.UUID
    organisation: str
    principal_investigator: str


class MemberAdded(_Payload):
    """``hdh.access.project.member_added.v1`` (subject = project id)."""

    project_id: uuid.UUID
    subject: str = Field(description="The member's subject id.")
    role: str


class MemberRemoved(_Payload):
    """``hdh.access.project.member_removed.v1`` (subject = project id): whoever authorises
    on the project's members drops this one at once."""

    project_id: uuid.UUID
    subject: str = Field(description="The former member's subject id.")
