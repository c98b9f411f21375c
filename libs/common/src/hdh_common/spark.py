"""The Spark session of a process, for the heavy data work run on Spark (``pyspark``, the
``spark`` extra): one per master and application name, built on first use."""

import functools
import os
import sys

from pyspark.sql import SparkSession

SHUFFLE_PARTITIONS = 8


@functools.cache
def get_session(master: str, app_name: str) -> SparkSession:
    """A session on ``master`` (``local[2]``, ``spark://…``, ``k8s://…``) whose Python
    workers run this interpreter, with few shuffle partitions (the default of 200 is made for
    a cluster; the job's own configuration raises it there)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    return (
        builder.config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
