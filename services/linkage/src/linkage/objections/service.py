"""The register of objections: persons excluded from every extract built afterwards."""

import pyarrow as pa
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.identity import Principal
from hdh_common.pagination import Page
from linkage.db import outbox
from linkage.errors import InvalidIdentifier
from linkage.events import OBJECTION_RECORDED, Identifier, ObjectionRecorded
from linkage.identifiers import nir
from linkage.identifiers.checked import blank_to_null
from linkage.jobs.pipeline import TAGS
from linkage.keys import service as keys
from linkage.keys.crypto import MasterKey
from linkage.objections import schemas
from linkage.objections.models import Objection
from linkage.objections.repository import ObjectionRepository


async def record(
    session: AsyncSession, master: MasterKey, principal: Principal, payload: schemas.ObjectionCreate
) -> Objection:
    clear = pa.array([payload.identifier.get_secret_value()])
    kind = Identifier(payload.kind)
    normal = nir.check(clear).values if kind is Identifier.NIR else blank_to_null(clear)
    if normal.null_count:
        raise InvalidIdentifier("The identifier is not valid; it was not recorded.")
    key = await keys.active_key(session, master, keys.CENTRAL)
    pseudonym = key.hasher(TAGS[kind]).pseudonyms(normal)[0].as_py()
    objection = await ObjectionRepository(session).add(
        central_pseudonym=pseudonym, key_version=key.version, recorded_by=principal.subject
    )
    event = ObjectionRecorded(objection_id=objection.id, key_version=objection.key_version)
    await outbox.publish(
        session,
        type=OBJECTION_RECORDED,
        subject=str(objection.id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )
    return objection


async def page(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[schemas.Objection]:
    rows = await ObjectionRepository(session).page(cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda o: (o.created_at, o.id), convert=schemas.Objection.model_validate
    )
