import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from access.calendar.dependencies import NowDep
from access.dependencies import SettingsDep
from access.errors import WebhookUrlNotAllowed
from access.notifications import mail, schemas, service
from access.notifications.models import DeliveryStatus, Webhook
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import EXTERNAL_ROLES, Principal, Role, require_roles
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/webhooks", tags=["notifications"])
contact_router = APIRouter(prefix="/access/notifications", tags=["notifications"])
Partner = Annotated[Principal, Depends(require_roles(Role.PARTNER))]
Person = Annotated[Principal, Depends(require_roles(*(EXTERNAL_ROLES - {Role.PARTNER})))]


async def _owned_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: Partner) -> Webhook:
    return await service.get_owned(session, principal, webhook_id)


WebhookFromPath = Annotated[Webhook, Depends(_owned_webhook)]


@router.post(
    "",
    status_code=201,
    response_model=schemas.WebhookCreated,
    summary="Subscribe an endpoint to the events of one's organisation (partners; the secret "
    "is shown once)",
    responses=problem_responses(Unauthorized, Forbidden, WebhookUrlNotAllowed),
)
async def create_webhook(
    payload: schemas.WebhookCreate, session: SessionDep, principal: Partner, settings: SettingsDep
) -> schemas.WebhookCreated:
    return await service.create(session, principal, payload, settings=settings)


@router.get(
    "",
    response_model=Page[schemas.Webhook],
    summary="List one's organisation's webhooks, newest first",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_webhooks(
    session: SessionDep,
    principal: Partner,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Webhook]:
    return await service.page(session, principal, cursor=cursor, limit=limit)


@router.get(
    "/{webhook_id}",
    response_model=schemas.Webhook,
    summary="Get a webhook",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_webhook(webhook: WebhookFromPath) -> schemas.Webhook:
    return schemas.Webhook.model_validate(webhook)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    response_class=Response,
    summary="Unsubscribe (its deliveries go with it)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_webhook(webhook: WebhookFromPath, session: SessionDep) -> Response:
    await service.delete(session, webhook)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    response_model=schemas.DeliveryWithPayload,
    summary="Send a test event (`hdh.access.webhook.tested.v1`) to the endpoint",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def test_webhook(
    webhook: WebhookFromPath, session: SessionDep, now: NowDep
) -> schemas.DeliveryWithPayload:
    delivery = await service.send_test(session, webhook, now=now)
    return schemas.DeliveryWithPayload.model_validate(delivery)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[schemas.Delivery],
    summary="List a webhook's deliveries, newest first, with their status",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidCursor),
)
async def list_deliveries(
    webhook: WebhookFromPath,
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Delivery]:
    return await service.deliveries(session, webhook, status=status, cursor=cursor, limit=limit)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    response_model=schemas.DeliveryWithPayload,
    summary="Get a delivery and the body it posts",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_delivery(
    webhook: WebhookFromPath, delivery_id: uuid.UUID, session: SessionDep
) -> schemas.DeliveryWithPayload:
    delivery = await service.get_delivery(session, webhook, delivery_id)
    return schemas.DeliveryWithPayload.model_validate(delivery)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=schemas.Delivery,
    summary="Send a delivery again (delivered or dead), with a fresh set of attempts",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def replay_delivery(
    webhook: WebhookFromPath, delivery_id: uuid.UUID, session: SessionDep, now: NowDep
) -> schemas.Delivery:
    delivery = await service.get_delivery(session, webhook, delivery_id, lock=True)
    return schemas.Delivery.model_validate(await service.replay(delivery, now=now))


@contact_router.put(
    "/contact",
    response_model=schemas.Contact,
    summary="Set the address one's notification e-mails go to",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def set_contact(
    payload: schemas.ContactUpdate, session: SessionDep, principal: Person
) -> schemas.Contact:
    contact = await mail.set_contact(session, principal.subject, payload.email)
    return schemas.Contact.model_validate(contact)


@contact_router.get(
    "/contact",
    response_model=schemas.Contact,
    summary="The address one's notification e-mails go to",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_contact(session: SessionDep, principal: Person) -> schemas.Contact:
    return schemas.Contact.model_validate(await mail.get_contact(session, principal.subject))
