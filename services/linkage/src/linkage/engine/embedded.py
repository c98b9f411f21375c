"""The embedded engine: the pipeline's file transforms in this process."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from linkage.events import ColumnSpec, Identifier
from linkage.jobs.pipeline import (
    CentralKey,
    Outcome,
    Period,
    Progress,
    extract_file,
    pseudonymise_file,
)
from linkage.matching import fellegi_sunter as fs
from linkage.matching.linker import Linked, link


@dataclass(frozen=True)
class EmbeddedEngine:
    batch_rows: int
    workers: int = 1
    name: str = "embedded"

    def executors(self) -> int:
        return 1

    def pseudonymise(
        self,
        source: Path,
        target: Path,
        *,
        columns: Sequence[ColumnSpec],
        key: CentralKey,
        progress: Progress,
        label: str,
    ) -> Outcome:
        return pseudonymise_file(
            source,
            target,
            columns=columns,
            key=key,
            batch_rows=self.batch_rows,
            progress=progress,
            workers=self.workers,
        )

    def extract(
        self,
        source: Path,
        target: Path,
        *,
        table: str,
        variables: Iterable[str],
        declared: Mapping[str, Identifier],
        project: CentralKey,
        progress: Progress,
        label: str,
        excluded_persons: pa.Array | None = None,
        period: Period | None = None,
    ) -> Outcome:
        return extract_file(
            source,
            target,
            table=table,
            variables=variables,
            declared=declared,
            project=project,
            batch_rows=self.batch_rows,
            progress=progress,
            excluded_persons=excluded_persons,
            period=period,
        )

    def link(self, settings: fs.Settings, left: pa.Table, right: pa.Table | None = None) -> Linked:
        return link(settings, left, right)
