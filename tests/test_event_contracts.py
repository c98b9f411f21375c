"""Each service keeps its own copy of what it reads; these copies must accept what the
publisher writes. A payload built by the publisher's model validates in the reader's."""

import uuid
from datetime import UTC, date, datetime

import pytest

from access import events as access
from access.grants.models import GrantStatus
from access.requests import schemas as access_requests
from catalog import events as catalog
from linkage import events as linkage
from workspace import events as workspace

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def grant(status: GrantStatus, members: list[str] | None = None) -> access.GrantChanged:
    return access.GrantChanged(
        grant_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        datasets=[
            access.GrantedDataset(
                dataset_id=uuid.uuid4(),
                variables=[access.GrantedVariable(table="patients", name="age")],
            )
        ],
        period_start=date(2015, 1, 1),
        period_end=date(2020, 12, 31),
        expires_on=date(2028, 12, 4),
        status=status,
        end_reason=None,
        issued_at=NOW,
        ended_at=None,
        members=members,
    )


def test_linkage_reads_the_grants_access_issues_and_ends() -> None:
    issued = grant(GrantStatus.ACTIVE, members=["alice"])
    read = linkage.GrantIssued.model_validate(issued.model_dump(mode="json"))
    assert (read.grant_id, read.members, read.expires_on) == (
        issued.grant_id,
        ["alice"],
        issued.expires_on,
    )
    assert read.datasets[0].tables() == {"patients": ["age"]}
    ended = grant(GrantStatus.REVOKED).model_dump(mode="json", exclude={"members"})
    assert linkage.GrantEnded.model_validate(ended).grant_id == uuid.UUID(ended["grant_id"])


def test_linkage_reads_the_linkages_the_grant_carries() -> None:
    cohort, referential, care = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    needs = [
        access_requests.ProbabilisticLinkage(
            method="probabilistic",
            left=access_requests.LinkedSide(dataset_id=cohort, table="COHORTE", person="ID"),
            right=access_requests.LinkedSide(
                dataset_id=referential, table="IR_BEN_R", person="BEN_NIR_PSA"
            ),
            compare=[
                access_requests.QuasiIdentifier(kind="birth_date", left="NAISS", right="DTE"),
                access_requests.QuasiIdentifier(kind="sex", left="SEXE", right="SEX"),
            ],
        ),
        access_requests.DeterministicLinkage(datasets=[referential, care], on="BEN_NIR_PSA"),
    ]
    issued = grant(GrantStatus.ACTIVE, members=["alice"]).model_copy(update={"linkage": needs})
    read = linkage.GrantIssued.model_validate(issued.model_dump(mode="json"))
    probabilistic, deterministic = read.linkage
    assert isinstance(probabilistic, linkage.ProbabilisticNeed)
    assert (probabilistic.right.person, [q.kind for q in probabilistic.compare]) == (
        "BEN_NIR_PSA",
        ["birth_date", "sex"],
    )
    assert isinstance(deterministic, linkage.DeterministicNeed)
    assert (deterministic.datasets, deterministic.on) == ([referential, care], "BEN_NIR_PSA")
    before = grant(GrantStatus.ACTIVE, members=["alice"]).model_dump(mode="json")
    assert linkage.GrantIssued.model_validate(before | {"linkage": []}).linkage == []
    old_need = {"datasets": [str(referential), str(care)], "on": "BEN_NIR_PSA"}
    [read_old] = linkage.GrantIssued.model_validate(before | {"linkage": [old_need]}).linkage
    assert isinstance(read_old, linkage.DeterministicNeed)


def test_workspace_registers_a_link_table_of_no_one_dataset() -> None:
    table = linkage.ExtractedTable(
        dataset_id=None,
        table="link_1",
        bucket="projects",
        object_key="p/grants/g/links/link_1.parquet",
        rows=3,
        columns=[linkage.ExtractedColumn(name="left_pseudonym", type="string", kind="pseudonym")],
    )
    read = workspace.ExtractedTable.model_validate(table.model_dump(mode="json"))
    assert (read.dataset_id, read.table) == (None, "link_1")


@pytest.mark.parametrize("status", [s for s in GrantStatus if s is not GrantStatus.ACTIVE])
def test_a_grant_ends_with_the_event_linkage_listens_for(status: GrantStatus) -> None:
    listened = {
        linkage.GRANT_EXPIRED,
        linkage.GRANT_REVOKED,
        linkage.GRANT_SUPERSEDED,
        linkage.GRANT_ENDED,
    }
    assert access.GrantEvent.ending_as(status) == f"hdh.access.grant.{status}.v1"
    assert access.GrantEvent.ending_as(status) in listened
    assert access.GrantEvent.ISSUED == linkage.GRANT_ISSUED


