"""Event contracts: what the access service publishes, and what it consumes (from the
catalogue and the linkage service; its own copy of what it reads)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from access.grants.models import GrantStatus
from access.requests.schemas import LinkageNeed

PROJECT_CREATED = "hdh.access.project.created.v1"
PROJECT_CLOSED = "hdh.access.project.closed.v1"
MEMBER_ADDED = "hdh.access.project.member_added.v1"
MEMBER_REMOVED = "hdh.access.project.member_removed.v1"
DOCUMENT_UPLOADED = "hdh.access.document.uploaded.v1"
MESSAGE_SENT = "hdh.access.message.sent.v1"
CONFLICT_DECLARED = "hdh.access.conflict.declared.v1"
OPINION_RECORDED = "hdh.access.opinion.recorded.v1"
DECISION_RECORDED = "hdh.access.decision.recorded.v1"
AGREEMENT_RECORDED = "hdh.access.agreement.recorded.v1"
DATASET_REGISTERED = "hdh.catalog.dataset.registered.v1"
TABLE_PUBLISHED = "hdh.catalog.table.published.v1"
EXTRACT_COMPLETED = "hdh.linkage.extract.completed.v1"
EXTRACT_FAILED = "hdh.linkage.extract.failed.v1"
OUTPUT_RELEASED = "hdh.workspace.output.released.v1"


class GrantEvent(StrEnum):
    """A grant is issued, then ends once, as the status it ends in says."""

    ISSUED = "hdh.access.grant.issued.v1"
    EXPIRED = "hdh.access.grant.expired.v1"
    REVOKED = "hdh.access.grant.revoked.v1"
    SUPERSEDED = "hdh.access.grant.superseded.v1"
    ENDED = "hdh.access.grant.ended.v1"

    @classmethod
    def ending_as(cls, status: GrantStatus) -> "GrantEvent":
        return cls[status.name]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ProjectCreated(_Payload):
    """``hdh.access.project.created.v1`` (subject = project id)."""

    project_id: uuid.UUID
    organisation: str
    principal_investigator: str


class ProjectClosed(_Payload):
    """``hdh.access.project.closed.v1`` (subject = project id): its last grant ended."""

    project_id: uuid.UUID
    request_id: uuid.UUID


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


class GrantedVariable(_Payload):
    table: str
    name: str


class GrantedDataset(_Payload):
    dataset_id: uuid.UUID
    variables: list[GrantedVariable]
    event_dates: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Each granted table's event-date column(s): its rows are kept when one of"
        " them falls inside the period. An empty list: the table has no event date and is"
        " granted whole.",
    )


class GrantChanged(_Payload):
    """``hdh.access.grant.<GrantEvent>.v1`` (subject = project id, so a project's grants
    keep their order); ``members`` only when issued: who may read the extract."""

    grant_id: uuid.UUID
    request_id: uuid.UUID
    project_id: uuid.UUID
    datasets: list[GrantedDataset]
    linkage: list[LinkageNeed] = Field(
        default_factory=list, description="The linkages asked for: run on the extract."
    )
    period_start: date
    period_end: date
    expires_on: date
    status: GrantStatus
    end_reason: str | None
    issued_at: datetime
    ended_at: datetime | None
    members: list[str] | None = None


class RequestMoved(_Payload):
    """``hdh.access.request.<transition's event>.v1`` (subject = request id)."""

    request_id: uuid.UUID
    project_id: uuid.UUID
    transition: str
    from_state: str
    to_state: str
    reason: str | None
    due_on: date | None
    version: int
    outcome: Literal["denied"] | None = Field(
        None, description="What the audit trail records: a rejected or refused request is denied."
    )


class ReviewRecorded(_Payload):
    """``hdh.access.{opinion,decision,agreement}.recorded.v1`` (subject = request id)."""

    request_id: uuid.UUID
    record_id: uuid.UUID
    kind: str
    decision: str = Field(description="The record's own outcome (favourable, refused, signed…).")
    reference: str | None
    decided_on: date
    round: int | None


class DocumentUploaded(_Payload):
    """``hdh.access.document.uploaded.v1`` (subject = request id); the file name stays in
    the service, the hash identifies the bytes."""

    document_id: uuid.UUID
    request_id: uuid.UUID
    kind: str
    version: int
    size: int
    sha256: str


class MessageSent(_Payload):
    """``hdh.access.message.sent.v1`` (subject = request id); the text stays in the thread."""

    message_id: uuid.UUID
    request_id: uuid.UUID
    author_role: str


class ConflictDeclared(_Payload):
    """``hdh.access.conflict.declared.v1`` (subject = request id); the statement stays in
    the service."""

    request_id: uuid.UUID
    subject: str = Field(description="Who declared a conflict of interest on the request.")


class DatasetRegistered(_Payload):
    """Consumed: ``hdh.catalog.dataset.registered.v1``."""

    dataset_id: uuid.UUID
    slug: str = Field(max_length=100)
    title: str = Field(max_length=500)
    publisher: str = Field(max_length=100)


class PublishedVariable(_Payload):
    name: str = Field(min_length=1, max_length=200)
    event_date: bool = False
    identifier: str = Field("none", min_length=1, max_length=30)


class TablePublished(_Payload):
    """Consumed: ``hdh.catalog.table.published.v1``, a table's whole current variable list
    (a snapshot, so replaying or reordering is harmless)."""

    dataset_id: uuid.UUID
    table: str = Field(min_length=1, max_length=200)
    variables: list[PublishedVariable]


class ExtractFailed(_Payload):
    """Consumed: ``hdh.linkage.extract.failed.v1`` moves the request to preparation_failed."""

    request_id: uuid.UUID | None = Field(description="None for a grant of no request.")
    reason: str = Field(max_length=5_000)


class OutputReleased(_Payload):
    """Consumed: ``hdh.workspace.output.released.v1`` counts in the project's register lines."""

    project_id: uuid.UUID
    output_id: uuid.UUID
    released_at: datetime


class ExtractCompleted(_Payload):
    """Consumed: ``hdh.linkage.extract.completed.v1`` moves the request on to active."""

    request_id: uuid.UUID
