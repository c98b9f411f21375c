"""The Spark session of a service that runs heavy work on Spark (the ``spark`` extra).

pyspark is imported when a session is asked for, never at import: services run without it.
One session per process (Spark allows one context), built on first use and kept.
"""

import functools
import os
import sys
from typing import TYPE_CHECKING

from hdh_common.settings import ServiceSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_SHUFFLE_PARTITIONS = 4


def is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def get_session(
    master: str, app_name: str, *, storage: ServiceSettings | None = None
) -> "SparkSession":
    """The process's session on ``master`` (``local[*]``, ``spark://…``, ``k8s://…``); for
    a cluster master, the object store is reached through S3A with ``storage``'s settings."""
    conf = dict(_conf(master))
    if storage is not None and not is_local(master) and storage.storage_backend == "s3":
        conf |= s3a_conf(storage)
    return _session(master, app_name, tuple(sorted(conf.items())))


def _conf(master: str) -> dict[str, str]:
    conf = {
        "spark.pyspark.python": sys.executable,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    if is_local(master):
        conf["spark.sql.shuffle.partitions"] = str(LOCAL_SHUFFLE_PARTITIONS)
        conf["spark.driver.bindAddress"] = "127.0.0.1"
        conf["spark.driver.host"] = "127.0.0.1"
    return conf


def s3a_conf(storage: ServiceSettings) -> dict[str, str]:
    """Hadoop's S3A filesystem on the object store (path-style, as MinIO serves it)."""
    scheme = "https" if storage.s3_secure else "http"
    prefix = "spark.hadoop.fs.s3a."
    return {
        f"{prefix}endpoint": f"{scheme}://{storage.s3_endpoint}",
        f"{prefix}endpoint.region": storage.s3_region,
        f"{prefix}access.key": storage.s3_access_key,
        f"{prefix}secret.key": storage.s3_secret_key.get_secret_value(),
        f"{prefix}path.style.access": "true",
        f"{prefix}connection.ssl.enabled": str(storage.s3_secure).lower(),
        f"{prefix}impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    }


@functools.cache
def _session(master: str, app_name: str, conf: tuple[tuple[str, str], ...]) -> "SparkSession":
    from pyspark.sql import SparkSession

    # The workers run this interpreter (with the service's packages): pyspark reads it here.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master(master).appName(app_name)
    for name, value in conf:
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
