"""Linkage as requested: each need of the grant run on its extract, the link table put in
the project's prefix beside the extract's files, listed with its report for the project."""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.identity import Principal
from hdh_common.pagination import Page
from hdh_common.service_client import ServiceClient
from linkage.events import (
    DeterministicNeed,
    ExtractedColumn,
    ExtractedTable,
    LinkageNeed,
    LinkedSide,
    ProbabilisticNeed,
)
from linkage.extracts.models import Grant
from linkage.extracts.service import PROJECTS, readable_grants
from linkage.jobs.context import JobContext, temporary_folder
from linkage.jobs.pipeline import PipelineError
from linkage.matching.linker import Linker
from linkage.requested import linking, schemas
from linkage.requested.models import LinkTable
from linkage.requested.repository import LinkTableRepository

NEEDS: TypeAdapter[list[DeterministicNeed | ProbabilisticNeed]] = TypeAdapter(list[LinkageNeed])


@dataclass(frozen=True)
class Built:
    table: LinkTable
    described: ExtractedTable


def object_key(project_id: uuid.UUID, grant_id: uuid.UUID, name: str) -> str:
    return f"{project_id}/grants/{grant_id}/links/{name}.parquet"


async def run(
    context: JobContext,
    grant: Grant,
    extracted: Sequence[ExtractedTable],
    *,
    domain: str,
    key_version: int,
) -> list[Built]:
    """Each linkage of the grant, in the order asked: ``link_1``, ``link_2``…"""
    needs = NEEDS.validate_python(grant.linkage)
    if not needs:
        return []
    async with temporary_folder(context.work_dir) as folder:
        sources = await _sources(context, folder, extracted, needs)
        built = []
        for position, need in enumerate(needs, start=1):
            linked = await asyncio.to_thread(
                _link, need, sources, where=f"linkage {position}", link=context.engine.link
            )
            name = f"link_{position}"
            target = folder / f"{name}.parquet"
            await asyncio.to_thread(
                linking.write, linked, target, domain=domain, key_version=key_version
            )
            built.append(
                await _upload(
                    context, grant, need, linked, target, name=name, key_version=key_version
                )
            )
    return built


async def _sources(
    context: JobContext,
    folder: Path,
    extracted: Sequence[ExtractedTable],
    needs: Sequence[DeterministicNeed | ProbabilisticNeed],
) -> list[linking.Source]:
    """Local copies of the extract's tables the needs read."""
    wanted = {d for need in needs for d in _datasets(need)}
    sources = []
    for i, table in enumerate(t for t in extracted if t.dataset_id in wanted):
        path = folder / f"source-{i}.parquet"
        await context.download(table.bucket, table.object_key, path)
        kinds = {c.name: c.kind for c in table.columns}
        sources.append(linking.Source(table.dataset_id, table.table, path, kinds))  # type: ignore[arg-type]
    return sources


def _datasets(need: DeterministicNeed | ProbabilisticNeed) -> list[uuid.UUID]:
    if isinstance(need, DeterministicNeed):
        return list(need.datasets)
    return [need.left.dataset_id, need.right.dataset_id]


def _link(
    need: DeterministicNeed | ProbabilisticNeed,
    sources: list[linking.Source],
    *,
    where: str,
    link: Linker,
) -> linking.Linked:
    if isinstance(need, DeterministicNeed):
        return linking.deterministic(need, sources, where=where)
    left, right = (_side(sources, side, where=where) for side in (need.left, need.right))
    return linking.probabilistic(need, left, right, where=where, link=link)


def _side(sources: list[linking.Source], side: LinkedSide, *, where: str) -> linking.Source:
    for source in sources:
        if (source.dataset_id, source.table) == (side.dataset_id, side.table):
            return source
    raise PipelineError(
        f"{where}: table {side.table} of dataset {side.dataset_id} is not extracted"
    )


async def _upload(
    context: JobContext,
    grant: Grant,
    need: DeterministicNeed | ProbabilisticNeed,
    linked: linking.Linked,
    target: Path,
    *,
    name: str,
    key_version: int,
) -> Built:
    key = object_key(grant.project_id, grant.id, name)
    info = await context.upload(target, PROJECTS, key)
    rows = linked.links.num_rows
    table = LinkTable(
        grant_id=grant.id,
        project_id=grant.project_id,
        name=name,
        method=need.method,
        datasets=_datasets(need),
        object_key=key,
        rows=rows,
        size=info.size,
        sha256=info.sha256 or "",
        key_version=key_version,
        report=linked.report,
    )
    columns = [
        ExtractedColumn(
            name=f.name,
            type=str(f.type),
            kind="pseudonym" if f.name in linking.PSEUDONYMS else "none",
        )
        for f in linking.LINK_SCHEMA
    ]
    described = ExtractedTable(
        dataset_id=None, table=name, bucket=PROJECTS, object_key=key, rows=rows, columns=columns
    )
    return Built(table, described)


async def replace(session: AsyncSession, grant_id: uuid.UUID, built: Sequence[Built]) -> None:
    """The grant's link tables are those of its last extract."""
    repository = LinkTableRepository(session)
    await repository.remove_for_grant(grant_id)
    for one in built:
        await repository.add(one.table)


async def page(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[schemas.LinkTable]:
    grant_ids = await readable_grants(session, access, principal, project_id)
    rows = await LinkTableRepository(session).page(
        project_id=project_id, grant_ids=grant_ids, cursor=cursor, limit=limit
    )
    return Page.from_rows(
        rows, limit, key=lambda t: (t.created_at, t.id), convert=schemas.LinkTable.model_validate
    )


def report_of(built: Sequence[Built]) -> list[dict[str, Any]]:
    """What the extract job's report says of its linkages."""
    return [
        {"name": b.table.name, "rows": b.table.rows, "match_rate": b.table.report["match_rate"]}
        for b in built
    ]