def test_an_active_status_ends_nothing() -> None:
    with pytest.raises(KeyError):
        access.GrantEvent.ending_as(GrantStatus.ACTIVE)


def test_linkage_reads_project_events_access_writes() -> None:
    project, request = uuid.uuid4(), uuid.uuid4()
    closed = access.ProjectClosed(project_id=project, request_id=request)
    added = access.MemberAdded(project_id=project, subject="bob", role="member")
    removed = access.MemberRemoved(project_id=project, subject="bob")
    assert (
        linkage.ProjectClosed.model_validate(closed.model_dump(mode="json")).project_id == project
    )
    for change in (added, removed):
        read = linkage.MemberChanged.model_validate(change.model_dump(mode="json"))
        assert (read.project_id, read.subject) == (project, "bob")
    assert (access.PROJECT_CLOSED, access.MEMBER_ADDED, access.MEMBER_REMOVED) == (
        linkage.PROJECT_CLOSED,
        linkage.MEMBER_ADDED,
        linkage.MEMBER_REMOVED,
    )


def test_access_reads_what_the_catalogue_and_linkage_write() -> None:
    dataset = uuid.uuid4()
    registered = catalog.DatasetRegistered(
        dataset_id=dataset, slug="snds", title="SNDS", publisher="cnam"
    )
    table = catalog.TablePublished(
        dataset_id=dataset,
        table="patients",
        revision=2,
        variables=[catalog.PublishedVariable(name="age", type="integer", identifier="none")],
    )
    extract = linkage.ExtractCompleted(
        grant_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        job_id=uuid.uuid4(),
        files=[],
        key_version=1,
    )
    read = access.DatasetRegistered.model_validate(registered.model_dump(mode="json"))
    assert read.slug == "snds"
    published = access.TablePublished.model_validate(table.model_dump(mode="json"))
    assert [v.name for v in published.variables] == ["age"]
    completed = access.ExtractCompleted.model_validate(extract.model_dump(mode="json"))
    assert completed.request_id == extract.request_id
    assert (access.DATASET_REGISTERED, access.TABLE_PUBLISHED, access.EXTRACT_COMPLETED) == (
        catalog.DATASET_REGISTERED,
        catalog.TABLE_PUBLISHED,
        linkage.EXTRACT_COMPLETED,
    )


def test_linkage_reads_the_versions_the_catalogue_validates() -> None:
    checked = catalog.VersionChecked(
        version_id=uuid.uuid4(),
        dataset_id=uuid.uuid4(),
        table="patients",
        number=1,
        row_count=10,
        bucket="landing",
        object_key="datasets/x/v1.parquet",
        sha256="0" * 64,
        columns=[catalog.VersionColumn(name="nir", identifier="nir")],
    )
    read = linkage.VersionValidated.model_validate(checked.model_dump(mode="json"))
    assert read.columns[0].identifier is linkage.Identifier.NIR
    assert catalog.VERSION_VALIDATED == linkage.VERSION_VALIDATED


def test_workspace_reads_the_grants_and_project_events_access_writes() -> None:
    issued = grant(GrantStatus.ACTIVE, members=["alice"])
    read = workspace.GrantIssued.model_validate(issued.model_dump(mode="json"))
    assert (read.grant_id, read.project_id, read.members) == (
        issued.grant_id,
        issued.project_id,
        ["alice"],
    )
    assert (read.period_start, read.period_end, read.expires_on) == (
        issued.period_start,
        issued.period_end,
        issued.expires_on,
    )
    ended = grant(GrantStatus.REVOKED).model_dump(mode="json", exclude={"members"})
    assert workspace.GrantEnded.model_validate(ended).grant_id == uuid.UUID(ended["grant_id"])
    project = uuid.uuid4()
    removed = access.MemberRemoved(project_id=project, subject="bob")
    change = workspace.MemberChanged.model_validate(removed.model_dump(mode="json"))
    assert (change.project_id, change.subject) == (project, "bob")
    closed = access.ProjectClosed(project_id=project, request_id=uuid.uuid4())
    assert workspace.ProjectClosed.model_validate(closed.model_dump(mode="json")).project_id == (
        project
    )
    listened = {
        workspace.GRANT_ISSUED,
        workspace.GRANT_EXPIRED,
        workspace.GRANT_REVOKED,
        workspace.GRANT_SUPERSEDED,
        workspace.GRANT_ENDED,
    }
    assert {str(e) for e in access.GrantEvent} == listened
    assert (access.PROJECT_CLOSED, access.MEMBER_ADDED, access.MEMBER_REMOVED) == (
        workspace.PROJECT_CLOSED,
        workspace.MEMBER_ADDED,
        workspace.MEMBER_REMOVED,
    )


