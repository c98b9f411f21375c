"""The Spark session's settings; pyspark is imported only when a session is asked for."""

import subprocess
import sys

from hdh_common.settings import ServiceSettings
from hdh_common.spark import is_local, s3a_conf


def test_s3a_reaches_the_object_store_with_its_settings() -> None:
    settings = ServiceSettings(
        storage_backend="s3",
        s3_endpoint="minio.hdh:9000",
        s3_access_key="reader",
        s3_secret_key="s3cret",
        s3_secure=True,
        s3_region="eu-west-3",
    )
    conf = s3a_conf(settings)
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "https://minio.hdh:9000"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-3"
    assert conf["spark.hadoop.fs.s3a.access.key"] == "reader"
    assert conf["spark.hadoop.fs.s3a.secret.key"] == "s3cret"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "true"


def test_local_masters() -> None:
    assert is_local("local[2]") and is_local("local[*]") and is_local("local")
    assert not is_local("spark://master:7077") and not is_local("k8s://https://api:6443")


def test_importing_the_module_loads_no_pyspark() -> None:
    code = "import sys, hdh_common.spark; print('pyspark' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
