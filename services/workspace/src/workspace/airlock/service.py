"""The airlock: outputs saved in a space, requests to release them, two independent checkers
who decide on each output, and the release of what they approve into the ``outputs`` zone.

Members act on live rights (as for the space's tables); checkers hold the ``output_checker``
role and are neither the request's author nor ever a member of the project. Each output
needs two concordant decisions; a disagreement goes to a third checker, whose decision
settles it. Every step is an event for the audit log.
"""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.business_days import add_business_days, french_day
from hdh_common.errors import NotFound
from hdh_common.identity import Principal
from hdh_common.pagination import Page, keyset
from hdh_common.service_client import ServiceClient
from hdh_common.storage import ObjectStore, download
from hdh_common.workdir import work_folder
from workspace.airlock import checks, schemas
from workspace.airlock.errors import (
    AlreadyDecided,
    FigureWithoutTable,
    InvalidOutput,
    NotIndependent,
    OutputNotReleasable,
    OutputNotReleased,
    OutputTooLarge,
    UnsupportedFormat,
)
from workspace.airlock.models import (
    APPROVE,
    DECIDED,
    IN_REVIEW,
    REJECTED,
    RELEASED,
    SAVED,
    SUBMITTED,
    Output,
    ReleaseRequest,
    RequestedOutput,
    Review,
)
from workspace.analyses.runner import BUCKET
from workspace.config import Settings
from workspace.db import outbox
from workspace.spaces import data
from workspace.spaces.models import SUCCEEDED, Analysis, ProjectTable, Space
from workspace.spaces.service import readable

OUTPUTS = "outputs"
MAGIC = {"parquet": b"PAR1", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "png": "image/png",
    "pdf": "application/pdf",
}
KINDS = {"csv": "table", "parquet": "table", "png": "figure", "pdf": "report"}


async def _publish(
    session: AsyncSession, type_: str, project_id: uuid.UUID, data: dict[str, Any], actor: str
) -> None:
    await outbox.publish(
        session, type=f"hdh.workspace.{type_}.v1", subject=str(project_id), data=data, actor=actor
    )


# -- outputs ---------------------------------------------------------------------------------


async def save_from_analysis(
    session: AsyncSession,
    access: ServiceClient,
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    project_id: uuid.UUID,
    body: schemas.OutputFromAnalysis,
) -> schemas.Output:
    await readable(session, access, principal, project_id, members_only=True)
    analysis = await session.get(Analysis, body.analysis_id)
    table = (
        await session.get(ProjectTable, analysis.table_id)
        if analysis and analysis.table_id
        else None
    )
    if analysis is None or analysis.project_id != project_id:
        raise NotFound(f"No analysis {body.analysis_id} in this project.")
    if analysis.state != SUCCEEDED or table is None:
        raise InvalidOutput("The analysis has no result table in the space (any more).")
    with work_folder(settings.work_dir, prefix="hdh-output-") as folder:
        path = Path(folder) / "output.parquet"
        await download(store, table.bucket, table.object_key, path)
        return await _save(
            session,
            store,
            principal,
            project_id,
            path,
            name=body.name,
            format_="parquet",
            persons_column=body.persons_column,
            analysis_id=analysis.id,
            table_id=None,
        )


async def save_upload(
    session: AsyncSession,
    access: ServiceClient,
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    project_id: uuid.UUID,
    chunks: AsyncIterable[bytes],
    *,
    name: str,
    format_: str,
    table_id: uuid.UUID | None,
    persons_column: str | None,
) -> schemas.Output:
    """A file made in the space (a notebook's table, a figure and its table, a report)."""
    if format_ not in MEDIA_TYPES:
        raise UnsupportedFormat(f"No output format {format_!r}: csv, parquet, png or pdf.")
    await readable(session, access, principal, project_id, members_only=True)
    if KINDS[format_] != "table":
        shown = await session.get(Output, table_id) if table_id else None
        if shown is None or shown.project_id != project_id or shown.kind != "table":
            raise FigureWithoutTable("Name the table output it was drawn from (table_id).")
    elif table_id is not None:
        raise InvalidOutput("Only a figure or a report names a table_id.")
    with work_folder(settings.work_dir, prefix="hdh-output-") as folder:
        path = Path(folder) / f"output.{format_}"
        await _receive(chunks, path, limit=settings.workspace_output_max_bytes)
        return await _save(
            session,
            store,
            principal,
            project_id,
            path,
            name=name,
            format_=format_,
            persons_column=persons_column,
            analysis_id=None,
            table_id=table_id,
        )


