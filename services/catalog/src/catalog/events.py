"""Event contracts: the payloads the catalogue publishes on ``hdh.catalog`` (subject = the
dataset id, so a dataset's events keep their order)."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DATASET_REGISTERED = "hdh.catalog.dataset.registered.v1"
DATASET_UPDATED = "hdh.catalog.dataset.updated.v1"
DICTIONARY_UPDATED = "hdh.catalog.dataset.dictionary_updated.v1"
TABLE_PUBLISHED = "hdh.catalog.table.published.v1"
VERSION_VALIDATED = "hdh.catalog.version.validated.v1"
VERSION_REJECTED = "hdh.catalog.version.rejected.v1"
PROJECT_DATA_VALIDATED = "hdh.catalog.project_data.validated.v1"
PROJECT_DATA_REJECTED = "hdh.catalog.project_data.rejected.v1"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class DatasetRegistered(_Payload):
    dataset_id: uuid.UUID
    slug: str
    title: str
    publisher: str


class DatasetUpdated(_Payload):
    """Edited, published or deprecated: a new revision."""

    dataset_id: uuid.UUID
    revision: int
    status: str


class DictionaryUpdated(_Payload):
    dataset_id: uuid.UUID
    revision: int
    tables_added: list[str]
    tables_removed: list[str]
    tables_changed: list[str]
    breaking: bool


class PublishedVariable(_Payload):
    name: str
    type: str
    identifier: str
    event_date: bool = Field(
        False,
        description="One of the table's event dates: a grant's period keeps the rows with one"
        " of them inside it. A table with none is granted whole.",
    )


class TablePublished(_Payload):
    """A table's whole current variable list (empty once removed)."""

    dataset_id: uuid.UUID
    table: str
    revision: int
    variables: list[PublishedVariable]


class VersionColumn(_Payload):
    name: str
    identifier: str = Field(
        description="What kind of identifier the column holds (`nir`, `national_pseudonym`,"
        " `name`, `direct`, `birth_date`, `sex`) or `none`; it tells the linkage service how"
        " to validate and key it."
    )


class VersionChecked(_Payload):
    """``version.validated`` (``bucket`` names where the Parquet waits) or ``version.rejected``."""

    version_id: uuid.UUID
    dataset_id: uuid.UUID
    table: str
    number: int
    row_count: int
    bucket: str | None
    object_key: str | None
    sha256: str | None
    columns: list[VersionColumn] = Field(default_factory=list)
    error_count: int = 0
    outcome: Literal["failure"] | None = Field(
        None, description="What the audit trail records: a rejected version is a failure."
    )


class ProjectDataChecked(_Payload):
    """A project's own file, ``project_data.validated`` (``bucket`` and ``object_key`` name
    where its Parquet waits, identifiers still clear, for the linkage service alone) or
    ``project_data.rejected``. Subject: the project id."""

    upload_id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    table: str
    row_count: int
    bucket: str | None
    object_key: str | None
    columns: list[VersionColumn] = Field(default_factory=list)
    error_count: int = 0
    outcome: Literal["failure"] | None = Field(
        None, description="What the audit trail records: a rejected file is a failure."
    )
