"""Appending: entries get the next sequence numbers, gap-free, and become leaves of the tree."""

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from audit.entries.document import (
    document_hash,
    encode_entry,
    entry_document,
    hash_of_document_json,
)
from audit.entries.models import Entry
from audit.entries.repository import ROW_COLUMNS, EntryRepository
from audit.entries.schemas import EntryCreate, EntryFilter, EntryWithProof, Receipt
from audit.errors import EntryNotFound
from audit.merkle import CompactRange
from audit.tree.repository import TreeRepository
from hdh_common.errors import ValidationFailed
from hdh_common.pagination import Page

_ROW_FIELDS = itemgetter(*ROW_COLUMNS[:-2])


class Prepared(NamedTuple):
    """An entry hashed, not yet sequenced: its event id, leaf hash and row of ``ROW_COLUMNS``."""

    event_id: str
    leaf_hash: bytes
    row: tuple[Any, ...]


def prepare(drafts: Sequence[EntryCreate]) -> list[Prepared]:
    """The CPU part of appending (canonical JSON, hashing), done before taking the lock."""
    return [prepare_fields(draft.model_dump()) for draft in drafts]


def prepare_fields(fields: Mapping[str, Any]) -> Prepared:
    """``fields``: the columns of an :class:`EntryCreate`."""
    encoded = encode_entry(fields)
    leaf = hash_of_document_json(encoded.document)
    return Prepared(fields["event_id"], leaf, (*_ROW_FIELDS(fields), encoded.payload, leaf))


class Sequenced(NamedTuple):
    event_id: str
    seq: int
    leaf_hash: bytes
    duplicate: bool

    def receipt(self) -> Receipt:
        return Receipt(
            seq=self.seq,
            leaf_index=self.seq,
            leaf_hash=self.leaf_hash.hex(),
            event_id=self.event_id,
            duplicate=self.duplicate,
        )


async def append(session: AsyncSession, drafts: Sequence[EntryCreate]) -> list[Receipt]:
    try:
        rows = prepare(drafts)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"The entry cannot be logged: {exc}") from exc
    return [sequenced.receipt() for sequenced in await append_prepared(session, rows)]


async def append_prepared(session: AsyncSession, rows: Sequence[Prepared]) -> list[Sequenced]:
    """Sequence ``rows`` in this transaction; an event id already logged gets its old receipt.

    Appenders queue on a transaction-scoped lock, so sequence numbers have no gaps and each
    batch extends the tree from the previous one's right edge.
    """
    tree, entries = TreeRepository(session), EntryRepository(session)
    start = await tree.lock_for_append([row.event_id for row in rows])
    receipts = {
        event_id: Sequenced(event_id, seq, leaf, True)
        for event_id, (seq, leaf) in start.logged.items()
    }
    fresh: list[Prepared] = []
    for row in rows:
        if row.event_id not in receipts:
            seq = start.size + len(fresh)
            receipts[row.event_id] = Sequenced(row.event_id, seq, row.leaf_hash, False)
            fresh.append(row)
    await entries.add_many([(start.size + n, *row.row) for n, row in enumerate(fresh)])
    edge = CompactRange(start.size, start.peaks)
    await tree.add(edge.extend(row.leaf_hash for row in fresh))
    return [receipts[row.event_id] for row in rows]


def with_proof_material(entry: Entry) -> EntryWithProof:
    document = entry_document(entry.__dict__)
    return EntryWithProof(
        seq=entry.seq, leaf_index=entry.seq, entry=document, leaf_hash=document_hash(document).hex()
    )


async def get(session: AsyncSession, seq: int) -> EntryWithProof:
    entry = await EntryRepository(session).get(seq)
    if entry is None:
        raise EntryNotFound(f"No audit entry with sequence number {seq}.")
    return with_proof_material(entry)


async def page(
    session: AsyncSession, *, where: EntryFilter, cursor: str | None, limit: int
) -> Page[EntryWithProof]:
    rows = await EntryRepository(session).page(where=where, cursor=cursor, limit=limit)
    return Page.from_rows(rows, limit, key=lambda e: (e.seq,), convert=with_proof_material)