async def _receive(chunks: AsyncIterable[bytes], path: Path, *, limit: int) -> None:
    size = 0
    with path.open("wb") as file:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise OutputTooLarge(f"An output is at most {limit} bytes.")
            await asyncio.to_thread(file.write, chunk)


async def _save(
    session: AsyncSession,
    store: ObjectStore,
    principal: Principal,
    project_id: uuid.UUID,
    path: Path,
    *,
    name: str,
    format_: str,
    persons_column: str | None,
    analysis_id: uuid.UUID | None,
    table_id: uuid.UUID | None,
) -> schemas.Output:
    content = await asyncio.to_thread(path.read_bytes)
    if not content.startswith(MAGIC.get(format_, b"")) or not content:
        raise InvalidOutput(f"The file is not a {format_.upper()} file.")
    if KINDS[format_] == "table":
        try:
            table = await asyncio.to_thread(checks.read_table, path, format_)
        except Exception as error:
            raise InvalidOutput(f"The table cannot be read as {format_.upper()}.") from error
        if persons_column is not None and persons_column not in table.column_names:
            raise InvalidOutput(f"The table has no column {persons_column}.")
    elif persons_column is not None:
        raise InvalidOutput("Only a table has a person count.")
    latest = await session.scalar(
        select(func.max(Output.version)).where(Output.project_id == project_id, Output.name == name)
    )
    output = Output(
        id=uuid.uuid4(),
        project_id=project_id,
        name=name,
        version=(latest or 0) + 1,
        kind=KINDS[format_],
        format=format_,
        table_id=table_id,
        analysis_id=analysis_id,
        persons_column=persons_column,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        state=SAVED,
        created_by=principal.subject,
    )
    output.object_key = f"{project_id}/outputs/{output.id}/{name}.{format_}"
    session.add(output)
    await session.flush()
    await store.ensure_bucket(BUCKET)
    await store.put(BUCKET, output.object_key, _once(content), content_type=MEDIA_TYPES[format_])
    await session.refresh(output)
    saved = schemas.Output.model_validate(output)
    await _publish(session, "output.saved", project_id, _event(saved), principal.subject)
    return saved


