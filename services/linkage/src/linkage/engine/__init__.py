"""The engine that runs the heavy operations on files: the embedded one (this process's
threads, the default) or Spark (``HDH_ENGINE=spark``), with the same results.

Both take the local files the jobs download and upload; both are synchronous (jobs run them
in a thread) and report progress, and see a cancellation, through ``progress``. Both link
Arrow tables with the same model, giving the same links (``link``).
"""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from linkage.config import Settings
from linkage.events import ColumnSpec, Identifier
from linkage.jobs.pipeline import CentralKey, Outcome, Period, Progress
from linkage.matching import fellegi_sunter as fs
from linkage.matching.linker import Linked


class Engine(Protocol):
    @property
    def batch_rows(self) -> int:
        """Rows per Arrow batch."""
        ...

    @property
    def name(self) -> str:
        """``embedded`` or ``spark``."""
        ...

    def executors(self) -> int:
        """How many executors the engine runs batches on (embedded: 1, this process)."""
        ...

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
        """Identifier columns into central pseudonyms (see ``pipeline.pseudonymise_file``);
        ``label`` names the work (the job's id) where the engine shows it."""
        ...

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
        """A project's extract of a central file (see ``pipeline.extract_file``)."""
        ...

    def link(self, settings: fs.Settings, left: pa.Table, right: pa.Table | None = None) -> Linked:
        """Links of ``left`` to ``right`` (see ``matching.linker.link``)."""
        ...


def create_engine(settings: Settings) -> Engine:
    from linkage.engine.embedded import EmbeddedEngine

    if settings.engine == "spark":
        from linkage.engine.spark import SparkEngine

        return SparkEngine(
            master=settings.spark_master, batch_rows=settings.linkage_batch_rows, settings=settings
        )
    return EmbeddedEngine(batch_rows=settings.linkage_batch_rows, workers=settings.linkage_workers)
