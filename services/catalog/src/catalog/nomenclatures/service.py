from sqlalchemy.ext.asyncio import AsyncSession

from catalog.imports.frictionless import NomenclatureSpec
from catalog.nomenclatures import schemas
from catalog.nomenclatures.models import Nomenclature, NomenclatureVersion
from catalog.nomenclatures.repository import NomenclatureRepository
from catalog.search.indexer import reindex_nomenclature
from hdh_common.errors import NotFound
from hdh_common.identity import Principal
from hdh_common.pagination import Page


async def apply(
    session: AsyncSession, principal: Principal, specs: list[NomenclatureSpec]
) -> list[schemas.NomenclatureChange]:
    """Create or update nomenclatures; a code list that differs from the latest is a new version."""
    repository = NomenclatureRepository(session)
    existing = await repository.by_names([spec.name for spec in specs])
    latest = await repository.latest_versions([n.id for n in existing.values()])
    changes = []
    for spec in specs:
        found = existing.get(spec.name)
        current = latest.get(found.id) if found else None
        changes.append(await _apply_one(repository, principal, spec, found, current))
    return changes


async def _apply_one(
    repository: NomenclatureRepository,
    principal: Principal,
    spec: NomenclatureSpec,
    found: Nomenclature | None,
    current: NomenclatureVersion | None,
) -> schemas.NomenclatureChange:
    header = {
        "title": spec.title,
        "code_field": spec.code_field,
        "label_field": spec.label_field,
        "fields": spec.fields,
    }
    nomenclature = found or Nomenclature(name=spec.name, **header)
    header_changed = found is not None and any(
        getattr(found, key) != value for key, value in header.items()
    )
    for key, value in header.items():
        setattr(nomenclature, key, value)
    await repository.add(nomenclature)
    version = await _new_version(repository, principal, spec, nomenclature, current)
    if found is not None and not header_changed and version is None:
        return schemas.NomenclatureChange(name=spec.name, change="unchanged")
    codes = version or current
    await reindex_nomenclature(repository.session, nomenclature.id, codes.id if codes else None)
    return schemas.NomenclatureChange(
        name=spec.name,
        change="added" if found is None else "updated",
        version=version.number if version else None,
    )


async def _new_version(
    repository: NomenclatureRepository,
    principal: Principal,
    spec: NomenclatureSpec,
    nomenclature: Nomenclature,
    current: NomenclatureVersion | None,
) -> NomenclatureVersion | None:
    if spec.codes is None or (current is not None and current.checksum == spec.checksum()):
        return None
    number = current.number + 1 if current else 1
    version = NomenclatureVersion(
        nomenclature_id=nomenclature.id,
        number=number,
        label=spec.version or str(number),
        checksum=spec.checksum(),
        code_count=len(spec.codes),
        created_by=principal.subject,
    )
    await repository.add(version)
    await repository.add_codes(version.id, spec.codes)
    return version


async def page(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[schemas.Nomenclature]:
    rows = await NomenclatureRepository(session).page(cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda n: (n.name,), convert=schemas.Nomenclature.model_validate
    )


async def detail(session: AsyncSession, name: str) -> schemas.NomenclatureDetail:
    repository = NomenclatureRepository(session)
    found = await _get(repository, name)
    versions = [
        schemas.NomenclatureVersion.model_validate(v) for v in await repository.versions(found.id)
    ]
    return schemas.NomenclatureDetail(
        **schemas.Nomenclature.model_validate(found).model_dump(), versions=versions
    )


async def codes(
    session: AsyncSession, name: str, *, version: int | None, cursor: str | None, limit: int
) -> Page[schemas.Code]:
    repository = NomenclatureRepository(session)
    versions = await repository.versions((await _get(repository, name)).id)
    chosen = [v for v in versions if version is None or v.number == version]
    if not chosen:
        raise NotFound(f"Nomenclature {name!r} has no such version.")
    rows = await repository.codes(chosen[-1].id, cursor=cursor, limit=limit)
    return Page.from_rows(rows, limit, key=lambda c: (c.id,), convert=schemas.Code.model_validate)


async def _get(repository: NomenclatureRepository, name: str) -> Nomenclature:
    found = await repository.by_name(name)
    if found is None:
        raise NotFound(f"No nomenclature named {name!r}.")
    return found
