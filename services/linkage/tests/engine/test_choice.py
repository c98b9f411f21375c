"""The engine chosen by the settings; the embedded default runs without pyspark."""

import subprocess
import sys

from hdh_dev.testing import SettingsFactory
from linkage.engine import create_engine
from linkage.engine.embedded import EmbeddedEngine


def test_the_embedded_engine_is_the_default_and_runs_on_one_executor(
    linkage_settings: SettingsFactory,
) -> None:
    engine = create_engine(linkage_settings(linkage_batch_rows=1000, linkage_workers=3))
    assert engine == EmbeddedEngine(batch_rows=1000, workers=3)
    assert (engine.name, engine.executors()) == ("embedded", 1)


def test_the_service_starts_its_embedded_engine_without_loading_pyspark() -> None:
    code = (
        "import sys, linkage.main\n"
        "from linkage.config import Settings\n"
        "from linkage.engine import create_engine\n"
        "create_engine(Settings()).executors()\n"
        "print('pyspark' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