def test_workspace_reads_the_tables_of_a_completed_extract() -> None:
    table = linkage.ExtractedTable(
        dataset_id=uuid.uuid4(),
        table="PEOPLE",
        bucket="projects",
        object_key="p/grants/g/d/PEOPLE.parquet",
        rows=12,
        columns=[linkage.ExtractedColumn(name="NIR", type="string", kind="pseudonym")],
    )
    extract = linkage.ExtractCompleted(
        grant_id=uuid.uuid4(),
        request_id=None,
        project_id=uuid.uuid4(),
        job_id=uuid.uuid4(),
        files=[uuid.uuid4()],
        key_version=3,
        tables=[table],
    )
    read = workspace.ExtractCompleted.model_validate(extract.model_dump(mode="json"))
    assert (read.grant_id, read.key_version) == (extract.grant_id, 3)
    assert read.tables[0].model_dump() == table.model_dump()
    assert workspace.EXTRACT_COMPLETED == linkage.EXTRACT_COMPLETED


def test_an_extract_event_without_tables_still_reads() -> None:
    """Events written before the tables were added (replayed from the topic) still validate."""
    old = {"grant_id": str(uuid.uuid4()), "project_id": str(uuid.uuid4()), "key_version": 1}
    assert workspace.ExtractCompleted.model_validate(old | {"files": []}).tables == []
    read = linkage.ExtractCompleted.model_validate(
        old | {"files": [], "job_id": str(uuid.uuid4()), "request_id": None}
    )
    assert read.tables == []


def test_the_audit_log_files_session_events_under_the_session_and_its_project() -> None:
    from audit.ingest.mapping import entry_fields
    from hdh_common.events import CloudEvent

    session_id, project_id, grant_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    started = workspace.SessionStarted(
        session_id=session_id,
        project_id=project_id,
        subject="alice",
        grant_ids=[grant_id],
        expires_at=NOW,
    )
    stopped = workspace.SessionStopped(
        session_id=session_id, project_id=project_id, subject="alice", reason="revoked"
    )
    for type_, payload in (
        (workspace.SESSION_STARTED, started),
        (workspace.SESSION_STOPPED, stopped),
    ):
        event = CloudEvent(
            source="/workspace",
            type=type_,
            subject=str(project_id),
            data=payload.model_dump(mode="json"),
            actor="alice",
        )
        entry = entry_fields(event)
        assert (entry["resource_type"], entry["resource_id"]) == ("session", str(session_id))
        assert (entry["project"], entry["actor"]) == (str(project_id), "alice")


def test_a_project_s_own_data_goes_from_the_catalogue_to_linkage_to_the_workspace() -> None:
    checked = catalog.ProjectDataChecked(
        upload_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        grant_id=uuid.uuid4(),
        table="cohort",
        row_count=12,
        bucket="landing",
        object_key="projects/p/u.parquet",
        columns=[catalog.VersionColumn(name="identifiant", identifier="nir")],
    )
    read = linkage.ProjectDataValidated.model_validate(checked.model_dump(mode="json"))
    assert (read.upload_id, read.columns[0].identifier) == (checked.upload_id, "nir")
    assert catalog.PROJECT_DATA_VALIDATED == linkage.PROJECT_DATA_VALIDATED
    loaded = linkage.ProjectDataLoaded(
        upload_id=read.upload_id,
        project_id=read.project_id,
        grant_id=read.grant_id,
        job_id=uuid.uuid4(),
        key_version=1,
        table="cohort",
        bucket="projects",
        object_key="p/data/u/cohort.parquet",
        rows=12,
        columns=[linkage.ExtractedColumn(name="identifiant", type="string", kind="pseudonym")],
    )
    registered = workspace.ProjectDataLoaded.model_validate(loaded.model_dump(mode="json"))
    assert registered.model_dump() == loaded.model_dump(exclude={"job_id"})
    assert workspace.PROJECT_DATA_LOADED == linkage.PROJECT_DATA_LOADED
