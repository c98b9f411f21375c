import uuid

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from catalog.nomenclatures.models import Nomenclature, NomenclatureCode, NomenclatureVersion
from hdh_common.pagination import keyset


class NomenclatureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_name(self, name: str) -> Nomenclature | None:
        return await self.session.scalar(select(Nomenclature).where(Nomenclature.name == name))

    async def by_names(self, names: list[str]) -> dict[str, Nomenclature]:
        query = select(Nomenclature).where(Nomenclature.name.in_(names))
        return {n.name: n for n in await self.session.scalars(query)}

    async def latest_versions(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, NomenclatureVersion]:
        query = (
            select(NomenclatureVersion)
            .where(NomenclatureVersion.nomenclature_id.in_(ids))
            .order_by(NomenclatureVersion.nomenclature_id, NomenclatureVersion.number.desc())
            .ext(distinct_on(NomenclatureVersion.nomenclature_id))
        )
        return {v.nomenclature_id: v for v in await self.session.scalars(query)}

    async def versions(self, nomenclature_id: uuid.UUID) -> list[NomenclatureVersion]:
        query = (
            select(NomenclatureVersion)
            .where(NomenclatureVersion.nomenclature_id == nomenclature_id)
            .order_by(NomenclatureVersion.number)
        )
        return list(await self.session.scalars(query))

    async def page(self, *, cursor: str | None, limit: int) -> list[Nomenclature]:
        query = keyset(select(Nomenclature), Nomenclature.name, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(Nomenclature.id))) or 0)

    async def add(self, entity: Nomenclature | NomenclatureVersion) -> None:
        self.session.add(entity)
        await self.session.flush()

    async def add_codes(self, version_id: uuid.UUID, codes: list[tuple[str, str | None]]) -> None:
        rows = [{"version_id": version_id, "code": c, "label": label} for c, label in codes]
        if rows:
            await self.session.execute(insert(NomenclatureCode), rows)

    async def codes(
        self, version_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[NomenclatureCode]:
        query = select(NomenclatureCode).where(NomenclatureCode.version_id == version_id)
        query = keyset(query, NomenclatureCode.id, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def sample_codes(self, names: list[str], *, per_list: int) -> dict[str, list[str]]:
        """Up to ``per_list`` codes of the latest version of each named nomenclature."""
        latest = _latest(names)
        ranked = (
            select(
                latest.c.name,
                NomenclatureCode.code,
                func.row_number()
                .over(partition_by=latest.c.name, order_by=NomenclatureCode.id)
                .label("rank"),
            )
            .join(latest, latest.c.id == NomenclatureCode.version_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(ranked.c.name, ranked.c.code).where(ranked.c.rank <= per_list)
        )
        codes: dict[str, list[str]] = {}
        for name, code in rows.all():
            codes.setdefault(name, []).append(code)
        return codes

    async def code_sets(self, names: list[str]) -> dict[str, frozenset[str]]:
        """Every code of the latest version of each named nomenclature that has a code list."""
        latest = _latest(names)
        rows = await self.session.execute(
            select(latest.c.name, NomenclatureCode.code).join(
                latest, latest.c.id == NomenclatureCode.version_id
            )
        )
        codes: dict[str, set[str]] = {}
        for name, code in rows.all():
            codes.setdefault(name, set()).add(code)
        return {name: frozenset(values) for name, values in codes.items()}


def _latest(names: list[str]) -> Subquery:
    return (
        select(NomenclatureVersion.id, Nomenclature.name)
        .join(Nomenclature, Nomenclature.id == NomenclatureVersion.nomenclature_id)
        .where(Nomenclature.name.in_(names))
        .order_by(NomenclatureVersion.nomenclature_id, NomenclatureVersion.number.desc())
        .ext(distinct_on(NomenclatureVersion.nomenclature_id))
        .subquery()
    )
