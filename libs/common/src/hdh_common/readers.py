"""Who may read a project's data (its extracts, its space) is decided by the access service,
on live state, at each request: the grant still active and not past its last day, the
caller a member now. Whatever prevents a sure answer refuses (503), never allows."""

import uuid
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from hdh_common.errors import Forbidden, ServiceUnavailable
from hdh_common.service_client import ServiceClient


class ReaderRights(BaseModel):
    grant_id: uuid.UUID
    project_id: uuid.UUID | None = None
    subject: str
    allowed: bool
    reason: str | None = None


async def confirm_reader(
    client: ServiceClient, *, grant_id: uuid.UUID, subject: str
) -> ReaderRights:
    path = f"/access/grants/{grant_id}/readers/{quote(subject, safe='')}"
    try:
        rights = ReaderRights.model_validate(await client.get("access", path))
    except ValidationError as exc:
        raise ServiceUnavailable("The access service's answer could not be read.") from exc
    if (rights.grant_id, rights.subject) != (grant_id, subject):
        raise ServiceUnavailable("The access service answered for someone else.")
    if not rights.allowed:
        raise Forbidden(f"No live right to this project's data: {rights.reason}")
    return rights
