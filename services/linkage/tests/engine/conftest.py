import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkage.engine.spark import SparkEngine

MASTER = "local[2]"


@dataclass(frozen=True)
class SparkRun:
    engine: SparkEngine
    log: Path
    """What the JVM (driver, executors, Python workers) wrote to its standard error."""


@pytest.fixture(scope="session")
def spark_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkRun]:
    """One Spark session (``local[2]``) for the test session: the services' engine on the
    same master finds it started. The JVM's standard error goes to a file the tests read."""
    log = tmp_path_factory.mktemp("spark") / "jvm.log"
    engine = SparkEngine(master=MASTER, batch_rows=65_536)
    saved = os.dup(2)
    with log.open("ab") as file:
        os.dup2(file.fileno(), 2)
        try:
            engine.session.range(1).collect()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its goodbyes outlive pytest's streams
    yield SparkRun(engine=engine, log=log)
    engine.session.stop()
