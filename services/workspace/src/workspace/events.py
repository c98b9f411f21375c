"""Event contracts: what the workspace consumes (from access and linkage) and publishes."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

GRANT_ISSUED = "hdh.access.grant.issued.v1"
GRANT_REVOKED = "hdh.access.grant.revoked.v1"
GRANT_EXPIRED = "hdh.access.grant.expired.v1"
GRANT_SUPERSEDED = "hdh.access.grant.superseded.v1"
GRANT_ENDED = "hdh.access.grant.ended.v1"
PROJECT_CLOSED = "hdh.access.project.closed.v1"
MEMBER_ADDED = "hdh.access.project.member_added.v1"
MEMBER_REMOVED = "hdh.access.project.member_removed.v1"
EXTRACT_COMPLETED = "hdh.linkage.extract.completed.v1"
PROJECT_DATA_LOADED = "hdh.linkage.project_data.loaded.v1"
SPACE_OPENED = "hdh.workspace.space.opened.v1"
SPACE_CLOSED = "hdh.workspace.space.closed.v1"
SPACE_PURGED = "hdh.workspace.space.purged.v1"
TABLE_REGISTERED = "hdh.workspace.table.registered.v1"
ACCESS_ENDED = "hdh.workspace.access.ended.v1"
SPACE_MEMBER_ADDED = "hdh.workspace.member.added.v1"
SPACE_MEMBER_REMOVED = "hdh.workspace.member.removed.v1"
QUERY_ANSWERED = "hdh.workspace.query.answered.v1"
ANALYSIS_SUBMITTED = "hdh.workspace.analysis.submitted.v1"
ANALYSIS_FINISHED = "hdh.workspace.analysis.finished.v1"
SESSION_STARTED = "hdh.workspace.session.started.v1"
SESSION_STOPPED = "hdh.workspace.session.stopped.v1"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GrantIssued(_Payload):
    """Consumed: ``hdh.access.grant.issued.v1`` opens the project's space."""

    grant_id: uuid.UUID
    project_id: uuid.UUID
    members: list[str]
    period_start: date | None = None
    period_end: date | None = None
    expires_on: date = Field(description="Last day of access (Europe/Paris).")


class GrantEnded(_Payload):
    """Consumed: ``hdh.access.grant.{revoked,expired,superseded,ended}.v1``."""

    grant_id: uuid.UUID


class MemberChanged(_Payload):
    """Consumed: ``hdh.access.project.member_{added,removed}.v1``; published as
    ``hdh.workspace.member.{added,removed}.v1``."""

    project_id: uuid.UUID
    subject: str = Field(min_length=1, max_length=255)


class ProjectClosed(_Payload):
    """Consumed: ``hdh.access.project.closed.v1`` closes the space."""

    project_id: uuid.UUID


class ExtractedColumn(_Payload):
    name: str = Field(min_length=1, max_length=255)
    type: str = Field(description="Arrow type of the column, as the Parquet file holds it.")
    kind: str = Field(description="`pseudonym`, or the catalogue's identifier kind (`none`…).")


class ExtractedTable(_Payload):
    dataset_id: uuid.UUID | None = Field(description="None for a link table.")
    table: str = Field(min_length=1, max_length=255)
    bucket: str = Field(min_length=1, max_length=255)
    object_key: str = Field(min_length=1, max_length=1024)
    rows: int = Field(ge=0)
    columns: list[ExtractedColumn]


class ExtractCompleted(_Payload):
    """Consumed: ``hdh.linkage.extract.completed.v1`` registers the project's tables."""

    grant_id: uuid.UUID
    project_id: uuid.UUID
    key_version: int
    tables: list[ExtractedTable] = Field(default_factory=list)


class ProjectDataLoaded(_Payload):
    """Consumed: ``hdh.linkage.project_data.loaded.v1`` registers a table of the project's own
    data, in the project's pseudonym domain, under the grant it was loaded with."""

    upload_id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    key_version: int
    table: str = Field(min_length=1, max_length=255)
    bucket: str = Field(min_length=1, max_length=255)
    object_key: str = Field(min_length=1, max_length=1024)
    rows: int = Field(ge=0)
    columns: list[ExtractedColumn]


class SpaceOpened(_Payload):
    project_id: uuid.UUID
    grant_id: uuid.UUID
    members: list[str]


class TableRegistered(_Payload):
    project_id: uuid.UUID
    grant_id: uuid.UUID
    table_id: uuid.UUID
    name: str
    rows: int
    key_version: int


class AccessEnded(_Payload):
    """A grant ended (``status`` says how): its tables left the space at once."""

    project_id: uuid.UUID
    grant_id: uuid.UUID
    status: str
    tables_removed: int


class SpaceClosed(_Payload):
    project_id: uuid.UUID
    tables_removed: int


class SpacePurged(_Payload):
    """A closed space's own files removed once its retention period ended."""

    project_id: uuid.UUID
    closed_at: datetime
    objects_removed: int


class QueryAnswered(_Payload):
    """An aggregate query answered to a member: what was asked and how much was released."""

    project_id: uuid.UUID
    grant_ids: list[uuid.UUID]
    request: dict[str, Any] = Field(description="The structured request, as asked.")
    cells: int
    suppressed: int
    milliseconds: int


class AnalysisSubmitted(_Payload):
    """A member's free SQL, as submitted (it runs over ``tables`` only)."""

    project_id: uuid.UUID
    analysis_id: uuid.UUID
    name: str
    sql: str
    tables: list[str]
    grant_ids: list[uuid.UUID]


class AnalysisFinished(_Payload):
    """An analysis ended: ``succeeded`` (its result is a project table), ``failed`` or
    ``cancelled``."""

    project_id: uuid.UUID
    analysis_id: uuid.UUID
    name: str
    state: str
    problem_type: str | None = None
    table_id: uuid.UUID | None = None
    rows: int | None = None
    milliseconds: int | None = None


class SessionStarted(_Payload):
    """A member's notebook session started, reading the listed grants' objects until
    ``expires_at``."""

    session_id: uuid.UUID
    project_id: uuid.UUID
    subject: str
    grant_ids: list[uuid.UUID]
    expires_at: datetime


class SessionStopped(_Payload):
    """``reason``: `stopped` (by its member), `revoked`, `expired`, `superseded`, `ended`,
    `member_removed`, `project_closed` or `lapsed` (its credentials ran out)."""

    session_id: uuid.UUID
    project_id: uuid.UUID
    subject: str
    reason: str
