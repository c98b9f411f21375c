import uuid

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from access.documents.models import Document
from access.requests.models import AccessRequest
from access.reviews.models import ConflictDeclaration, Decision, Message
from access.workflow.machine import Evidence
from hdh_common.pagination import keyset

AGREEMENTS = ("data_holder_agreement", "data_use_agreement")


class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Decision | Message | ConflictDeclaration) -> None:
        self.session.add(row)
        await self.session.flush()

    async def add_opinion(self, opinion: Decision) -> bool:
        """Whether ``opinion`` was added: ``False`` if its round already has one."""
        try:
            async with self.session.begin_nested():
                self.session.add(opinion)
        except IntegrityError:
            return False
        return True

    async def opinion_recorded(self, request_id: uuid.UUID, review_round: int) -> bool:
        found = await self.session.scalar(
            select(
                exists().where(
                    Decision.request_id == request_id,
                    Decision.kind == "opinion",
                    Decision.round == review_round,
                )
            )
        )
        return bool(found)

    async def conflicted(self, request_id: uuid.UUID, subject: str) -> bool:
        found = await self.session.scalar(
            select(
                exists().where(
                    ConflictDeclaration.request_id == request_id,
                    ConflictDeclaration.subject == subject,
                )
            )
        )
        return bool(found)

    async def decisions(self, request_id: uuid.UUID) -> list[Decision]:
        rows = await self.session.scalars(
            select(Decision)
            .where(Decision.request_id == request_id)
            .order_by(Decision.recorded_at, Decision.id)
        )
        return list(rows)

    async def decision_page(
        self, request_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[Decision]:
        query = select(Decision).where(Decision.request_id == request_id)
        query = keyset(query, Decision.recorded_at, Decision.id, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def message_page(
        self, request_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[Message]:
        query = select(Message).where(Message.request_id == request_id)
        query = keyset(query, Message.created_at, Message.id, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def current(self, request: AccessRequest) -> dict[str, Decision]:
        """The records in force, by kind: the current committee round's opinion, and the
        latest record of each other kind."""
        decisions = await self.decisions(request.id)
        latest = {d.kind: d for d in decisions if d.kind != "opinion"}
        opinion = next(
            (d for d in decisions if d.kind == "opinion" and d.round == request.review_round),
            None,
        )
        return latest | ({"opinion": opinion} if opinion else {})

    async def evidence(self, request: AccessRequest) -> Evidence:
        """What the guards read; the opinion is the current committee round's."""
        kinds = await self.session.scalars(
            select(Document.kind).distinct().where(Document.request_id == request.id)
        )
        latest = await self.current(request)
        opinion, regulator = latest.get("opinion"), latest.get("regulator")
        return Evidence(
            legal_basis=request.legal_basis,
            documents=frozenset(kinds),
            opinion=opinion.outcome if opinion else None,
            regulator=regulator.outcome if regulator else None,
            authorisation_number=(
                regulator.reference if regulator and regulator.outcome == "authorised" else None
            ),
            agreements=frozenset(k for k in latest if k in AGREEMENTS),
        )
