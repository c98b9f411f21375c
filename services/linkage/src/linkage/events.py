"""Event contracts: what linkage consumes (from catalog and access) and what it publishes."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

VERSION_VALIDATED = "hdh.catalog.version.validated.v1"
PROJECT_DATA_VALIDATED = "hdh.catalog.project_data.validated.v1"
GRANT_ISSUED = "hdh.access.grant.issued.v1"
GRANT_REVOKED = "hdh.access.grant.revoked.v1"
GRANT_EXPIRED = "hdh.access.grant.expired.v1"
GRANT_SUPERSEDED = "hdh.access.grant.superseded.v1"
GRANT_ENDED = "hdh.access.grant.ended.v1"
PROJECT_CLOSED = "hdh.access.project.closed.v1"
MEMBER_ADDED = "hdh.access.project.member_added.v1"
MEMBER_REMOVED = "hdh.access.project.member_removed.v1"
VERSION_PSEUDONYMISED = "hdh.linkage.version.pseudonymised.v1"
EXTRACT_COMPLETED = "hdh.linkage.extract.completed.v1"
EXTRACT_FAILED = "hdh.linkage.extract.failed.v1"
EXTRACT_REMOVED = "hdh.linkage.extract.removed.v1"
EXTRACT_DOWNLOADED = "hdh.linkage.extract.downloaded.v1"
DOMAIN_KEY_DESTRUCTION_REQUESTED = "hdh.linkage.domain_key.destruction_requested.v1"
DOMAIN_KEY_DESTROYED = "hdh.linkage.domain_key.destroyed.v1"
DOMAIN_KEY_ROTATED = "hdh.linkage.domain_key.rotated.v1"
MASTER_KEY_ADDED = "hdh.linkage.master_key.added.v1"
MASTER_KEY_ROTATED = "hdh.linkage.master_key.rotated.v1"
MASTER_KEY_RETIRED = "hdh.linkage.master_key.retired.v1"
OBJECTION_RECORDED = "hdh.linkage.objection.recorded.v1"
LINKAGE_COMPLETED = "hdh.linkage.linkage.completed.v1"
PROJECT_DATA_LOADED = "hdh.linkage.project_data.loaded.v1"
PROJECT_DATA_FAILED = "hdh.linkage.project_data.failed.v1"


class Identifier(StrEnum):
    """How the catalogue flags a column; anything but ``none`` is handled before `central`."""

    NONE = "none"
    NIR = "nir"
    NATIONAL_PSEUDONYM = "national_pseudonym"
    NAME = "name"
    DIRECT = "direct"
    BIRTH_DATE = "birth_date"
    SEX = "sex"


PSEUDONYMISED_KINDS = frozenset(
    {Identifier.NIR, Identifier.NATIONAL_PSEUDONYM, Identifier.NAME, Identifier.DIRECT}
)


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ColumnSpec(_Payload):
    name: str = Field(min_length=1, max_length=255)
    identifier: Identifier = Identifier.NONE


class VersionValidated(_Payload):
    """``hdh.catalog.version.validated.v1`` (topic ``hdh.catalog``, subject = dataset id)."""

    dataset_id: uuid.UUID
    version_id: uuid.UUID
    table: str = Field(min_length=1, max_length=255)
    bucket: str = Field("landing", min_length=1, max_length=255)
    object_key: str = Field(min_length=1, max_length=1024, description="Parquet in `landing`.")
    columns: list[ColumnSpec] = Field(min_length=1)


class ProjectDataValidated(_Payload):
    """``hdh.catalog.project_data.validated.v1`` (topic ``hdh.catalog``, subject = project
    id): a project's own file, validated, waiting in ``landing`` with its identifiers."""

    upload_id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    table: str = Field(min_length=1, max_length=255)
    bucket: str = Field(min_length=1, max_length=255)
    object_key: str = Field(min_length=1, max_length=1024, description="Parquet in `landing`.")
    columns: list[ColumnSpec] = Field(min_length=1)


class GrantedVariable(_Payload):
    table: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=255)


class GrantedDataset(_Payload):
    dataset_id: uuid.UUID
    variables: list[GrantedVariable] = Field(min_length=1)
    event_dates: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Each table's event-date column(s): the extract keeps its rows with one"
        " of them inside the grant's period. An empty list (or a table not named, as in"
        " grants issued before periods were applied): granted whole.",
    )

    def tables(self) -> dict[str, list[str]]:
        """The granted variable names of each table, in the order granted."""
        found: dict[str, list[str]] = {}
        for variable in self.variables:
            found.setdefault(variable.table, []).append(variable.name)
        return found


class DeterministicNeed(_Payload):
    """Persons of the datasets joined on the pseudonymised identifier column ``on``."""

    method: Literal["deterministic"] = "deterministic"
    datasets: list[uuid.UUID] = Field(min_length=2)
    on: str = Field(min_length=1, max_length=255)


QuasiKind = Literal[
    "birth_date", "birth_year", "sex", "postcode", "commune", "surname", "given_name"
]


class LinkedSide(_Payload):
    dataset_id: uuid.UUID
    table: str = Field(min_length=1, max_length=255)
    person: str = Field(min_length=1, max_length=255, description="Pseudonymised person key.")


class QuasiIdentifier(_Payload):
    kind: QuasiKind
    left: str = Field(min_length=1, max_length=255)
    right: str = Field(min_length=1, max_length=255)


class ProbabilisticNeed(_Payload):
    """Two tables linked on quasi-identifiers with Fellegi-Sunter."""

    method: Literal["probabilistic"]
    left: LinkedSide
    right: LinkedSide
    compare: list[QuasiIdentifier] = Field(min_length=1)


