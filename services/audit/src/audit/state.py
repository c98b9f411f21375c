"""What the audit service runs with beyond the common resources: its tree-head signer, the
periodic head signing, the witnesses asked to cosign checkpoints, and the ingester of every
``hdh.*`` topic."""

from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from audit.checkpoints.witnesses import cosigning_loops
from audit.config import Settings
from audit.ingest.consumer import BatchIngester
from audit.treeheads import service as treeheads
from audit.treeheads.signing import Signer, load_signer, release_signer
from audit.treeheads.worker import HeadMetrics, sign_periodically
from hdh_common.app import background
from hdh_common.state import ServiceState


@dataclass(frozen=True, kw_only=True)
class AuditState(ServiceState[Settings]):
    signer: Signer
    ingester: BatchIngester


@asynccontextmanager
async def resources(common: ServiceState[Settings]) -> AsyncIterator[AuditState]:
    settings, sessionmaker = common.settings, common.sessionmaker
    signer = load_signer(settings)
    async with sessionmaker.begin() as session:
        await treeheads.register_key(session, signer)
    ingester = BatchIngester(
        sessionmaker=sessionmaker,
        bootstrap_servers=settings.kafka(),
        pattern=settings.audit_ingest_topic_pattern,
        batch_size=settings.audit_ingest_batch_size,
        lag=common.consumer_metrics.lag,
    )
    loops: list[Coroutine[Any, Any, None]] = [
        sign_periodically(
            sessionmaker,
            signer,
            interval=settings.audit_tree_head_interval,
            metrics=HeadMetrics(common.registry),
        )
    ]
    loops += cosigning_loops(settings, sessionmaker, signer, common.tracing)
    if settings.audit_ingest_enabled:
        loops.append(ingester.run())
    try:
        async with background(*loops):
            yield AuditState(**vars(common), signer=signer, ingester=ingester)
    finally:
        release_signer(signer)