def _event(output: schemas.Output) -> dict[str, Any]:
    return output.model_dump(
        mode="json", include={"id", "name", "version", "kind", "format", "sha256", "size", "state"}
    )


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def outputs(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[schemas.Output]:
    await readable(session, access, principal, project_id, members_only=True)
    query = keyset(
        select(Output).where(Output.project_id == project_id),
        Output.created_at,
        Output.id,
        cursor=cursor,
        limit=limit,
        descending=True,
    )
    rows = list(await session.scalars(query))
    return Page.from_rows(
        rows, limit, key=lambda o: (o.created_at, o.id), convert=schemas.Output.model_validate
    )


async def released_file(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    output_id: uuid.UUID,
) -> Output:
    """A released output, for the project's members: the file to stream from ``outputs``."""
    await readable(session, access, principal, project_id, members_only=True)
    output = await _output(session, project_id, output_id)
    if output.state != RELEASED:
        raise OutputNotReleased(f"The output is {output.state}, not released.")
    await _publish(
        session,
        "output.downloaded",
        project_id,
        {"output_id": str(output.id)},
        principal.subject,
    )
    return output


def released_key(output: Output) -> str:
    return f"{output.project_id}/{output.id}/{output.name}-v{output.version}.{output.format}"


async def _output(session: AsyncSession, project_id: uuid.UUID, output_id: uuid.UUID) -> Output:
    output = await session.get(Output, output_id, populate_existing=True)
    if output is None or output.project_id != project_id:
        raise NotFound(f"No output {output_id} in this project.")
    return output


# -- release requests -----------------------------------------------------------------------


async def request_release(
    session: AsyncSession,
    access: ServiceClient,
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    project_id: uuid.UUID,
    body: schemas.ReleaseRequestIn,
) -> schemas.ReleaseRequest:
    found = await data.readable_tables(session, access, principal, project_id)
    asked = [await _output(session, project_id, oid) for oid in dict.fromkeys(body.output_ids)]
    if busy := [o.name for o in asked if o.state != SAVED]:
        raise OutputNotReleasable(f"Already in a request or decided: {', '.join(busy)}.")
    ids = {o.id for o in asked}
    for output in asked:
        if output.table_id is not None and output.table_id not in ids:
            shown = await session.get(Output, output.table_id)
            if shown is None or shown.state != RELEASED:
                raise FigureWithoutTable(f"{output.name} goes out with its table, in this request.")
    now = datetime.now(UTC)
    request = ReleaseRequest(
        id=uuid.uuid4(),
        project_id=project_id,
        requester=principal.subject,
        description=body.description,
        justification=body.justification,
        state=IN_REVIEW,
        due_on=add_business_days(french_day(now), settings.workspace_review_days),
    )
    session.add(request)
    await session.flush()
    reports: dict[uuid.UUID, dict[str, Any]] = {}
    for output in sorted(asked, key=lambda o: o.table_id is not None):  # tables first
        if output.kind == "table":
            reports[output.id] = await _check(store, settings, found, output)
        else:
            assert output.table_id is not None
            table = reports.get(output.table_id) or {"status": checks.PASS, "notes": []}
            reports[output.id] = {
                "status": table["status"],
                "notes": ["A figure or report is checked through its table.", *table["notes"]],
                "findings": [],
                "table_id": str(output.table_id),
            }
        session.add(
            RequestedOutput(request_id=request.id, output_id=output.id, check=reports[output.id])
        )
        output.state = SUBMITTED
    await session.flush()
    await _publish(
        session,
        "release.requested",
        project_id,
        {
            "request_id": str(request.id),
            "outputs": [str(o.id) for o in asked],
            "checks": {str(k): v["status"] for k, v in reports.items()},
            "due_on": request.due_on.isoformat(),
        },
        principal.subject,
    )
    return await _detail(session, request, reviews_for=None)


async def _check(
    store: ObjectStore, settings: Settings, found: data.Readable, output: Output
) -> dict[str, Any]:
    """The automatic check of a table output. A column carries the project's pseudonyms when
    it bears the name of one or when its values are some (whatever it was called)."""
    keyed = [t for t in found.tables.values() if any(c["kind"] == "pseudonym" for c in t.columns)]
    names = {c["name"].lower() for t in keyed for c in t.columns if c["kind"] == "pseudonym"}
    tables = await data.local_copies(store, settings.workspace_files_path, found, keyed)
    with work_folder(settings.work_dir, prefix="hdh-check-") as folder:
        path = Path(folder) / f"output.{output.format}"
        await download(store, BUCKET, output.object_key, path)
        table = await asyncio.to_thread(checks.read_table, path, output.format)
    carried = await asyncio.to_thread(data.carried_pseudonyms, table, tables)
    carried |= {name for name in table.column_names if name.lower() in names}
    return checks.check_table(
        table,
        persons_column=output.persons_column,
        carried=sorted(carried),
        threshold=settings.workspace_query_threshold,
    )


async def requests(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[schemas.ReleaseRequest]:
    await readable(session, access, principal, project_id, members_only=True)
    query = keyset(
        select(ReleaseRequest).where(ReleaseRequest.project_id == project_id),
        ReleaseRequest.submitted_at,
        ReleaseRequest.id,
        cursor=cursor,
        limit=limit,
        descending=True,
    )
    rows = list(await session.scalars(query))
    items = [await _detail(session, r, reviews_for=None) for r in rows[:limit]]
    return Page.from_rows(
        rows,
        limit,
        key=lambda r: (r.submitted_at, r.id),
        convert=lambda r: next(i for i in items if i.id == r.id),
    )


async def request_detail(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    request_id: uuid.UUID,
) -> schemas.ReleaseRequest:
    await readable(session, access, principal, project_id, members_only=True)
    request = await session.get(ReleaseRequest, request_id, populate_existing=True)
    if request is None or request.project_id != project_id:
        raise NotFound(f"No release request {request_id} in this project.")
    return await _detail(session, request, reviews_for=None)


async def _detail(
    session: AsyncSession, request: ReleaseRequest, *, reviews_for: str | None
) -> schemas.ReleaseRequest:
    """The request; the reviews of a decided output to the project, a checker's own to them."""
    rows = (
        await session.execute(
            select(RequestedOutput, Output)
            .join(Output, Output.id == RequestedOutput.output_id)
            .where(RequestedOutput.request_id == request.id)
            .order_by(Output.created_at)
        )
    ).all()
    reviews = list(
        await session.scalars(
            select(Review).where(Review.request_id == request.id).order_by(Review.decided_at)
        )
    )
    outputs = []
    for requested, output in rows:
        shown = [
            schemas.Review.model_validate(r)
            for r in reviews
            if r.output_id == output.id
            and ((reviews_for is None and requested.outcome) or r.checker == reviews_for)
        ]
        outputs.append(
            schemas.RequestedOutput(
                output=schemas.Output.model_validate(output),
                check=requested.check,
                outcome=requested.outcome,
                reviews=shown,
            )
        )
    return schemas.ReleaseRequest(
        id=request.id,
        project_id=request.project_id,
        requester=request.requester,
        description=request.description,
        justification=request.justification,
        state=request.state,
        submitted_at=request.submitted_at,
        due_on=request.due_on,
        decided_at=request.decided_at,
        outputs=outputs,
    )


# -- checkers --------------------------------------------------------------------------------


async def _independent(
    session: AsyncSession, principal: Principal, request: ReleaseRequest
) -> None:
    space = await session.get(Space, request.project_id, populate_existing=True)
    insiders = set(space.members + space.former_members) if space else set()
    if principal.subject == request.requester or principal.subject in insiders:
        raise NotIndependent("You cannot check the outputs of a project you are or were in.")


async def queue(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[schemas.ReleaseRequest]:
    """Requests in review that this checker may decide and has not fully decided, oldest
    due first."""
    undecided = (
        select(RequestedOutput.request_id)
        .where(RequestedOutput.outcome.is_(None))
        .where(
            ~select(Review.id)
            .where(
                Review.request_id == RequestedOutput.request_id,
                Review.output_id == RequestedOutput.output_id,
                Review.checker == principal.subject,
            )
            .exists()
        )
    )
    insider = select(Space.project_id).where(
        (Space.project_id == ReleaseRequest.project_id)
        & (
            Space.members.contains([principal.subject])
            | Space.former_members.contains([principal.subject])
        )
    )
    query = select(ReleaseRequest).where(
        ReleaseRequest.state == IN_REVIEW,
        ReleaseRequest.requester != principal.subject,
        ReleaseRequest.id.in_(undecided),
        ~insider.exists(),
    )
    query = keyset(query, ReleaseRequest.due_on, ReleaseRequest.id, cursor=cursor, limit=limit)
    rows = list(await session.scalars(query))
    items = {r.id: await _detail(session, r, reviews_for=principal.subject) for r in rows[:limit]}
    return Page.from_rows(
        rows, limit, key=lambda r: (r.due_on, r.id), convert=lambda r: items[r.id]
    )


async def overdue(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[schemas.ReleaseRequest]:
    today = french_day(datetime.now(UTC))
    query = select(ReleaseRequest).where(
        ReleaseRequest.state == IN_REVIEW, ReleaseRequest.due_on < today
    )
    query = keyset(query, ReleaseRequest.due_on, ReleaseRequest.id, cursor=cursor, limit=limit)
    rows = list(await session.scalars(query))
    items = {r.id: await _detail(session, r, reviews_for="") for r in rows[:limit]}
    return Page.from_rows(
        rows, limit, key=lambda r: (r.due_on, r.id), convert=lambda r: items[r.id]
    )


async def for_checker(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> ReleaseRequest:
    request = await session.get(
        ReleaseRequest, request_id, populate_existing=True, with_for_update=lock or None
    )
    if request is None:
        raise NotFound(f"No release request {request_id}.")
    await _independent(session, principal, request)
    return request


async def check_detail(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> schemas.ReleaseRequest:
    request = await for_checker(session, principal, request_id)
    return await _detail(session, request, reviews_for=principal.subject)


async def checked_output(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, output_id: uuid.UUID
) -> Output:
    """An output of the request, for an independent checker to look at in the platform."""
    request = await for_checker(session, principal, request_id)
    requested = await session.get(RequestedOutput, (request.id, output_id))
    if requested is None:
        raise NotFound(f"No output {output_id} in this request.")
    return await _output(session, request.project_id, output_id)


async def decide(
    session: AsyncSession,
    store: ObjectStore,
    principal: Principal,
    request_id: uuid.UUID,
    output_id: uuid.UUID,
    body: schemas.ReviewIn,
) -> schemas.ReleaseRequest:
    request = await for_checker(session, principal, request_id, lock=True)
    requested = await session.get(RequestedOutput, (request.id, output_id), populate_existing=True)
    if requested is None:
        raise NotFound(f"No output {output_id} in this request.")
    if requested.outcome is not None:
        raise AlreadyDecided(f"The output is already {requested.outcome}.")
    earlier = list(
        await session.scalars(
            select(Review).where(Review.request_id == request.id, Review.output_id == output_id)
        )
    )
    if any(r.checker == principal.subject for r in earlier):
        raise AlreadyDecided("You have decided on this output already.")
    review = Review(
        request_id=request.id,
        output_id=output_id,
        checker=principal.subject,
        decision=body.decision,
        comment=body.comment,
    )
    session.add(review)
    decisions = [r.decision for r in earlier] + [body.decision]
    await _publish(
        session,
        "release.reviewed",
        request.project_id,
        {
            "request_id": str(request.id),
            "output_id": str(output_id),
            "decision": body.decision,
            "round": len(decisions),
        },
        principal.subject,
    )
    outcome = _outcome(decisions)
    if outcome is not None:
        requested.outcome = outcome
        output = await _output(session, request.project_id, output_id)
        output.state = outcome
        if outcome == RELEASED:
            await _release(session, store, output, principal)
        else:
            await _publish(
                session,
                "output.rejected",
                request.project_id,
                {"output_id": str(output.id), "request_id": str(request.id)},
                principal.subject,
            )
    await session.flush()
    pending = await session.scalar(
        select(func.count())
        .select_from(RequestedOutput)
        .where(RequestedOutput.request_id == request.id, RequestedOutput.outcome.is_(None))
    )
    if not pending:
        request.state, request.decided_at = DECIDED, datetime.now(UTC)
        await _publish(
            session,
            "release.decided",
            request.project_id,
            {"request_id": str(request.id)},
            principal.subject,
        )
    await session.flush()
    return await _detail(session, request, reviews_for=principal.subject)


def _outcome(decisions: list[str]) -> str | None:
    """Two concordant decisions settle an output; after a disagreement, the third does."""
    if len(decisions) < 2 or (len(decisions) == 2 and decisions[0] != decisions[1]):
        return None
    final = decisions[-1] if len(decisions) == 3 else decisions[0]
    return RELEASED if final == APPROVE else REJECTED


async def _release(
    session: AsyncSession, store: ObjectStore, output: Output, principal: Principal
) -> None:
    """Copy the approved output into the ``outputs`` zone, where its members download it."""
    await store.ensure_bucket(OUTPUTS)
    await store.put(
        OUTPUTS,
        released_key(output),
        store.get(BUCKET, output.object_key),
        content_type=MEDIA_TYPES[output.format],
    )
    output.released_at = datetime.now(UTC)
    await _publish(
        session,
        "output.released",
        output.project_id,
        {
            "project_id": str(output.project_id),
            "output_id": str(output.id),
            "name": output.name,
            "version": output.version,
            "released_at": output.released_at.isoformat(),
        },
        principal.subject,
    )