def _need_method(value: Any) -> str:
    found = value.get("method") if isinstance(value, dict) else getattr(value, "method", None)
    return str(found or "deterministic")


LinkageNeed = Annotated[
    Annotated[DeterministicNeed, Tag("deterministic")]
    | Annotated[ProbabilisticNeed, Tag("probabilistic")],
    Discriminator(_need_method),
]


class GrantIssued(_Payload):
    """``hdh.access.grant.issued.v1`` (topic ``hdh.access``, subject = project id).

    The access service issues the grant when data preparation starts; the extract built
    from it is what moves the request (``request_id``) on to ``active``.
    """

    grant_id: uuid.UUID
    request_id: uuid.UUID
    project_id: uuid.UUID
    datasets: list[GrantedDataset] = Field(min_length=1)
    members: list[str] = Field(description="Subjects of the project members the grant covers.")
    linkage: list[LinkageNeed] = Field(
        default_factory=list, description="Linkages to run on the extract, in the asked order."
    )
    period_start: date | None = None
    period_end: date | None = None
    expires_on: date = Field(description="Last day of access (Europe/Paris).")


class GrantEnded(_Payload):
    """``hdh.access.grant.{revoked,expired,superseded,ended}.v1``."""

    grant_id: uuid.UUID


class ProjectClosed(_Payload):
    """``hdh.access.project.closed.v1``: the project's pseudonym key is destroyed."""

    project_id: uuid.UUID


class MemberChanged(_Payload):
    """``hdh.access.project.member_{added,removed}.v1`` (subject = project id)."""

    project_id: uuid.UUID
    subject: str = Field(min_length=1, max_length=255)


class InvalidCounts(_Payload):
    column: str
    rule: str
    count: int


class VersionPseudonymised(_Payload):
    dataset_id: uuid.UUID
    version_id: uuid.UUID
    job_id: uuid.UUID
    object_key: str
    key_version: int
    rows: int
    sha256: str
    invalid: list[InvalidCounts]


class LinkageCompleted(_Payload):
    job_id: uuid.UUID
    links: int
    object_key: str


class ExtractedColumn(_Payload):
    name: str
    type: str = Field(description="Arrow type of the column in the extract's Parquet file.")
    kind: str = Field(description="`pseudonym`, or the catalogue's identifier kind (`none`…).")


class ExtractedTable(_Payload):
    """One table of an extract, as the project space registers it (no row leaves with it)."""

    dataset_id: uuid.UUID | None = Field(description="None for a link table (of no one dataset).")
    table: str
    bucket: str
    object_key: str
    rows: int
    columns: list[ExtractedColumn]


class ExtractCompleted(_Payload):
    grant_id: uuid.UUID
    request_id: uuid.UUID | None
    project_id: uuid.UUID
    job_id: uuid.UUID
    files: list[uuid.UUID]
    key_version: int
    tables: list[ExtractedTable] = Field(
        default_factory=list, description="Added for the project space; absent before."
    )


class ExtractFailed(_Payload):
    grant_id: uuid.UUID
    request_id: uuid.UUID | None
    project_id: uuid.UUID
    job_id: uuid.UUID
    reason: str
    outcome: Literal["failure"] = Field("failure", description="What the audit trail records.")


class ExtractRemoved(_Payload):
    grant_id: uuid.UUID
    project_id: uuid.UUID
    files: int


class ExtractDownloaded(_Payload):
    """The workspace service (the event's actor) read the file into the project space."""

    file_id: uuid.UUID
    grant_id: uuid.UUID
    project_id: uuid.UUID


class DomainKeyDestructionRequested(_Payload):
    """A hub staff member (the event's actor) asked to destroy a domain's keys."""

    request_id: uuid.UUID
    domain: str
    reason: str


class DomainKeyDestroyed(_Payload):
    """Every key version of the domain erased: confirmed by a second staff member (the
    event's actor) for ``request_id``, or, with no request, on the project's closure."""

    domain: str
    versions_destroyed: int | None = None
    request_id: uuid.UUID | None = None
    requested_by: str | None = None


class DomainKeyRotated(_Payload):
    """A new key version is active in the domain; outputs record the version they used."""

    domain: str
    version: int


class MasterKeyAdded(_Payload):
    """A new master key version (the subject, its key id) was generated in the HSM: new
    domain keys are sealed under it."""

    key_id: str


class MasterKeyRotated(_Payload):
    """Every domain key sealed under an older master key was re-sealed under ``key_id``; the
    domain keys, and so every pseudonym, are unchanged."""

    key_id: str
    domain_keys_resealed: int


class MasterKeyRetired(_Payload):
    """A master key version no domain key names any more was destroyed in the HSM (or, for the
    file key, may now be removed from the configuration)."""

    key_id: str


class ObjectionRecorded(_Payload):
    """A person objected: excluded from every extract built afterwards. Neither the
    identifier nor its pseudonym travels: the register keeps them."""

    objection_id: uuid.UUID
    key_version: int


class ProjectDataLoaded(_Payload):
    """A project's own file, pseudonymised into the project's domain, for its space; the
    clear file is deleted. Subject: the project id."""

    upload_id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    job_id: uuid.UUID
    key_version: int
    table: str
    bucket: str
    object_key: str
    rows: int
    columns: list[ExtractedColumn]


class ProjectDataFailed(_Payload):
    upload_id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    job_id: uuid.UUID
    reason: str
    outcome: Literal["failure"] = Field("failure", description="What the audit trail records.")
